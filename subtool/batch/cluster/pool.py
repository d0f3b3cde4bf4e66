"""The client's loop of a batch on Dask: the items as tasks, progress, Ctrl-C.

The storage check first (``preflight``); then the items in order (jobs an earlier run left at the
service first), each a task (``task.run_item``) placed by Dask, which sends a task to the worker
with the fewest in flight per thread (an item leaves the thread pool as it starts, and 8 items
on 2 workers of 2 threads were placed 4 and 4), and runs it elsewhere if that worker dies (a
task pinned to a worker waited for it forever once every worker had died). As many are in
flight as the single-process pool would run (every job slot busy and as many again probed and
uploaded, plus the workers' local slots), so a finished job is replaced at once and the
scheduler's queue stays short; with no worker left the items wait for one, and that is said. The ``Desk`` commits what the items send; each item's end is recorded here as one machine
records it (``scheduler.settle``). Ctrl-C sets the batch's stop event: the items stop where they
are (their rows say how far they got) within a few seconds, or are cancelled after
``STOP_GRACE_S``; a second Ctrl-C cancels them at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...engines.base import is_job_engine
from ...errors import SubtoolError
from ..pacing import Pacer
from ..report import ItemReport
from ..state import State
from ..worker import Work
from . import preflight
from .connect import Connection, workers
from .link import Desk, stop_name
from .task import EngineSpec, ItemTask, run_item

if TYPE_CHECKING:
    from distributed import Future

    from ..scheduler import Settings

EventCallback = Callable[[dict[str, Any]], None]
STOP_GRACE_S = 30.0  # for the items to stop after Ctrl-C before they are cancelled
WORKERS_EVERY_S = 2.0  # how often the list of workers is asked again


@dataclass
class Batch:
    """What the pool runs: the checked work, the reports to fill, the state, the settings."""

    work: list[Work]
    reports: list[ItemReport]
    state: State
    settings: Settings
    cancel: threading.Event
    on_event: EventCallback | None
    on_warning: Callable[[str], None] | None
    on_note: Callable[[str], None] | None = None


def schedule(conn: Connection, run: Batch) -> tuple[bool, dict[str, Any]]:
    """Run every item on the cluster; (whether interrupted, the pacing for the report)."""
    from ..scheduler import settle

    s = run.settings
    batch = uuid.uuid4().hex[:16]
    spec = EngineSpec("gladia" if is_job_engine(s.engine) else s.engine.name, s.options.model, s.options.threads, s.max_jobs, conn.account)
    pacer = Pacer(conn.slots, s.max_jobs) if conn.slots is not None else None
    counts = {"done": sum(1 for r in run.reports if r.status == "skipped"), "failed": sum(1 for r in run.reports if r.status == "failed")}
    refused = preflight.check(conn.client, batch, run.work, spec)
    for w in run.work:
        if w.key in refused:
            settle(None, refused[w.key], w, run.reports[w.position], run.state, run.cancel, counts, 0.0)
    todo = [w for w in run.work if w.key not in refused]
    interrupted = _Pool(conn, run, batch, spec, pacer, counts).run(todo)
    return interrupted, pacer.to_dict() if pacer is not None else {}


class _Pool:
    def __init__(self, conn: Connection, run: Batch, batch: str, spec: EngineSpec, pacer: Pacer | None, counts: dict[str, int]) -> None:
        self.conn, self.run_, self.batch, self.spec, self.counts = conn, run, batch, spec, counts
        self.desk = Desk(conn.client, batch, run.state, pacer, run.on_warning)
        self.futures: dict[Future, Work] = {}
        self.sent: dict[str, float] = {}
        self.workers: dict[str, int] = {}
        self.workers_at = 0.0
        self.alone = False  # the scheduler has no workers (said once, until one comes)
        self.wake = threading.Event()

    def run(self, todo: list[Work]) -> bool:
        queue = deque(todo)
        interrupted = False
        try:
            while queue or self.futures:
                if self.run_.cancel.is_set():
                    raise KeyboardInterrupt
                if self.desk.lost is not None:
                    raise SubtoolError(f"lost the Dask scheduler at {self.conn.address} ({type(self.desk.lost).__name__})",
                                       hint="Run the batch again with --resume when the scheduler is back")
                self._fill(queue)
                self._settle_done()
                self._event()
                if self.conn.slots is not None:
                    self.conn.slots.sample()
                self.wake.wait(0.2)
                self.wake.clear()
        except KeyboardInterrupt:
            interrupted = True
            self._stop()
        finally:
            self.desk.close()
            self._event(final=True)
        return interrupted

    def _window(self) -> int:
        """Items in flight at once: as the single-process pool (see the module docstring)."""
        threads = sum(self.workers.values()) or 1
        ahead = 2 * self.spec.max_jobs if self.spec.name == "gladia" else len(self.workers)
        return ahead + threads + 1

    def _fill(self, queue: deque[Work]) -> None:
        now = time.monotonic()
        if now - self.workers_at >= WORKERS_EVERY_S or not self.workers:
            self.workers = {addr: max(1, int(w.get("nthreads") or 1)) for addr, w in workers(self.conn.client).items()}
            self.workers_at = now
            if not self.workers and not self.alone and self.run_.on_note is not None:
                self.run_.on_note(f"the Dask scheduler at {self.conn.address} has no workers left: the items wait for one "
                                  f"(dask worker {self.conn.address})")
            self.alone = not self.workers
        client = self.conn.client
        while queue and len(self.futures) < self._window() and self.workers:
            w = queue.popleft()
            task_key = f"subtool-item-{self.batch}-{w.key}"
            task = ItemTask(self.batch, task_key, w.key, w.position, w.item, w.request, w.resumed, self.spec, self.run_.settings.force)
            future = client.submit(run_item, task, key=task_key, pure=False)
            future.add_done_callback(lambda _f: self.wake.set())
            self.futures[future] = w
            self.sent[w.key] = now

    def _settle_done(self) -> None:
        from ..scheduler import settle

        for future in [f for f in self.futures if f.done()]:
            w = self.futures.pop(future)
            result, problem = _outcome(future)
            started = self.desk.started.get(w.key, self.sent.get(w.key, time.monotonic()))
            settle(result, problem, w, self.run_.reports[w.position], self.run_.state, self.run_.cancel, self.counts,
                   time.monotonic() - started)
            self.desk.forget(w.key)

    def _stop(self) -> None:
        """Ctrl-C: stop every item, let them record how far they got, then cancel what is left."""
        from distributed import Event

        self.desk.stopping = True
        self.run_.cancel.set()
        stop = Event(stop_name(self.batch), client=self.conn.client)
        stop.set()
        deadline = time.monotonic() + STOP_GRACE_S
        try:
            while self.futures and time.monotonic() < deadline:
                self._settle_done()
                self.wake.wait(0.2)
                self.wake.clear()
        except KeyboardInterrupt:  # a second Ctrl-C: no more waiting
            pass
        self.conn.client.cancel(list(self.futures))
        self.futures.clear()
        stop.clear()  # the scheduler drops a cleared event nobody waits on

    def _event(self, final: bool = False) -> None:
        on_event = self.run_.on_event
        if on_event is None:
            return
        started = sorted((w for w in self.futures.values() if w.key in self.desk.started), key=lambda w: w.position)
        items = [{"input": self.run_.reports[w.position].input, "stage": self.desk.stages.get(w.key, "starting")} for w in started]
        on_event({"total": len(self.run_.reports), "done": self.counts["done"], "failed": self.counts["failed"],
                  "at_service": self.desk.at_service(), "running": len(started), "items": items, "final": final})


def _outcome(future: Future) -> tuple[dict[str, Any] | None, BaseException | None]:
    """(the item's result, or the problem) from its task's end."""
    if future.status == "finished":
        out = future.result()
        error = out.get("error")
        return (None, error) if error is not None else (out.get("result"), None)
    if future.status == "error":
        exc = future.exception()
        if type(exc).__name__ == "KilledWorker":
            return None, SubtoolError("every worker that ran it died while running it", hint="See the workers' logs (out of memory?)")
        return None, SubtoolError(f"internal error: {type(exc).__name__}: {exc}")
    return None, SubtoolError(f"the Dask scheduler dropped it ({future.status})", hint="Run the batch again with --resume")
