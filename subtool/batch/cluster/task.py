"""One batch item on a Dask worker: the same ``batch.worker.Worker`` through the stages, its row
recorded through the batch's client (``link``), its engine built here.

The engine comes from the worker's own environment (GLADIA_API_KEY, GLADIA_API_URL): a task
carries the engine's name and options and the account's name (a URL without its password and a
fingerprint of the key), never a secret, and a worker whose account differs is refused. The
task leaves the worker's thread pool as it starts (``distributed.secede``): an item spends most
of its time waiting on the service, which should not hold a thread. Its local steps take one of
the process's ``LocalSlots``, as many as the worker's threads (by default its cores), shared by
every item on the worker whatever its batch; the offline model is loaded once per process.

An item stops when its batch is stopped (Ctrl-C on the client sets a distributed ``Event``) or
its client is gone (the scheduler forgets a dead client's tasks): a thread per batch and process
looks at both twice a second, so a killed client's items make no new job once ``--resume``
starts. The task never raises: its result, or the error, is its return value (Dask would log a
failed task with its arguments, and an input URL may hold a password).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...engines.base import Engine
from ...errors import AuthError, SubtoolError, UsageError
from ...flow import plan as stage
from ..manifest import Item
from ..worker import LocalSlots, Work, Worker
from .link import Link, stop_name
from .slots import ClusterSlots, env_account, semaphore

if TYPE_CHECKING:
    from distributed import Client, Semaphore

WATCH_S = 0.5  # how often a worker looks whether its items' batch was stopped or its client is gone


@dataclass(frozen=True)
class EngineSpec:
    """The engine as a task carries it: no secret (see the module docstring)."""

    name: str  # "gladia" or "local"
    model: str | None
    threads: int | None
    max_jobs: int
    account: str | None  # the account's semaphore name as the client sees it (gladia)


@dataclass(frozen=True)
class ItemTask:
    batch: str  # the run's id: names its queues
    task_key: str  # the Dask key of this task
    key: str  # the item's key in the state
    position: int
    item: Item
    request: stage.Request
    resumed: bool
    engine: EngineSpec
    force: bool


class Watch:
    """A batch's items on this worker process, and whether each should stop."""

    def __init__(self, client: Client, batch: str) -> None:
        from distributed import Event

        self.client = client
        self.stop = Event(stop_name(batch), client=client)
        self.items: dict[str, tuple[threading.Event, Callable[[], None]]] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def add(self, task_key: str, cancel: threading.Event, wake: Callable[[], None]) -> None:
        """Watch an item: set ``cancel`` and call ``wake`` when it should stop."""
        with self.lock:
            self.items[task_key] = (cancel, wake)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, daemon=True, name="subtool-batch-watch")
                self.thread.start()

    def wanted(self, task_key: str) -> bool:
        """Whether the item should go on, asked of the scheduler now (see ``slots``)."""
        if self.stop.is_set():
            return False
        states = self.client.sync(self.client.scheduler.get_task_status, keys=[task_key])
        return bool(states.get(task_key) == "processing")

    def discard(self, task_key: str) -> None:
        with self.lock:
            self.items.pop(task_key, None)

    def _run(self) -> None:
        while True:
            with self.lock:
                items = dict(self.items)
                if not items:
                    self.thread = None
                    return
            try:
                stopped = bool(self.stop.is_set())
                states = self.client.sync(self.client.scheduler.get_task_status, keys=list(items))
            except Exception:  # noqa: BLE001 - the scheduler out of reach for now: the items' own calls will say
                stopped, states = False, dict.fromkeys(items, "processing")
            for task_key, (cancel, wake) in items.items():
                if (stopped or states.get(task_key) != "processing") and not cancel.is_set():  # forgotten: its client is gone
                    cancel.set()
                    wake()
            time.sleep(WATCH_S)


