"""A batch's pace at the service: 429 answers lower the job-slot limit, successful creates raise
it again; the report says how it went. The limiter is the engine's (one process's ``JobSlots``) or,
on a Dask cluster, the account's semaphore seen from the batch's client (``cluster.slots``): the
workers tell the client of each create and 429, and the client paces the limit they all share."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..engines.jobs import SlotLimiter
from ..errors import RateLimitError, SubtoolError


class Pacer:
    """429 answers lower the engine's job-slot limit by one (at most once a second); each run of
    ``limit`` successful creates raises it again by one, up to ``max_jobs``."""

    def __init__(self, slots: SlotLimiter, max_jobs: int) -> None:
        self.slots = slots
        self.max_jobs = max_jobs
        self.lock = threading.Lock()
        self.rate_limited = 0
        self.lowest = slots.limit
        self.changes: list[tuple[float, int]] = []
        self._streak = 0
        self._last_cut = 0.0
        self._t0 = time.monotonic()

    def on_retry(self, error: SubtoolError) -> None:
        if not isinstance(error, RateLimitError):
            return
        with self.lock:
            self.rate_limited += 1
            self._streak = 0
            now = time.monotonic()
            if self.slots.limit > 1 and now - self._last_cut >= 1.0:
                self._last_cut = now
                self._set(self.slots.limit - 1)

    def created(self) -> None:
        with self.lock:
            self._streak += 1
            if self.slots.limit < self.max_jobs and self._streak >= self.slots.limit:
                self._streak = 0
                self._set(self.slots.limit + 1)

    def _set(self, limit: int) -> None:
        self.slots.limit = limit
        self.lowest = min(self.lowest, limit)
        self.changes.append((round(time.monotonic() - self._t0, 2), limit))

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_jobs": self.max_jobs,
            "rate_limited": self.rate_limited,
            "lowest_limit": self.lowest,
            "final_limit": self.slots.limit,
            "peak_jobs": self.slots.peak,
            "limit_changes": [{"at_s": t, "limit": n} for t, n in self.changes],
        }
