"""The data each stage hands to the next: plan -> fetch -> transcribe -> write -> deliver.

``Plan`` is every decision made before anything is paid for (the input resolved, the options
checked, each output named once); ``Fetched`` the local media (or the URL the engine fetches);
``Transcribed`` the transcript and what it cost; ``Written`` the files; ``Delivered`` the video.
``RunResult`` is what a run returns for one input, the same whichever scheduler ran it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .media import MediaInfo
from .options import TranscribeOptions
from .presets import BurnStyle, MuxPreset, Profile
from .reports import CueProblem
from .reuse import Reused
from .tracks import SubtitleTrack
from .transcript import Transcript

NOTE = "note: "
"""The start of a status line that tells the user something about the result or the wait (a
language assumed, a retry): shown even without a progress display."""


def _quiet(_line: str) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """Where a stage reports: short status lines (those starting ``note: `` tell the user
    something about the result or the wait), progress per stage ("download", "audio",
    "upload", "transcribe", "mux", "burn": done and total seconds or bytes; "queued" and
    "processing": seconds a job has waited, total None until the wait ends, when total = done;
    "pieces": a long input's pieces done of the total), warnings about the result, and
    a cancel flag set to stop the work (a batch's Ctrl-C). ``local`` gives a slot for local work
    of a kind ("ffmpeg": an extraction, a mux, a burn; "model": the offline engine), so that a
    scheduler running many inputs keeps the machine's cores busy but not oversubscribed."""

    status: Callable[[str], None] = _quiet
    progress: Callable[[str, float, float | None], None] | None = None
    warning: Callable[[str], None] = _quiet
    cancel: threading.Event | None = None
    local: Callable[[str], AbstractContextManager[None]] | None = None

    def hold(self, kind: str) -> AbstractContextManager[None]:
        """A slot for local work of ``kind`` (nothing to wait for when nobody shares the machine)."""
        return self.local(kind) if self.local is not None else contextlib.nullcontext()

    def stage(self, name: str) -> Callable[[float, float | None], None] | None:
        """The progress callback of one stage (None when nobody listens)."""
        progress = self.progress
        if progress is None:
            return None
        return lambda done, total: progress(name, done, total)


@dataclass(frozen=True)
class Delivery:
    """What comes out: soft tracks (``mux``), one burned language (``burn``), or sidecars only."""

    kind: str  # "mux" | "burn" | "sidecars"
    mux: MuxPreset | None = None
    burn: BurnStyle | None = None
    burn_language: str | None = None  # as asked (--burn-language); the plan decides what is burned
    default: str | None = None  # the default track's language (mux)
    forced: tuple[str, ...] = ()
    replace: bool = False  # mux: drop the input's own subtitle streams

    @property
    def container(self) -> str | None:
        if self.mux is not None:
            return self.mux.container
        if self.burn is not None:
            return self.burn.container
        return None


@dataclass(frozen=True)
class Source:
    """An input once resolved: a local file (probed) or a URL (its metadata, ``remote``: a
    ``sources.SourceInfo``). ``input`` is what is shown (a URL's password redacted); ``url`` what
    is fetched; ``service_url`` what the engine may fetch itself (None: fetched here)."""

    input: str
    path: Path | None = None
    info: MediaInfo | None = None
    remote: Any = None
    url: str | None = None
    service_url: str | None = None
    duration: float | None = None

    @property
    def is_url(self) -> bool:
        return self.path is None


@dataclass(frozen=True)
class Plan:
    """One input after every check: where it comes from, what is asked of it, and every output,
    named once. ``stem`` names every side file (``<stem>.<lang>.<fmt>``,
    ``<stem>.transcript.json``), ``output`` the subtitled video, ``burn_language`` the track burned
    into it (None: the spoken language, known after transcription): the video's name and what is
    burned into it come from that one decision."""

    source: Source
    options: TranscribeOptions  # checked, normalised, with the profile's subtitle limits
    delivery: Delivery
    profile: Profile
    stem: Path
    output: Path | None
    burn_language: str | None = None
    force: bool = False
    keep_raw: bool = False
    speaker_labels: bool = False
    cookies: str | None = None
    max_download: int | None = None
    preview: bool = False  # write the review page (``<stem>.preview.html``) after delivery
    # The wanted languages found already made (``--reuse``): ``options.translate`` then holds
    # only the targets still missing, and ``transcribes`` says whether anything is left to pay for.
    reused: tuple[Reused, ...] = ()

    @property
    def input(self) -> str:
        return self.source.input

    @property
    def reused_languages(self) -> list[str]:
        return [r.language for r in self.reused]

    @property
    def transcribes(self) -> bool:
        """Whether the engine runs: not when the spoken language (given alone with -l) and every
        translation target were found already made."""
        spoken = self.options.languages[0] if len(self.options.languages) == 1 else None
        return not (spoken is not None and spoken in self.reused_languages and not self.options.translate)

    @property
    def outdir(self) -> Path:
        return self.stem.parent


@dataclass(frozen=True)
class Fetched:
    """The media of a planned input, here: ``media`` (the input itself, or its download, kept
    until the run is over) with its probe, or ``url`` when the engine fetches it itself."""

    plan: Plan
    media: Path | None
    info: MediaInfo | None
    url: str | None = None
    seconds: float = 0.0  # the download's time, when there was one


@dataclass
class Transcribed:
    """A transcript and what it cost: the engine, the jobs, the bytes sent, whether it came from
    the cache (``cache_key`` is set when a fresh result is to be cached once written)."""

    transcript: Transcript
    engine: str
    cached: bool
    audio_bytes: int
    cache_key: str | None = None
    raw: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def job_ids(self) -> list[str]:
        return list(self.transcript.job_ids)


@dataclass
class Written:
    """The files the write stage made: the sidecars (as tracks) and every path, and each cue that
    still breaks the profile (reported when written, never silently)."""

    files: list[str]
    tracks: list[SubtitleTrack]
    problems: list[CueProblem] = field(default_factory=list)
    service_files: list[str] = field(default_factory=list)  # the sidecars that are the service's own files (--cues service)


@dataclass
class Delivered:
    """What the deliver stage made: the video (None for sidecars only), the language burned into
    it, and the tracks with the flags the output really carries (default, forced)."""

    output: Path | None
    burned: str | None = None
    tracks: list[SubtitleTrack] = field(default_factory=list)


@dataclass
class RunResult:
    """What a run did for one input (``subtool run``, ``transcribe``, a batch item)."""

    input: str
    output: str | None
    engine: str
    language: str | None
    languages: list[str]
    tracks: list[SubtitleTrack]
    files: list[str]
    job_ids: list[str]
    cached: bool
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    burned: str | None = None  # the language burned into ``output`` (burn delivery)
    duration: float | None = None
    audio_bytes: int = 0  # what was (or would have been) sent to the engine
    preview: str | None = None  # the review page (``--preview``)
    problems: list[CueProblem] = field(default_factory=list)  # cues of the written files that break the profile

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "engine": self.engine,
            "language": self.language,
            "languages": self.languages,
            "burned": self.burned,
            "tracks": [
                {"path": t.path, "language": t.language, "default": t.default, "forced": t.forced, "title": t.title,
                 "origin": t.origin, "reused_from": t.reused_from} for t in self.tracks
            ],
            "files": self.files,
            "job_ids": self.job_ids,
            "cached": self.cached,
            "duration": self.duration,
            "audio_bytes": self.audio_bytes,
            "preview": self.preview,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": self.warnings,
            "violations": [p.to_dict() for p in self.problems],
        }
