"""Progress for multi-stage work (download, audio, transcription, mux/burn) on stderr.

A rich bar per stage when stderr is a terminal; plain status lines otherwise (unless -q).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ..models import NOTE
from .app import STATE, err, progress_enabled


class StageProgress:
    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> StageProgress:
        if progress_enabled():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._bar.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.__exit__(et, ev, tb)

    def status(self, line: str) -> None:
        """A status line: above the bar on a terminal; otherwise only with -v, except notes
        (a language assumed, a retry), which are shown unless -q."""
        if self._bar is not None:
            self._bar.console.print(f"{self.label}: {line}", highlight=False)
        elif not STATE.quiet and (STATE.verbose or line.startswith(NOTE)):
            err(f"{self.label}: {line}")

    def update(self, stage: str, done: float, total: float | None) -> None:
        if self._bar is None:
            return
        task = self._tasks.get(stage)
        if task is None:
            task = self._tasks[stage] = self._bar.add_task(stage, total=total)
        self._bar.update(task, completed=done, total=total)
