"""Plain data passed between the stages (dataclasses, no behaviour beyond their own fields).

One module per kind of fact; everything is importable from ``subtool.models``. This package
imports nothing of subtool's but its own modules, so every layer may use it.
"""

from __future__ import annotations

from .flow import NOTE, Delivered, Delivery, Fetched, Hooks, Plan, RunResult, Source, Transcribed, Written
from .jobs import JobInfo
from .media import MediaInfo, Problem, Stream
from .options import TranscribeOptions
from .presets import BurnStyle, MuxPreset, Profile
from .preview import PreviewResult, PreviewTrack
from .reports import CheckedFile, ConformedFile, ConvertedFile, CueProblem, ExtractedTrack, PresetInfo
from .reuse import Reused
from .summary import PlanSummary
from .tracks import MuxedTrack, MuxResult, SubtitleTrack
from .transcript import TRANSCRIPT_SCHEMA, Transcript, Utterance, Word

__all__ = [
    "NOTE",
    "TRANSCRIPT_SCHEMA",
    "BurnStyle",
    "CheckedFile",
    "ConformedFile",
    "ConvertedFile",
    "CueProblem",
    "Delivered",
    "Delivery",
    "ExtractedTrack",
    "Fetched",
    "Hooks",
    "JobInfo",
    "MediaInfo",
    "MuxPreset",
    "MuxResult",
    "MuxedTrack",
    "Plan",
    "PlanSummary",
    "PresetInfo",
    "PreviewResult",
    "PreviewTrack",
    "Problem",
    "Profile",
    "Reused",
    "RunResult",
    "Source",
    "Stream",
    "SubtitleTrack",
    "TranscribeOptions",
    "Transcribed",
    "Transcript",
    "Utterance",
    "Word",
    "Written",
]
