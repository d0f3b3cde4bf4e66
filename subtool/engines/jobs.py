"""Jobs that outlive a process: an account's job slots, one transcription's run state, and the
journal a scheduler keeps of each job it pays for.

A service job is paid for when it is created. A ``SlotLimiter`` keeps at most ``--max-jobs`` of
them at the service at once (a job holds a slot from its create until it is seen finished): the
engine takes the one it is given. ``JobSlots`` is the limiter of one process (one per API URL,
shared by the pieces of a long input and by a batch's items); a batch on a Dask cluster gives each
worker's engine one over a named ``distributed.Semaphore`` instead (``batch.cluster.slots``), so
that every worker, and every batch sharing the scheduler, counts against one limit.
``JobJournal`` is how a scheduler learns each job's token before its create and its id right
after, so that a crash at any point is resumed by polling that job (found by its token if its id
was never recorded), never by paying for a new one: the batch keeps it in its SQLite state, a
single run only in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import Interrupted, SubtoolError


class SlotLimiter(Protocol):
    """At most ``limit`` jobs at the service at once. ``acquire`` waits for a slot (raising
    ``Interrupted`` once ``cancel`` is set), ``release`` gives one back; ``limit`` may be lowered
    or raised live (a batch's pacing on 429s); ``in_use`` the jobs holding a slot now (a split
    counts the free ones); ``peak`` is the most slots seen in use at once."""

    limit: int
    peak: int

    @property
    def in_use(self) -> int: ...

    def acquire(self, cancel: threading.Event | None = None) -> None: ...

    def release(self) -> None: ...


class JobSlots:
    """The ``SlotLimiter`` of one process: at most ``limit`` jobs at the service at once; ``limit``
    may be raised or lowered live."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.in_use = 0
        self.peak = 0
        self._cond = threading.Condition()

    def acquire(self, cancel: threading.Event | None = None) -> None:
        with self._cond:
            while self.in_use >= self.limit:
                if cancel is not None and cancel.is_set():
                    raise Interrupted("cancelled while waiting for a job slot")
                self._cond.wait(0.2)
            self.in_use += 1
            self.peak = max(self.peak, self.in_use)

    def release(self) -> None:
        with self._cond:
            self.in_use = max(0, self.in_use - 1)
            self._cond.notify()


_SLOTS: dict[str, JobSlots] = {}
_SLOTS_LOCK = threading.Lock()


def job_slots(api_url: str, max_jobs: int) -> JobSlots:
    """The process-wide limiter for ``api_url``, set to ``max_jobs``."""
    with _SLOTS_LOCK:
        slots = _SLOTS.get(api_url)
        if slots is None:
            slots = _SLOTS[api_url] = JobSlots(max_jobs)
        else:
            slots.limit = max(1, max_jobs)
        return slots


@dataclass
class Run:
    """One transcription's shared state: its deadline, its cancel flag, the jobs it started."""

    until: float
    deadline: float
    cancel: threading.Event = field(default_factory=threading.Event)
    job_ids: list[str] = field(default_factory=list)
    open_jobs: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_status: Callable[[str], None] | None = None
    on_retry: Callable[[SubtoolError], None] | None = None  # a batch paces itself on 429s
    # Progress of the slow parts ("upload": bytes sent of the total; "queued", "processing":
    # seconds a job has been waited for, total None), as ``Hooks.progress`` hears it.
    on_progress: Callable[[str, float, float | None], None] | None = None

    def status(self, line: str) -> None:
        if self.on_status is not None:
            self.on_status(line)

    def progress(self, stage: str, done: float, total: float | None) -> None:
        if self.on_progress is not None:
            self.on_progress(stage, done, total)

    def sleep(self, seconds: float) -> None:
        if self.cancel.wait(max(0.0, seconds)):
            raise Interrupted("cancelled")

    def opened(self, job_id: str) -> None:
        with self.lock:
            if job_id not in self.job_ids:
                self.job_ids.append(job_id)
            self.open_jobs.add(job_id)

    def closed(self, job_id: str) -> None:
        with self.lock:
            self.open_jobs.discard(job_id)

    def still_open(self) -> list[str]:
        with self.lock:
            return sorted(self.open_jobs)


@dataclass(frozen=True)
class JobRecord:
    """What a journal holds of one piece's job: the token its create carried (recorded before the
    create), its id (recorded right after), and when the token was made (epoch seconds)."""

    token: str | None = None
    job_id: str | None = None
    since: float | None = None


class JobJournal(Protocol):
    """A scheduler's record of the jobs it pays for, one per piece of an input (piece 0 for an
    input sent whole). The transcribe stage asks ``recorded`` before creating a job and tells
    every change as it happens; ``retried`` hears each retry of a service call (a batch paces
    itself on 429s)."""

    def recorded(self, piece: int) -> JobRecord | None: ...

    def submitting(self, piece: int, token: str, since: float) -> None: ...

    def submitted(self, piece: int, job_id: str) -> None: ...

    def finished(self, piece: int) -> None: ...

    def retried(self, error: SubtoolError) -> None: ...


class MemoryJournal:
    """The journal of a single run: kept in memory (an interrupted run names its open jobs)."""

    def __init__(self) -> None:
        self.records: dict[int, JobRecord] = {}

    def recorded(self, piece: int) -> JobRecord | None:
        return self.records.get(piece)

    def submitting(self, piece: int, token: str, since: float) -> None:
        self.records[piece] = JobRecord(token, None, since)

    def submitted(self, piece: int, job_id: str) -> None:
        old = self.records.get(piece) or JobRecord()
        self.records[piece] = JobRecord(old.token, job_id, old.since)

    def finished(self, piece: int) -> None:
        return None

    def retried(self, error: SubtoolError) -> None:
        return None
