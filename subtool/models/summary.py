"""What a run would do, before anything is paid for: ``subtool run --dry-run`` and ``batch
--dry-run`` print one ``PlanSummary`` per input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PlanSummary:
    """One planned input: what would be sent and made. ``cached`` is None when it cannot be
    known before a download (a URL fetched here); ``jobs`` are the service jobs to create (0 for
    a cached result or the offline engine), ``pieces`` what a long input is cut into. ``files``
    are every output, the spoken language's as ``<spoken>`` when it is left to detection.
    ``error`` is why the input would be refused (a batch item; a run refuses before this).
    ``translate`` holds the targets still to pay for; ``reused`` the languages found already made
    (with every language reused, ``jobs`` is 0 and nothing is sent)."""

    input: str
    engine: str
    languages: list[str] = field(default_factory=list)  # spoken: several mean detection among them, none detection
    translate: list[str] = field(default_factory=list)
    delivery: str = "sidecars"  # "mux:mkv-multi", "burn:boxed", "sidecars"
    seconds: float | None = None  # audio to transcribe (None: not known before a download)
    audio_bytes: int | None = None  # what would be uploaded (a local file's extracted audio)
    sent: str = "audio"  # "audio" (uploaded from here), "url" (the service fetches it), "here" (offline engine)
    jobs: int = 0
    pieces: int = 1
    cached: bool | None = False
    files: list[str] = field(default_factory=list)
    output: str | None = None
    error: str | None = None
    reused: dict[str, str] = field(default_factory=dict)  # a language found already made (--reuse) -> where from

    @property
    def minutes(self) -> float | None:
        return None if self.seconds is None else self.seconds / 60

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input, "engine": self.engine, "languages": self.languages, "translate": self.translate,
            "delivery": self.delivery, "seconds": None if self.seconds is None else round(self.seconds, 3),
            "minutes_to_send": None if self.seconds is None or not self.jobs else round(self.seconds / 60, 2),
            "audio_bytes": self.audio_bytes, "sent": self.sent, "jobs": self.jobs, "pieces": self.pieces, "cached": self.cached,
            "files": self.files, "output": self.output, "error": self.error, "reused": self.reused,
        }
