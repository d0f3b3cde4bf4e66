"""One batch item through the stages of ``subtool.flow``, from the stage its state records.

The item's worker plans it (probe, URL resolution, outputs: the first jobs start while later
items are still probed), fetches it, transcribes it (its jobs recorded in the state by a
``StateJournal``), writes and delivers it, committing each change of stage. What an earlier
attempt paid for is not paid again: a transcript in the row is used as it is, a recorded job is
polled. Local work holds the batch's slots: ffmpeg (audio extraction, mux, burn) one of
``local_jobs`` (the machine's cores), the offline model one of its own (loaded once; two
transcriptions at a time would only split the same cores), so while some items wait on the
service others extract their audio or are muxed. On a Dask cluster the same worker runs on the
cluster's workers (``cluster.task``), one per item, its row recorded through the batch's client.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..engines.base import Engine
from ..errors import Interrupted, UsageError
from ..flow import plan as stage
from ..flow.deliver import deliver
from ..flow.fetch import fetch
from ..flow.preview import preview
from ..flow.transcribe import transcribe
from ..flow.write import write
from ..models import Hooks, Plan, Transcribed
from ..outputs import remove_stale_parts
from .journal import Pace, StateJournal
from .manifest import Item
from .state import Recorder, row_transcript


@dataclass
class Work:
    key: str
    position: int
    item: Item
    request: stage.Request
    resumed: bool  # started by an earlier run: its own outputs may exist
    plan: Plan | None = None  # made by the worker (it probes the media)


class LocalSlots:
    """The machine's slots for local work: ffmpeg (an extraction, a mux, a burn) ``local_jobs`` at
    once (its cores), ffprobe twice that (lighter, and it partly waits on the disk), the offline
    model one at a time (loaded once; two transcriptions at once would only split the same cores).
    One per process, shared by every item running there."""

    def __init__(self, local_jobs: int) -> None:
        self.size = max(1, local_jobs)
        self.local = threading.BoundedSemaphore(self.size)
        self.probe = threading.BoundedSemaphore(2 * self.size)
        self.model = threading.BoundedSemaphore(1)

    @contextlib.contextmanager
    def _held(self, sem: threading.BoundedSemaphore, cancel: threading.Event) -> Iterator[None]:
        while not sem.acquire(timeout=0.2):
            if cancel.is_set():
                raise Interrupted("cancelled")
        try:
            yield
        finally:
            sem.release()

    def held(self, kind: str, cancel: threading.Event) -> contextlib.AbstractContextManager[None]:
        """A slot for local work of ``kind`` ("ffmpeg" or "model"), as the stages ask for one."""
        return self._held(self.model if kind == "model" else self.local, cancel)

    def probing(self, cancel: threading.Event) -> contextlib.AbstractContextManager[None]:
        return self._held(self.probe, cancel)


class Worker:
    """What an item's worker needs: where it records its row, the engine, the machine's local
    slots, the pacing, the cancel flag. One serves every item of a batch in one process; on a Dask
    cluster each item has its own (its row recorded through the client, its own cancel flag),
    sharing its worker process's slots."""

    def __init__(self, state: Recorder, engine: Engine, *, slots: LocalSlots, pacer: Pace | None, force: bool,
                 cancel: threading.Event, on_warning: Callable[[str], None] | None) -> None:
        self.state = state
        self.engine = engine
        self.force = force
        self.cancel = cancel
        self.on_warning = on_warning
        self.slots = slots
        self.local_jobs = slots.size
        self.pacer = pacer
        self.lock = threading.Lock()
        self.at_service: set[str] = set()
        self.active: set[str] = set()
        self.stages: dict[str, str] = {}  # what each running item is doing ("audio", "upload", "processing"...), for the live table

    # -- slots -------------------------------------------------------------------------------

    def held(self, kind: str) -> contextlib.AbstractContextManager[None]:
        """A slot for local work of ``kind`` ("ffmpeg" or "model"), as the stages ask for one."""
        return self.slots.held(kind, self.cancel)

    def probing(self) -> contextlib.AbstractContextManager[None]:
        return self.slots.probing(self.cancel)

    def hooks(self, key: str | None = None) -> Hooks:
        def progress(stage: str, _done: float, _total: float | None) -> None:
            if key is not None:
                self.stages[key] = stage

        return Hooks(warning=self.on_warning or (lambda _line: None), cancel=self.cancel, local=self.held, progress=progress)

    # -- one item ----------------------------------------------------------------------------

    def plan(self, w: Work) -> Plan:
        """The media checks of one item (``flow.plan``), by its worker."""
        try:
            return stage.plan(w.item.input, w.request, self.engine)[0]
        except UsageError as exc:
            if exc.code == "playlist":  # one video per item: its state, job and outputs are the item's
                raise UsageError(exc.message, path=exc.path, hint="List each video of the playlist as its own item") from None
            raise

    def process(self, w: Work, row: dict[str, Any]) -> dict[str, Any]:
        """Take the item from its recorded stage to done; the values recorded at the end."""
        with self.lock:
            self.active.add(w.key)
        try:
            return self._process(w, row)
        finally:
            with self.lock:
                self.active.discard(w.key)
                self.at_service.discard(w.key)
                self.stages.pop(w.key, None)

    def _process(self, w: Work, row: dict[str, Any]) -> dict[str, Any]:
        assert w.plan is not None
        plan, hooks = w.plan, self.hooks(w.key)
        self.state.set(w.key, attempts=(row.get("attempts") or 0) + 1, started=time.time(), error=None, exit_code=None)
        resumed = w.resumed or row["stage"] != "pending"
        with fetch(plan, self.engine, hooks) as fetched:
            plan = fetched.plan  # a URL's reused subtitles are files from here on
            transcribed = self._earlier(row) if row["stage"] != "pending" else None
            if transcribed is None:
                self.state.set(w.key, stage="audio")
                journal = StateJournal(self.state, w.key, row, self.pacer, self.at_service, self.lock)
                transcribed = transcribe(fetched, self.engine, hooks, journal=journal)
                self.state.set(w.key, stage="transcribed", transcript=json.dumps(transcribed.transcript.to_dict(), ensure_ascii=False))
            if resumed:  # a killed run may have left temporary files of this item's outputs
                remove_stale_parts(plan.stem.parent, plan.stem.name)
                if plan.output is not None:
                    remove_stale_parts(plan.output.parent, plan.output.stem)
            written = write(plan, transcribed, hooks, force=self.force or resumed)
            self.state.set(w.key, stage="written", outputs=json.dumps(written.files))
            if self.cancel.is_set():
                raise Interrupted("cancelled")
            delivered = deliver(fetched, transcribed, written, hooks, force=self.force or resumed)
            if plan.delivery.kind != "sidecars":
                self.state.set(w.key, stage="delivered", output=str(delivered.output) if delivered.output else None)
            page = preview(fetched, transcribed, written, delivered, hooks, force=self.force or resumed)
            files = [*written.files, *(page.files if page else [])]
            if page is not None:  # a resumed batch's index finds the page of an item done earlier
                self.state.set(w.key, outputs=json.dumps(files))
        languages = list(dict.fromkeys([*transcribed.transcript.all_languages(), *plan.reused_languages]))
        output = str(delivered.output) if delivered.output else None
        return {"languages": languages, "outputs": files, "output": output, "burned": delivered.burned,
                "violations": [p.to_dict() for p in written.problems], "reused": {r.language: r.describe() for r in plan.reused}}

    def _earlier(self, row: dict[str, Any]) -> Transcribed | None:
        """The transcript an earlier attempt paid for (a bad preset or a full disk failed the item
        after it), used as it is."""
        transcript = row_transcript(row)
        if transcript is None:
            return None
        return Transcribed(transcript, transcript.engine or self.engine.name, cached=False, audio_bytes=0)
