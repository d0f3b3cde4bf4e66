"""What ffprobe says of a media file: its streams, and the problems found against the limits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Stream:
    """One stream of a media file, as ffprobe reports it."""

    index: int
    type: str  # "video" | "audio" | "subtitle" | "data" | "attachment"
    codec: str | None
    language: str | None = None
    title: str | None = None
    channels: int | None = None
    sample_rate: int | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    duration: float | None = None
    default: bool = False
    forced: bool = False
    attached_pic: bool = False


@dataclass
class Problem:
    """A reason an input cannot be transcribed (``fatal``) or a note about it."""

    code: str
    message: str
    fatal: bool = True


@dataclass
class MediaInfo:
    """What ffprobe says of one file, and the verdict against the engine's limits."""

    path: str
    size: int = 0
    format_names: list[str] = field(default_factory=list)
    format_long_name: str | None = None
    duration: float | None = None
    bit_rate: int | None = None
    streams: list[Stream] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.fatal for p in self.problems)

    @property
    def audio_streams(self) -> list[Stream]:
        return [s for s in self.streams if s.type == "audio"]

    @property
    def video_streams(self) -> list[Stream]:
        return [s for s in self.streams if s.type == "video" and not s.attached_pic]

    @property
    def subtitle_streams(self) -> list[Stream]:
        return [s for s in self.streams if s.type == "subtitle"]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d
