"""A wanted language found already made (``--reuse``): where its cues come from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ORIGINS = ("track", "sidecar", "platform")


@dataclass(frozen=True)
class Reused:
    """A language the run takes as it is instead of paying for it.

    ``origin``: "track" (a text subtitle stream of the input: ``source`` is the input, ``stream``
    its index), "sidecar" (``source`` is ``<stem>.<lang>.<fmt>`` beside the input), or "platform"
    (the subtitles yt-dlp downloaded beside the video, or, for a URL, the platform's language key
    until the fetch stage downloads them and names the file; ``auto`` when they are the
    platform's machine captions, taken only with ``--reuse-auto``). ``format``: srt, vtt or ass (a track's
    as it will be extracted).
    """

    language: str
    origin: str
    source: str
    format: str
    stream: int | None = None
    codec: str | None = None
    auto: bool = False

    def describe(self) -> str:
        """``input track #2 of talk.mkv (subrip)``, ``sidecar talk.fr.vtt``: for the report."""
        if self.origin == "track":
            return f"input track #{self.stream} of {self.source} ({self.codec})"
        if self.origin == "platform":
            return f"the platform's {'machine captions' if self.auto else 'subtitles'} ({Path(self.source).name}, downloaded by yt-dlp)"
        return f"sidecar {self.source}"
