"""Engines: the Gladia API (``gladia``) and the embedded offline Whisper (``local``).

Importing this package loads neither: each engine (and its heavy dependencies) is imported when
``get_engine`` is asked for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from .base import Engine

ENGINES = ("auto", "gladia", "local")


def get_engine(
    name: str = "auto",
    *,
    max_jobs: int = 3,
    model: str | None = None,
    threads: int | None = None,
    on_note: Callable[[str], None] | None = None,
) -> Engine:
    """The engine called ``name``; ``auto`` is Gladia when ``GLADIA_API_KEY`` is set, else local.

    ``on_note`` receives the one line saying which engine ``auto`` chose and why.
    """
    if name not in ENGINES:
        raise UsageError(f"unknown engine {name!r}", hint=f"Use one of: {', '.join(ENGINES)}")
    if name == "auto":
        name = "gladia" if os.environ.get("GLADIA_API_KEY", "").strip() else "local"
        if on_note:
            on_note("engine: gladia (GLADIA_API_KEY is set)" if name == "gladia" else "engine: local (no GLADIA_API_KEY set)")
    if name == "gladia":
        from .gladia.engine import GladiaEngine

        return GladiaEngine(max_jobs=max_jobs)
    from .local import LocalEngine

    return LocalEngine(model, threads)
