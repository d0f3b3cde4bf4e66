"""Subtitle tracks: a file to deliver, and a stream as muxed into a video."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class SubtitleTrack:
    """A subtitle file to deliver: where it is, its language, how it is flagged."""

    path: str
    language: str | None  # ISO 639-1 (or a BCP 47 tag such as pt-BR); None when unknown
    forced: bool = False
    default: bool = False
    title: str | None = None
    # Where its cues came from: "engine" (transcribed or translated by this run), or a reused
    # track's origin ("track": a text track of the input, "sidecar": a file beside it,
    # "platform": the subtitles yt-dlp downloaded), with ``reused_from`` naming it.
    origin: str | None = None
    reused_from: str | None = None


@dataclass
class MuxedTrack:
    """One subtitle stream of the output, as written."""

    index: int  # among the output's subtitle streams
    language: str | None  # BCP 47 / ISO 639-1 ("fr", "pt-BR"); None when unknown
    container_code: str  # the tag written in the container ("fra" in MP4, "fre" in MKV, "und")
    title: str | None
    codec: str
    default: bool
    forced: bool
    source: str  # the subtitle file, or "input stream #N" for a kept stream


@dataclass
class MuxResult:
    output: Path
    container: str
    tracks: list[MuxedTrack] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reencoded: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["output"] = str(self.output)
        return d
