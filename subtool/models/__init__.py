"""Plain data passed between the stages (dataclasses, no behaviour beyond their own fields).

One module per kind of fact; everything is importable from ``subtool.models``. This package
imports nothing of subtool's but its own modules, so every layer may use it.
"""

from __future__ import annotations

from .media import MediaInfo, Problem, Stream
from .options import TranscribeOptions
from .presets import BurnStyle, MuxPreset, Profile
from .tracks import MuxedTrack, MuxResult, SubtitleTrack
from .transcript import TRANSCRIPT_SCHEMA, Transcript, Utterance, Word

__all__ = [
    "TRANSCRIPT_SCHEMA",
    "BurnStyle",
    "MediaInfo",
    "MuxPreset",
    "MuxResult",
    "MuxedTrack",
    "Problem",
    "Profile",
    "Stream",
    "SubtitleTrack",
    "TranscribeOptions",
    "Transcript",
    "Utterance",
    "Word",
]
