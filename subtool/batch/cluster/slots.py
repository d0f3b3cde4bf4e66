"""The account's job slots on a Dask cluster: one named ``distributed.Semaphore`` per API URL and
key fingerprint, so the jobs at the service across every worker, and across every batch that
shares the scheduler, never exceed ``--max-jobs``.

The name holds the API URL as messages show it (a password hidden) and a fingerprint of the key
(16 hex digits of a SHA-256 over it): two batches of one account meet on one semaphore, the key
never leaves the processes that read it from their environment. Dask fixes a semaphore's size
when it is first registered: a batch that asks another size for the same account is refused
rather than let the two limits add up. A lease is kept alive by the process that holds it; a
worker that dies gives its leases back once ``distributed.scheduler.locks.lease-timeout`` passes
(30 s by default) without it.

``ClusterSlots`` is the ``SlotLimiter`` the engine is given (``engines.jobs``): one per item on a
worker (what an item still holds when it ends, a job whose wait never began, is given back; a
lease just obtained is kept only if the item is still wanted, asked of the scheduler then: an item
stopped on another worker gives back the lease of a job still running at the service, and that
lease must not become a create after the stop), one
on the batch's client for the pacing: lowering ``limit`` there takes leases out of use (held by
the client) so the workers' creates slow down together; ``peak`` is sampled from the scheduler.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...errors import Interrupted, UsageError

if TYPE_CHECKING:
    from distributed import Client, Semaphore

POLL_S = 0.5  # how often a wait for a lease looks at the cancel flag


def fingerprint(key: str) -> str:
    """What names an API key in shared places: 16 hex digits of a SHA-256 over it (never the key)."""
    return hashlib.sha256(b"subtool job slots\0" + key.encode("utf-8", "replace")).hexdigest()[:16]


def account_name(shown_url: str, key: str) -> str:
    """The semaphore's name for the account of ``key`` at ``shown_url`` (a URL without its password)."""
    return f"subtool-jobs {shown_url} key {fingerprint(key)}"


def env_account() -> str | None:
    """This process's account, from GLADIA_API_KEY and GLADIA_API_URL; None without a key."""
    from ...engines.gladia.request import check_api_url, redact_url
    from ...engines.gladia.service import DEFAULT_API_URL

    key = os.environ.get("GLADIA_API_KEY", "")
    if not key.strip():
        return None
    url = check_api_url(os.environ.get("GLADIA_API_URL") or DEFAULT_API_URL, variable="GLADIA_API_URL").rstrip("/")
    return account_name(redact_url(url), key)


def semaphore(name: str, max_jobs: int, client: Client | None = None) -> Semaphore:
    """The account's semaphore, registered with the scheduler (``client`` on the batch's client;
    None on a worker, which uses its own connection)."""
    from distributed import Semaphore

    sem = Semaphore(max_leases=max_jobs, name=name) if client is None else \
        Semaphore(max_leases=max_jobs, name=name, scheduler_rpc=client.scheduler, loop=client.loop)
    try:
        sem.register()
    except ValueError as exc:
        raise UsageError(
            f"another batch on this Dask scheduler keeps this Gladia account to a different number of jobs at once ({exc})",
            hint=f"Give every batch of the account the same --max-jobs (the scheduler keeps the first one, {name!r}, until it restarts)",
        ) from None
    return sem


class ClusterSlots:
    """A ``SlotLimiter`` over the account's semaphore (see the module docstring)."""

    def __init__(self, sem: Semaphore, max_jobs: int, wanted: Callable[[], bool] | None = None) -> None:
        self.sem = sem
        self.wanted = wanted
        self.max_jobs = max(1, max_jobs)
        self.peak = 0
        self.held = 0  # leases this limiter holds for jobs
        self.reserved = 0  # leases held back by the pacing
        self._target = 0
        self._cond = threading.Condition()
        self._closed = False
        self._pacer: threading.Thread | None = None

    @property
    def limit(self) -> int:
        return self.max_jobs - self._target

    @limit.setter
    def limit(self, value: int) -> None:
        with self._cond:
            self._target = min(self.max_jobs - 1, max(0, self.max_jobs - value))
            if self._pacer is None and self._target:
                self._pacer = threading.Thread(target=self._hold_back, daemon=True, name="subtool-slot-pacing")
                self._pacer.start()
            self._cond.notify_all()

    def acquire(self, cancel: threading.Event | None = None) -> None:
        while not self.sem.acquire(timeout=POLL_S):
            if cancel is not None and cancel.is_set():
                raise Interrupted("cancelled while waiting for a job slot")
        with self._cond:
            self.held += 1
            self.peak = max(self.peak, self.held)
        # Asked again once the lease is held: an item stopped elsewhere gave back a lease its job still
        # runs on, and a worker learns of a stop only every half second; no create may follow a stop.
        if (cancel is not None and cancel.is_set()) or (self.wanted is not None and not self.wanted()):
            self.release()
            if cancel is not None:
                cancel.set()
            raise Interrupted("cancelled while waiting for a job slot")

    def release(self) -> None:
        with self._cond:
            if self.held == 0:
                return
            self.held -= 1
        self.sem.release()

    @property
    def in_use(self) -> int:
        """The account's jobs at the service now (what a split counts its free slots from); the
        leases this process holds when the scheduler cannot be asked."""
        try:
            return self.sample()
        except Exception:  # noqa: BLE001 - the scheduler out of reach for now: the item's own calls will say
            return self.held

    def sample(self) -> int:
        """The account's jobs at the service now, as the scheduler counts them (without the leases
        the pacing holds back); ``peak`` keeps the most seen."""
        in_use = max(0, int(self.sem.get_value()) - self.reserved)
        self.peak = max(self.peak, in_use)
        return in_use

    def close(self) -> None:
        """Give back every lease still held (a job whose wait never began; the pacing's)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            pacer, self._pacer = self._pacer, None
        if pacer is not None:
            pacer.join(2 * POLL_S + 5)
        with self._cond:
            leases, self.held, self.reserved = self.held + self.reserved, 0, 0
        for _ in range(leases):
            self.sem.release()

    def _hold_back(self) -> None:
        """The pacing: hold leases back until ``reserved`` meets the target, give them back as it
        falls (a lease held back waits for a job to end, as a create would)."""
        while True:
            with self._cond:
                if self._closed:
                    return
                want = self._target - self.reserved
                if want == 0:
                    self._cond.wait(POLL_S)
                    continue
                if want < 0:
                    self.reserved -= 1
            if want < 0:
                self.sem.release()
            elif self.sem.acquire(timeout=POLL_S):
                with self._cond:
                    self.reserved += 1