class _Here:
    """What every item on this worker process shares: the local slots, the offline engine, the
    account's semaphore, the watches."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slots: LocalSlots | None = None
        self.engines: dict[tuple[str | None, int | None], Engine] = {}
        self.semaphores: dict[tuple[str, int], Semaphore] = {}
        self.watches: dict[str, Watch] = {}

    def local_slots(self, nthreads: int) -> LocalSlots:
        with self.lock:
            if self.slots is None:
                self.slots = LocalSlots(nthreads)
            return self.slots

    def watch(self, client: Client, batch: str) -> Watch:
        with self.lock:
            if batch not in self.watches:
                self.watches[batch] = Watch(client, batch)
            return self.watches[batch]

    def engine(self, spec: EngineSpec, where: str, nthreads: int, wanted: Callable[[], bool]) -> tuple[Engine, ClusterSlots | None]:
        """The item's engine: Gladia over the account's semaphore (a limiter of its own, so what the
        item still holds at its end is given back), or this process's offline engine (on the
        worker's threads unless --threads says otherwise)."""
        if spec.name != "gladia":
            threads = spec.threads or nthreads
            with self.lock:
                found = self.engines.get((spec.model, threads))
                if found is None:
                    from ...engines import get_engine

                    found = self.engines[(spec.model, threads)] = get_engine(spec.name, model=spec.model, threads=threads)
                return found, None
        account = env_account()
        if account is None:
            raise AuthError(f"worker {where} has no GLADIA_API_KEY in its environment",
                            hint="Start every worker with the client's GLADIA_API_KEY and GLADIA_API_URL")
        if account != spec.account:
            raise UsageError(f"worker {where} uses another Gladia key or API URL than the batch's client",
                             hint="Start every worker with the client's GLADIA_API_KEY and GLADIA_API_URL")
        with self.lock:
            sem = self.semaphores.get((account, spec.max_jobs))
            if sem is None:
                sem = self.semaphores[(account, spec.max_jobs)] = semaphore(account, spec.max_jobs)
        from ...engines.gladia.engine import GladiaEngine

        limiter = ClusterSlots(sem, spec.max_jobs, wanted)
        return GladiaEngine(max_jobs=spec.max_jobs, slots=limiter), limiter


_HERE = _Here()


def _alone(error: SubtoolError) -> SubtoolError:
    """``error`` without the exceptions it was raised from: a worker pickles an exception with
    its context and traceback (tblib's reducers, installed by Dask), and the SDK's own exceptions
    cannot be unpickled on the client (nor should they travel)."""
    error.__cause__ = error.__context__ = None
    error.__traceback__ = None
    return error


def run_item(task: ItemTask) -> dict[str, Any]:
    """The Dask task of one item (see the module docstring): ``{"result": ...}`` as the batch's
    worker returns it, or ``{"error": SubtoolError}``."""
    from distributed import get_client, get_worker, secede

    secede()
    here, dask_worker, client = _HERE, get_worker(), get_client()
    where = str(dask_worker.name) if str(dask_worker.name) != dask_worker.address else dask_worker.address
    cancel = threading.Event()
    link = Link(client, task.batch, task.key, uuid.uuid4().hex[:16], dask_worker.address, cancel)
    watch = here.watch(client, task.batch)
    watch.add(task.task_key, cancel, link.wake)
    limiter: ClusterSlots | None = None
    try:
        row = link.start() or {"stage": "pending", "attempts": 0}
        nthreads = int(dask_worker.state.nthreads)
        engine, limiter = here.engine(task.engine, where, nthreads, lambda: watch.wanted(task.task_key))
        worker = Worker(link, engine, slots=here.local_slots(nthreads), pacer=link if limiter is not None else None,
                        force=task.force, cancel=cancel, on_warning=link.warning)
        w = Work(task.key, task.position, task.item, task.request, task.resumed)
        with worker.probing():
            w.plan = worker.plan(w)
        return {"result": worker.process(w, row)}
    except SubtoolError as exc:
        return {"error": _alone(exc)}
    except Exception as exc:  # noqa: BLE001 - returned, as the module docstring says
        return {"error": SubtoolError(f"internal error on worker {where}: {type(exc).__name__}: {exc}")}
    finally:
        watch.discard(task.task_key)
        if limiter is not None:
            limiter.close()
        link.close()
