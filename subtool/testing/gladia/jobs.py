"""A job's life: admitted at create (or refused at the concurrency limit), queued, processing,
then done or in error after its latency: ``--latency`` seconds, plus ``--latency-ratio`` seconds
per second of its audio, at least ``--min-latency`` (``config.job_latency``).

- ``--max-concurrent N``: creates beyond N queued+processing jobs get 429 with ``Retry-After``
  (whole seconds until the first running job is due to end, at least one);
- ``--queue``: creates beyond ``--max-concurrent`` are accepted and stay ``queued`` until a slot
  frees (Gladia's documented behaviour; a paid account queues up to 300), instead of 429; a
  job's latency then counts from when it leaves the queue;
- audio longer than the duration limit was accepted at upload; its job ends ``status: "error"``
  with ``error_code: 422`` (the docs say only "longer files give an error"); a remote
  ``audio_url`` that cannot be fetched or decoded ends it with ``error_code: 400`` (the
  callback's "Bad Request" example).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from . import spec
from .config import job_latency
from .records import Job, StoredFile
from .state import State
from .transcripts import transcribe
from .uploads import fetch


class Busy(Exception):
    """A create refused at the concurrency limit (429), with its Retry-After in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def admit(state: State, body: dict[str, Any], stored: StoredFile | None) -> Job:
    """A new job for the create ``body`` (already valid), started; ``Busy`` at the limit."""
    with state.lock:
        limit = state.config.max_concurrent
        queue = state.config.queue
        if limit is not None and state.running() >= limit + (queue or 0):
            what = f"{limit} concurrent jobs and {queue} queued ones are" if queue else f"{limit} concurrent jobs is"
            raise Busy(f"Too many requests: the maximum of {what} reached", busy_wait(state))
        job = Job(str(uuid.uuid4()), time.time(), body, spec.echo(body), stored)
        job.forced_error = state.faults.take_job_error()
        state.jobs[job.id] = job
        state.jobs_created += 1
        state.max_running = max(state.max_running, state.running())
        state.max_queued = max(state.max_queued, state.queued())
    threading.Thread(target=run_job, args=(state, job), name=f"job-{job.id[:8]}", daemon=True).start()
    return job


def busy_wait(state: State) -> int:
    """Retry-After for a create refused at the concurrency limit: until the first running
    job is due to end (its latency), at least a second. Called with ``state.lock`` held."""
    due = [(j.started or j.created) + latency(state, j) for j in state.jobs.values() if j.status in ("queued", "processing")]
    return max(1, math.ceil(min(due, default=0.0) - time.time()))


def latency(state: State, job: Job) -> float:
    """The job's latency under the current settings (its audio's duration, once known)."""
    info = job.file.info if job.file is not None else None
    return job_latency(state.config, info.duration if info is not None else None)


def run_job(state: State, job: Job) -> None:
    """queued -> processing -> done|error, taking its latency from create to the end.
    With ``queue``, a job waits queued while ``max_concurrent`` jobs are processing, and its
    latency counts from when it leaves the queue.

    The latency is read again while waiting, so a runtime change (``{"latency": 0}``) also
    releases the jobs already waiting."""
    _wait_until(state, job, lambda: _queued_part(state, job))
    if not _leave_queue(state, job):
        return
    error: int | None = None
    result: dict[str, Any] | None = None
    try:
        error, result = _work(state, job)
    except Exception:  # noqa: BLE001 - any failure of ours is a job in error, as a service would report
        error = 500
    _wait_until(state, job, lambda: latency(state, job))
    with state.lock:
        job.completed = time.time()
        if error is None:
            job.status, job.result = "done", result
            state.jobs_done += 1
        else:
            job.status, job.error_code = "error", error
            state.jobs_failed += 1


def _queued_part(state: State, job: Job) -> float:
    """How long a job stays ``queued`` before processing: a tenth of the latency, at most 0.5 s."""
    return min(latency(state, job) * 0.1, 0.5)


def _leave_queue(state: State, job: Job) -> bool:
    """Wait for a processing slot and take it; False when the job left ``queued`` otherwise."""
    while True:
        with state.lock:
            if job.status != "queued":
                return False
            cfg = state.config
            if cfg.queue is None or cfg.max_concurrent is None or state.processing() < cfg.max_concurrent:
                job.status = "processing"
                if time.time() - job.created > _queued_part(state, job) + 0.05:  # it waited for a slot
                    job.started = time.time() - _queued_part(state, job)
                state.max_processing = max(state.max_processing, state.processing())
                return True
        time.sleep(0.02)


def _work(state: State, job: Job) -> tuple[int | None, dict[str, Any] | None]:
    """(error code, None) or (None, result) for the job's audio."""
    if job.forced_error is not None:
        return job.forced_error[0], None
    if job.file is None:
        job.file = fetch(state, job.body["audio_url"])
    info = job.file.info if job.file else None
    if job.file is None or info is None:
        return 400, None
    if info.duration > state.config.max_duration:
        return 422, None
    return None, transcribe(state, job, job.file, info)


def _wait_until(state: State, job: Job, offset: Callable[[], float]) -> None:
    while (left := (job.started or job.created) + offset() - time.time()) > 0:
        time.sleep(min(left, 0.1))
