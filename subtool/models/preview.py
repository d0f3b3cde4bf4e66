"""What a preview page shows (``subtool preview``, ``run --preview``): its languages, each with the
problems its check found, the video it plays, and the proxy made for browsers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class PreviewTrack:
    """One language of a page: the subtitle file it was read from, how many cues, and how many
    cues break each rule of the profile (``problems``: rule -> count; ``bad_block``: blocks that
    could not be read)."""

    path: str
    language: str | None  # BCP 47 / ISO 639-1; None when neither the file name nor the caller says
    label: str  # what the page's track menu shows (the language's own name)
    format: str
    cues: int
    problems: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what reading the file had to fix

    @property
    def total(self) -> int:
        return sum(self.problems.values())


@dataclass
class PreviewResult:
    """A page written: where, the media it plays (the input, the delivered video, or the proxy;
    None when there was no local media), the proxy made for browsers, the languages (the spoken
    one first) and what the page warns about."""

    page: str
    video: str | None
    proxy: str | None
    duration: float | None
    profile: str
    tracks: list[PreviewTrack] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return sum(t.total for t in self.tracks)

    @property
    def files(self) -> list[str]:
        """What was written: the page, and the proxy when one was made."""
        return [self.page, *([self.proxy] if self.proxy else [])]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["problems"] = self.problems
        return d
