"""subtool: subtitles for videos, as a library.

The functions of ``subtool.api`` (``probe``, ``plan``, ``run``, ``run_plan``, ``transcribe``,
``run_batch``, ``mux``, ``burn``, ``check``, ``conform``, ``list_presets``...) take the same options as the commands
and raise the errors of ``subtool.errors``; their results are the dataclasses of
``subtool.models``. Type checkers and IDEs see them as they are; at run time they load on first
use, so ``import subtool`` (and ``subtool --help``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all

if TYPE_CHECKING:
    from .api import (  # noqa: F401
        RunOptions,
        burn,
        check,
        conform,
        convert,
        engine,
        extract,
        list_presets,
        mux,
        plan,
        preview,
        probe,
        run,
        run_batch,
        run_plan,
        show_preset,
        transcribe,
    )
    from .batch import BatchReport, ItemReport  # noqa: F401
    from .models import (  # noqa: F401
        CheckedFile,
        ConformedFile,
        ConvertedFile,
        CueProblem,
        ExtractedTrack,
        MediaInfo,
        MuxResult,
        Plan,
        PresetInfo,
        PreviewResult,
        Reused,
        RunResult,
        SubtitleTrack,
        Transcript,
    )

__version__ = "0.1.1"

_API = ("burn", "check", "conform", "convert", "engine", "extract", "list_presets", "mux", "plan", "preview", "probe", "run", "run_batch", "run_plan", "show_preset", "transcribe", "RunOptions")
_MODELS = ("CheckedFile", "ConformedFile", "ConvertedFile", "CueProblem", "ExtractedTrack", "MediaInfo", "MuxResult", "Plan", "PresetInfo", "PreviewResult", "Reused", "RunResult", "SubtitleTrack", "Transcript")
_BATCH = ("BatchReport", "ItemReport")


def __getattr__(name: str) -> object:
    import importlib

    for module, names in (("subtool.api", _API), ("subtool.models", _MODELS), ("subtool.batch", _BATCH)):
        if name in names:
            return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'subtool' has no attribute {name!r}")


__all__ = ["__version__", *_API, *_MODELS, *_BATCH, *_errors_all]
