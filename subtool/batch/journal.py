"""A batch item's ``JobJournal``: each job's token and id committed to the batch's state as they
are known (the token before the create, the id right after it, before waiting), so ``--resume``
polls a job instead of paying for it again; and what the batch learns on the way (a create, a
429, a job at the service) for its pacing and its progress line. On a Dask cluster the same
journal runs on the worker, over a ``Recorder`` that sends each change to the batch's client and
returns once the client has committed it (``cluster.link``)."""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol

from ..engines.jobs import JobRecord
from ..errors import SubtoolError
from .state import Recorder, row_jobs


class Pace(Protocol):
    """What the journal tells the batch's pacing (``pacing.Pacer``, or a cluster worker's link)."""

    def created(self) -> None: ...

    def on_retry(self, error: SubtoolError) -> None: ...


class StateJournal:
    def __init__(self, state: Recorder, key: str, row: dict[str, Any], pacer: Pace | None, at_service: set[str], lock: threading.Lock) -> None:
        self.state = state
        self.key = key
        self.jobs = row_jobs(row)
        self.pacer = pacer
        self.at_service = at_service
        self.lock = lock
        self.waiting: set[int] = set()

    def recorded(self, piece: int) -> JobRecord | None:
        job = self.jobs.get(piece)
        if not job:
            return None
        return JobRecord(job.get("token"), job.get("job_id"), job.get("since"))

    def submitting(self, piece: int, token: str, since: float) -> None:
        self.jobs[piece] = {"token": token, "job_id": None, "since": since}
        self._commit("submitting")

    def submitted(self, piece: int, job_id: str) -> None:
        self.jobs.setdefault(piece, {})["job_id"] = job_id
        self._commit("submitted")
        if self.pacer is not None:
            self.pacer.created()
        with self.lock:
            self.waiting.add(piece)
            self.at_service.add(self.key)

    def finished(self, piece: int) -> None:
        with self.lock:
            self.waiting.discard(piece)
            if not self.waiting:
                self.at_service.discard(self.key)

    def retried(self, error: SubtoolError) -> None:
        if self.pacer is not None:
            self.pacer.on_retry(error)

    def _commit(self, stage: str) -> None:
        first = self.jobs.get(min(self.jobs)) if self.jobs else {}
        ids = [str(j["job_id"]) for _, j in sorted(self.jobs.items()) if j.get("job_id")]
        self.state.set(self.key, stage=stage, token=(first or {}).get("token"), job_id=",".join(ids) or None,
                       jobs=json.dumps({str(k): v for k, v in self.jobs.items()}))
