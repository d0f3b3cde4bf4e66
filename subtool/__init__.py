"""subtool: subtitles for videos, as a library.

``probe``, ``transcribe``, ``mux``, ``burn`` and ``run`` take the same options as the commands
and raise the errors of ``subtool.errors``. Heavy modules load on first use.
"""

from __future__ import annotations

from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all

__version__ = "0.1.1"

_LAZY = {
    "probe": ("subtool.media.probe", "probe"),
    "transcribe": ("subtool.api", "transcribe"),
    "mux": ("subtool.api", "mux"),
    "burn": ("subtool.api", "burn"),
    "run": ("subtool.api", "run"),
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'subtool' has no attribute {name!r}")


__all__ = ["__version__", *_LAZY, *_errors_all]
