"""An ffmpeg progress bar with time left on stderr (rich), only when stderr is a terminal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from .app import progress_enabled

ProgressCallback = Callable[[float, float | None], None]


@contextlib.contextmanager
def ffmpeg_progress(label: str) -> Iterator[ProgressCallback | None]:
    """Yield an ``on_progress`` callback for ``run_ffmpeg`` (None when quiet or not a tty)."""
    if not progress_enabled():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: float, total: float | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
