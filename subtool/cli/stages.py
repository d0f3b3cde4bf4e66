"""Progress for multi-stage work (download, audio, upload, the job at the service, mux/burn) on
stderr.

On a terminal (and without -q) one line shows the stage under way, drawn by rich as suits what
it counts: the upload with its bytes, rate and time left; a job waiting at the service as a
spinner with the time it has been ``queued`` or ``processing``; the pieces of a long input done
out of N; media stages (audio, mux, burn) with their share and time left. A stage that reaches
its total is taken off the screen at once, and a new stage replaces the one before it: no
finished bar lingers. Without a terminal (or with -q) nothing is drawn; status lines are then
shown only with -v, except notes (a language assumed, a retry), which are shown unless -q.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ..models import NOTE
from .app import STATE, err, progress_enabled

# What each stage counts, which decides how it is drawn.
BYTES, WAIT, COUNT, TIME = "bytes", "wait", "count", "time"
KINDS = {"upload": BYTES, "download": BYTES, "queued": WAIT, "processing": WAIT, "pieces": COUNT}
TITLES = {"queued": "job queued", "processing": "job processing", "audio": "extracting the audio", "upload": "uploading",
          "pieces": "pieces done", "transcribe": "transcribing", "download": "downloading", "mux": "muxing", "burn": "burning"}


def stage_columns() -> list[Any]:
    """The columns of a stage's line: each draws only for the kinds of stage it suits."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        ProgressColumn,
        SpinnerColumn,
        Task,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.text import Text

    class Only(ProgressColumn):
        """``column`` for tasks of the given kinds, nothing for the others."""

        def __init__(self, column: ProgressColumn, *kinds: str) -> None:
            super().__init__()
            self.column, self.kinds = column, kinds

        def render(self, task: Task) -> Any:
            return self.column.render(task) if task.fields.get("kind") in self.kinds else Text("")

    return [
        TextColumn("{task.description}"),
        Only(SpinnerColumn(), WAIT),
        Only(BarColumn(), BYTES, COUNT, TIME),
        Only(TaskProgressColumn(), BYTES, TIME),
        Only(MofNCompleteColumn(), COUNT),
        Only(DownloadColumn(), BYTES),
        Only(TransferSpeedColumn(), BYTES),
        Only(TimeRemainingColumn(), BYTES, TIME),
        Only(TimeElapsedColumn(), WAIT, COUNT),
    ]


class StageProgress:
    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None
        self._stage: str | None = None
        self._task: Any = None
        self._finished: str | None = None

    def __enter__(self) -> StageProgress:
        if progress_enabled():
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(*stage_columns(), console=Console(stderr=True), transient=True)
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
        finished = total is not None and done >= total
        if finished and stage == self._finished:
            return  # the last word of a stage already taken off the screen
        self._finished = None
        if stage != self._stage:
            self._drop()
            self._stage = stage
            title = f"{self.label}: {TITLES.get(stage, stage)}"
            self._task = self._bar.add_task(title, total=total, kind=KINDS.get(stage, TIME))
        self._bar.update(self._task, completed=done, total=total)
        if finished:  # off the screen now, not at the next stage
            self._drop()
            self._finished = stage

    def _drop(self) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
        self._task = self._stage = None
