"""Faults on request: one-shot HTTP statuses and dropped connections before a request is carried
out, lost replies after it is, jobs that end in error, and the per-key rate limit.

- ``--fail``/``{"endpoint", "status"}``: the next requests of an endpoint get that status (with
  ``retry_after``, a ``Retry-After``) without being carried out; ``--drop``/``{"drop": N}``
  closes the connection instead;
- ``--lose-reply ENDPOINT[:COUNT[:STATUS]]``: the request is carried out, then its answer is lost
  (the connection dropped, or STATUS sent instead), as after a timeout, a gateway 5xx or a reset;
- ``--job-error CODE[:COUNT]``: the next jobs end ``status: "error"`` with that code;
- ``--rate-limit N/s`` (or ``N/min``): requests beyond that per key get 429 with Retry-After
  (whole seconds until the window frees a request), on every endpoint, polling included.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any

from .config import ENDPOINTS, Config


class Faults:
    """Pending one-shot faults: per endpoint a queue of HTTP statuses or drops (before the request
    is carried out), a queue of lost replies (after it is); job errors."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.http: dict[str, list[int | None]] = {}  # None = drop the connection
        self.retry_after: dict[str, list[int | None]] = {}  # the Retry-After of each queued status
        self.lost: dict[str, list[int | None]] = {}  # None = drop the connection after acting
        self.job_errors: list[tuple[int, str]] = []

    def add_http(self, endpoint: str, status: int | None, count: int, retry_after: int | None = None) -> None:
        with self.lock:
            self.http.setdefault(endpoint, []).extend([status] * count)
            self.retry_after.setdefault(endpoint, []).extend([retry_after] * count)

    def add_lost(self, endpoint: str, status: int | None, count: int) -> None:
        with self.lock:
            self.lost.setdefault(endpoint, []).extend([status] * count)

    def take_lost(self, endpoint: str) -> tuple[bool, int | None]:
        with self.lock:
            queue = self.lost.get(endpoint)
            if queue:
                return True, queue.pop(0)
            return False, None

    def add_job_error(self, code: int, count: int, message: str) -> None:
        with self.lock:
            self.job_errors.extend([(code, message)] * count)

    def take_http(self, endpoint: str) -> tuple[bool, int | None, int | None]:
        with self.lock:
            queue = self.http.get(endpoint)
            if queue:
                waits = self.retry_after.get(endpoint) or [None]
                return True, queue.pop(0), waits.pop(0)
            return False, None, None

    def take_job_error(self) -> tuple[int, str] | None:
        with self.lock:
            return self.job_errors.pop(0) if self.job_errors else None

    def clear(self) -> None:
        with self.lock:
            self.http.clear()
            self.retry_after.clear()
            self.lost.clear()
            self.job_errors.clear()


def install_faults(faults: Faults, body: dict[str, Any]) -> str | None:
    """Queue the faults of a ``POST /_emulator/faults`` body; a message when the endpoint is
    unknown (KeyError, TypeError, ValueError are the caller's to report)."""
    if "endpoint" in body:
        endpoint = body["endpoint"]
        if endpoint not in ENDPOINTS:
            return f"endpoint must be one of {', '.join(ENDPOINTS)}"
        if "lose_reply" in body:
            status = body.get("status")
            faults.add_lost(endpoint, int(status) if status is not None else None, int(body["lose_reply"]))
        elif "drop" in body:
            faults.add_http(endpoint, None, int(body["drop"]))
        else:
            wait = body.get("retry_after")
            faults.add_http(endpoint, int(body["status"]), int(body.get("count", 1)), int(wait) if wait is not None else None)
    if "job_error" in body:
        je = body["job_error"]
        faults.add_job_error(int(je.get("code", 500)), int(je.get("count", 1)), str(je.get("message", "Internal Server Error")))
    return None


class RateLimiter:
    """Requests per key within a sliding window, under the limit ``config.rate_limit`` holds at
    the time of each request (it may change at runtime)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.recent: dict[str, deque[float]] = {}  # per key: accepted request times

    def wait(self, key: str) -> int | None:
        """None when a request with ``key`` may go on (it is counted), else the whole seconds until
        the rate limit's window frees one (Retry-After)."""
        limit = self.config.rate_limit
        if limit is None:
            return None
        count, window = limit
        now = time.monotonic()
        with self.lock:
            times = self.recent.setdefault(key, deque())
            while times and now - times[0] >= window:
                times.popleft()
            if len(times) >= count:
                return max(1, math.ceil(times[0] + window - now))
            times.append(now)
            return None
