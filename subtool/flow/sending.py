"""Sending audio to a job engine (the Gladia service): as one job, or as pieces sent at once.

An input that may be cut (``transcribe.cut_source``: longer than ``--split`` or than one job
takes) is laid out by ``layout``: how many pieces the free job slots are worth, where they are cut
(after one pass over the input for its silences). Its pieces are then cut from the input by as
many ffmpeg runs at once as there are cores (each holding one of the scheduler's local "ffmpeg"
slots), in order, and each piece's job goes as soon as its audio is ready: the first job runs while
the others are cut. With the language left to detection, the first piece goes alone and the others
wait for the language it was heard in.

Each job's token is recorded in the scheduler's ``JobJournal`` before its create and its id right
after, and a job the journal already holds is polled (found by its token when its id was never
recorded) instead of being paid for again: a batch's ``--resume`` and a single run share this
code. Job slots a split has counted on but not yet taken are held back from other inputs of the
process deciding their own splits (``_PENDING``), so two long inputs starting together do not
both count on every free slot.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engines.base import NOTE, JobEngine
from ..engines.jobs import JobJournal, Run
from ..errors import Interrupted, JobError, ServiceError, SubtoolError
from ..models import Hooks, TranscribeOptions, Transcript
from . import layout as lay
from . import pieces


@dataclass
class Sending:
    """What was sent and what came back: the service's answers (each with its piece's offset and
    span), the bytes uploaded, and the seconds spent cutting the pieces (wall time, from the
    first look for silences to the last piece's file)."""

    raw: list[dict[str, Any]] = field(default_factory=list)
    bytes: int = 0
    cutting: float = 0.0


_PENDING: dict[int, int] = {}  # id(job slots) -> pieces counted on by a split, not yet sent
_PENDING_LOCK = threading.Lock()


def _pending(slots: object, change: int) -> int:
    with _PENDING_LOCK:
        _PENDING[id(slots)] = max(0, _PENDING.get(id(slots), 0) + change)
        return _PENDING[id(slots)]


def min_piece() -> float:
    """The shortest piece a split makes: 5 minutes (``SUBTOOL_SPLIT_MIN_PIECE``, seconds: a test knob)."""
    try:
        return max(1.0, float(os.environ.get("SUBTOOL_SPLIT_MIN_PIECE") or lay.MIN_PIECE_S))
    except ValueError:
        return lay.MIN_PIECE_S


def free_slots(engine: JobEngine) -> int:
    """Job slots neither at the service nor counted on by another input's split."""
    return max(0, engine.slots.limit - engine.slots.in_use - _pending(engine.slots, 0))


def run_jobs(
    engine: JobEngine, audio: Path | str, options: TranscribeOptions, hooks: Hooks, journal: JobJournal, folder: Path,
    sending: Sending, source: pieces.Source | None = None,
) -> Transcript:
    """Send ``audio`` as one job, or ``source`` in pieces (see the module docstring); one transcript."""
    run = engine.new_run(hooks.status)
    run.on_retry = journal.retried
    run.on_progress = hooks.progress
    if hooks.cancel is not None:
        run.cancel = hooks.cancel
    try:
        if source is None:
            return _whole(engine, audio, options, run, journal, sending)
        t0 = time.monotonic()
        layout = choose_layout(engine, source, options, journal, run, hooks)
        sending.cutting = time.monotonic() - t0
        return _in_pieces(engine, source, layout, options, run, journal, folder, sending, hooks)
    except KeyboardInterrupt:
        run.cancel.set()
        raise Interrupted("interrupted while transcribing", job_ids=run.still_open()) from None


def _whole(engine: JobEngine, audio: Path | str, options: TranscribeOptions, run: Run, journal: JobJournal, sending: Sending) -> Transcript:
    job_id, raw = job(engine, audio, options, 0, run, journal)
    sending.raw.append({"offset": 0.0, "job": raw})
    notes: list[str] = []
    transcript = engine.to_transcript(raw, targets=list(options.translate), offset=0.0, job_ids=[job_id], notes=notes)
    for note in notes:
        run.status(NOTE + note)
    return transcript


def job(engine: JobEngine, audio: Path | str, options: TranscribeOptions, piece: int, run: Run, journal: JobJournal) -> tuple[str, dict[str, Any]]:
    """One piece's job, done: the one the journal holds (polled, never paid again), else a new
    one whose token and id the journal records as they are known. A recorded job that ended in
    error at the service, or that it no longer has, is created again."""
    record = journal.recorded(piece)
    job_id = record.job_id if record is not None else None
    if job_id is None and record is not None and record.token:
        job_id = engine.find_job(record.token, record.since)  # a ServiceError when the search fails: never guess
        if job_id is not None:
            journal.submitted(piece, job_id)
    if job_id is not None:
        engine.adopt(job_id, run=run)
        try:
            raw = engine.wait(job_id, run=run)
        except ServiceError as exc:
            if not isinstance(exc, JobError) and exc.code != "http_404":
                raise
            run.status(f"{NOTE}the earlier job {job_id} {'failed at the service' if isinstance(exc, JobError) else 'is gone'}: a new one is made")
        else:
            journal.finished(piece)
            return job_id, raw
    token, since = uuid.uuid4().hex, time.time()
    journal.submitting(piece, token, since)  # recorded before the create: a crash there is resolved by the token
    job_id = engine.submit(audio, options, run=run, token=token)
    journal.submitted(piece, job_id)  # recorded before waiting: from here a crash polls this job
    raw = engine.wait(job_id, run=run)
    journal.finished(piece)
    return job_id, raw


# -- the layout -------------------------------------------------------------------------------------


def choose_layout(engine: JobEngine, source: pieces.Source, options: TranscribeOptions, journal: JobJournal, run: Run,
                  hooks: Hooks) -> lay.Layout:
    """The pieces ``source`` is sent in: a split the journal already holds, else one into the free
    job slots when it is long enough (``layout``), else whole or cut to the limit of one job."""
    first_alone = not options.code_switching and len(options.languages) != 1
    smallest = min_piece()
    recorded = lay.recorded_count(journal, source.length, engine.max_duration, smallest)
    free = free_slots(engine)
    split_after = lay.split_seconds(options.split)
    count, split = recorded, True
    if count is None:
        count = 1
        if journal.recorded(0) is None and split_after is not None and source.length > split_after:
            count = lay.split_count(source.length, free=free, max_duration=engine.max_duration, first_alone=first_alone, min_piece=smallest)
        if count < 2:
            count, split = lay.limit_count(source.length, max_duration=engine.max_duration, chunk_target=engine.chunk_target), False
    if count < 2:
        if split_after is not None and source.length > split_after and recorded is None and journal.recorded(0) is None:
            why = (f"{free} of the {engine.slots.limit} job slots free" if free < 2 else
                   f"the language is left to detection, and its first {lay.clock(smallest)} then the rest would take as long "
                   "(-l LANG splits it)"
                   if first_alone and source.length >= 2 * smallest else f"pieces would be shorter than {lay.clock(smallest)}")
            run.status(f"{NOTE}{lay.clock(source.length)} sent as one job: {why}")
        return lay.Layout(((0.0, source.length),))
    run.status("looking for quiet points to cut at")

    def scan(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
        with hooks.hold("ffmpeg"):
            return pieces.silences(source, windows, run.cancel)

    layout = lay.make_layout(source.length, count, scan, split=split, first_alone=first_alone, diarize=options.diarize,
                             max_duration=engine.max_duration, min_piece=smallest)
    _announce(engine, source, layout, options, free, recorded is not None, run)
    return layout


def _announce(engine: JobEngine, source: pieces.Source, layout: lay.Layout, options: TranscribeOptions, free: int, resumed: bool,
              run: Run) -> None:
    if resumed:
        run.status(f"{NOTE}taking up the {layout.count} pieces an earlier run sent")
    elif layout.split:
        run.status(f"{NOTE}{lay.clock(source.length)} sent as {layout.count} pieces at once ({free} of {engine.slots.limit} job slots free; "
                   "--split off sends it whole)")
    else:
        run.status(f"{NOTE}{lay.clock(source.length)} is over the {lay.clock(engine.max_duration)} limit of one job: cutting at silences")
    if layout.first_alone:
        run.status(f"{NOTE}the first piece ({lay.clock(layout.spans[0][1])}) goes first: the language it is heard in is given to the others")
    if options.diarize:
        run.status(f"{NOTE}--diarize: the pieces overlap by {max(j.overlap for j in layout.junctions):.0f} s at each cut so their speakers "
                   f"can be matched ({layout.overlap_seconds:.0f} s more audio sent and billed)")
    loud = [j for j in layout.junctions if not j.silence]
    if loud and not options.diarize:
        where = ", ".join(lay.clock(j.at) for j in loud[:3]) + (" ..." if len(loud) > 3 else "")
        run.status(f"{NOTE}no silence near {len(loud)} of the cuts ({where}): the pieces overlap by "
                   f"{loud[0].overlap:.0f} s there and each word is kept once")
    run.status(f"sending {layout.count} pieces, at most {engine.slots.limit} at once")


# -- the pieces -------------------------------------------------------------------------------------


class _Language:
    """The options the pieces after the first are sent with, once the first piece's job told
    the language it heard (``first_alone``)."""

    def __init__(self, options: TranscribeOptions) -> None:
        self.options = options
        self.known = threading.Event()

    def wait(self, run: Run) -> TranscribeOptions:
        while not self.known.wait(0.2):
            if run.cancel.is_set():
                raise Interrupted("cancelled")
        return self.options

    def heard(self, engine: JobEngine, raw: dict[str, Any], layout: lay.Layout, run: Run) -> None:
        first = engine.to_transcript(raw, targets=list(self.options.translate), offset=0.0, job_ids=[], notes=[])
        span = f"0:00:00-{lay.clock(layout.spans[0][1])}"
        if first.language:
            given = dataclasses.replace(self.options, languages=[first.language], code_switching=False)
            try:
                engine.check(given)
            except SubtoolError:
                run.status(f"{NOTE}the first piece ({span}) was heard in '{first.language}': the other pieces detect the language themselves")
            else:
                self.options = given
                run.status(f"{NOTE}language detected on the first piece ({span}): {first.language}, given to the other {layout.count - 1}")
        else:
            run.status(f"{NOTE}no speech in the first piece ({span}): the other pieces detect the language themselves")
        self.known.set()


def _in_pieces(
    engine: JobEngine, source: pieces.Source, layout: lay.Layout, options: TranscribeOptions, run: Run, journal: JobJournal,
    folder: Path, sending: Sending, hooks: Hooks,
) -> Transcript:
    count = layout.count
    ready = [threading.Event() for _ in range(count)]
    paths: list[Path | None] = [None] * count
    offsets = [start for start, _end in layout.spans]  # where each piece's first sample is in the input
    results: list[tuple[str, dict[str, Any]] | None] = [None] * count
    errors: list[BaseException] = []
    language = _Language(options) if layout.first_alone else None
    lock = threading.Lock()
    order = iter(range(count))
    started = time.monotonic() - sending.cutting
    progress = hooks.stage("audio")
    cut_seconds = [0.0]
    _pending(engine.slots, count)
    held = [True] * count  # piece i still counts as pending (until its job is sent)
    # The pieces' uploads and waits overlap: how many pieces are done is shown instead.
    report, run.on_progress = run.on_progress, None
    if report is not None:
        report("pieces", 0, count)

    def fail(exc: BaseException) -> None:
        errors.append(exc)
        run.cancel.set()

    def cutter() -> None:
        while not run.cancel.is_set():
            with lock:
                i = next(order, None)
            if i is None:
                return
            try:
                with hooks.hold("ffmpeg"):
                    path, offsets[i] = pieces.cut(source, layout.spans[i], i, folder, run.cancel)
                with lock:
                    paths[i] = path
                    sending.bytes += path.stat().st_size
                    sending.cutting = time.monotonic() - started
                    cut_seconds[0] += layout.spans[i][1] - layout.spans[i][0]
                if progress is not None:
                    progress(min(cut_seconds[0], source.length), source.length)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                fail(exc)
            finally:
                ready[i].set()

    def work(i: int) -> None:
        try:
            while not ready[i].wait(0.2):
                if run.cancel.is_set():
                    raise Interrupted("cancelled")
            path = paths[i]
            if path is None:
                raise Interrupted("cancelled")
            sent = language.wait(run) if language is not None and i > 0 else options
            with lock:
                held[i] = False
            _pending(engine.slots, -1)
            done = results[i] = job(engine, path, sent, layout.base + i, run, journal)
            if report is not None:
                report("pieces", sum(r is not None for r in results), count)
            if language is not None and i == 0:
                language.heard(engine, done[1], layout, run)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            fail(exc)

    cutters = [threading.Thread(target=cutter, daemon=True, name=f"subtool-cut-{k}") for k in range(min(count, os.cpu_count() or 1))]
    workers = [threading.Thread(target=work, args=(i,), daemon=True, name=f"subtool-piece-{i}") for i in range(count)]
    try:
        for t in [*cutters, *workers]:
            t.start()
        for t in [*cutters, *workers]:
            while t.is_alive():
                t.join(0.2)
    finally:
        with lock:
            left = sum(held)
            held[:] = [False] * count
        _pending(engine.slots, -left)
    real = [e for e in errors if not isinstance(e, Interrupted)]
    if real or errors:
        raise (real or errors)[0]
    return _stitched(engine, layout, options, results, offsets, sending, run, source.length)


def _stitched(
    engine: JobEngine, layout: lay.Layout, options: TranscribeOptions, results: list[tuple[str, dict[str, Any]] | None],
    offsets: list[float], sending: Sending, run: Run, length: float,
) -> Transcript:
    parts: list[Transcript] = []
    notes: list[str] = []
    for i, ((start, end), offset) in enumerate(zip(layout.spans, offsets, strict=True)):
        done = results[i]
        assert done is not None
        job_id, raw = done
        sending.raw.append({"offset": offset, "span": [start, end], "job": raw})
        part = engine.to_transcript(raw, targets=list(options.translate), offset=offset, job_ids=[job_id], notes=notes)
        if not part.utterances:
            notes.append(f"no speech found in {lay.clock(start)}-{lay.clock(end)} (piece {i + 1} of {layout.count})")
        parts.append(part)
    transcript = pieces.stitch(parts, layout, offsets=offsets, duration=length, notes=notes)
    for note in dict.fromkeys(notes):
        run.status(NOTE + note)
    return transcript
