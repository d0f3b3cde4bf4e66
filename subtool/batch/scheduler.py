"""``run_batch``: many inputs through the stages of ``subtool.flow``, service slots kept full,
resumable, with a report.

One batch at a time holds a state (a second is refused with the first one's pid). A manifest may
come from someone else: its items write only inside its folder or -d unless ``allow_outside``,
and an input outside its folder is said in a note. Two items that would write the same file
(paths compared as the filesystem does) are refused before any job: the later one fails.
``max_download`` bounds a URL item's download (default ``sources.DEFAULT_MAX_DOWNLOAD``).

Every item is checked before any work starts (its options, presets and delivery, where it
writes: ``claims``); an item that fails a check, or fails later, is recorded with its reason and
the others go on. Then a pool of item workers (``worker``): every job slot busy, as many items
again probed and uploaded, waiting for a slot, so that a finished job is replaced at once, plus
the local slots. Items whose jobs an earlier run left at the service go first: they hold slots
the others would wait for. Ctrl-C (or SIGTERM) stops the pool, records what each item reached,
and names the jobs still at the service; ``--resume`` takes them up again. With ``cluster`` or
``workers`` the pool is a Dask cluster's (``batch.cluster``): the same checks, state, items'
worker and report, the items run on the cluster's workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engines.base import Engine, is_job_engine
from ..errors import Interrupted, SubtoolError, UsageError
from ..flow import plan as stage
from ..flow.transcribe import cache_options
from ..models import TranscribeOptions
from ..outputs import write_text
from ..redaction import redact
from .claims import Claims, item_outputs, output_folders, outside
from .manifest import Item, check_columns, delivery_spec, is_url, load
from .pacing import Pacer
from .report import BatchReport, ItemReport
from .state import STAGES, STARTED, STATE_NAME, State, locked, row_outputs, row_transcript, unreadable
from .worker import LocalSlots, Work, Worker

EventCallback = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Settings:
    """What every item of one batch shares (an item's own columns replace its part)."""

    options: TranscribeOptions
    engine: Engine
    max_jobs: int
    profile: str | None
    force: bool
    speaker_labels: bool
    keep_raw: bool
    cookies: str | None
    max_download: int | None
    roots: list[Path] | None  # where a manifest's items may write (None: anywhere)
    preview: bool = False  # each item's review page, and the batch's index.html
    style: Mapping[str, Any] | None = None  # burn style values changed on the command line (subtool.styles)


def run_batch(
    items: str | Path | Iterable[Mapping[str, Any] | str | Path],
    *,
    state_path: str | Path | None = None,
    max_jobs: int = 3,
    resume: bool = False,
    restart: bool = False,
    options: TranscribeOptions | None = None,
    defaults: Mapping[str, Any] | None = None,
    engine: str | Engine = "auto",
    profile: str | None = None,
    force: bool = False,
    speaker_labels: bool = False,
    keep_raw: bool = False,
    local_jobs: int | None = None,
    report_path: str | Path | None = None,
    cookies: str | Path | None = None,
    max_download: int | None = None,
    allow_outside: bool = False,
    preview: bool = False,
    style: Mapping[str, Any] | None = None,
    cluster: str | None = None,
    workers: int | None = None,
    on_event: EventCallback | None = None,
    on_note: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> BatchReport:
    """Run every item (a manifest file, or mappings with its columns, or bare paths and URLs) to
    its subtitles and video. ``options``: the transcription options all items share (an item's
    languages and translate replace theirs); ``defaults`` fill an item's empty columns. The state
    defaults to ``.subtool-batch.sqlite`` in the default outdir, else beside the manifest. A
    manifest's items write only inside its folder or the default outdir unless ``allow_outside``.
    Raises ``UsageError`` (a malformed manifest; a state in use, damaged, foreign, or existing
    without ``resume``/``restart``) and ``Interrupted`` (naming the jobs still at the service);
    an item's own failure is in the report, never raised. ``preview``: each item's review page
    beside its outputs, and ``index.html`` beside the report (else beside the state).
    ``cluster`` (a Dask scheduler's address, or its scheduler file) or ``workers`` (a local
    cluster of that many worker processes) runs the items on Dask (``batch.cluster``; the
    ``subtool[cluster]`` extra)."""
    t0 = time.monotonic()
    if resume and restart:
        raise UsageError("--resume and --restart exclude each other")
    shared = options or TranscribeOptions()
    batch_items, base, default_outdir, roots = loaded(items, defaults, allow_outside)
    state_file = Path(state_path) if state_path is not None else (Path(default_outdir) if default_outdir else base) / STATE_NAME
    _note_reads_outside(batch_items, base, items, on_note)
    notes = (lambda line: on_note(redact(line))) if on_note else None
    if cluster is not None or workers is not None:
        from .cluster import check_request

        check_request(cluster, workers, local_jobs, engine)

    # The engine and the cluster before the state: a batch refused there leaves no state file
    # behind. The engine's notes wait for the state: a state refused is then the only line.
    said: list[str] = []
    eng = _engine(engine, shared, max_jobs, said.append)
    settings = Settings(shared, eng, max_jobs, profile, force, speaker_labels, keep_raw,
                        str(cookies) if cookies is not None else None, max_download, roots, preview, style)
    stop = cancel or threading.Event()
    with contextlib.ExitStack() as stack:
        conn = None
        if cluster is not None or workers is not None:
            from .cluster.connect import connect

            conn = stack.enter_context(connect(cluster, workers, local_jobs, settings, notes))
        stack.enter_context(locked(state_file))
        existing = state_file.exists() and state_file.stat().st_size > 0
        state = State(state_file, restart=restart, on_note=notes)
        stack.callback(state.close)
        if notes:
            for line in said:
                notes(line)
        rows = _earlier_rows(state, resume=resume, restart=restart)
        if resume and not existing and notes:
            notes(f"{state_file}: no earlier state, starting afresh")
        reports, work = _prepare(batch_items, rows, state, settings, notes)
        if conn is not None:
            from .cluster.pool import Batch, schedule

            interrupted, pacing = schedule(conn, Batch(work, reports, state, settings, stop, on_event, on_warning, notes))
        else:
            pacer = Pacer(eng.slots, max_jobs) if is_job_engine(eng) else None
            worker = Worker(state, eng, slots=LocalSlots(local_jobs or max(1, os.cpu_count() or 1)), pacer=pacer, force=force,
                            cancel=stop, on_warning=on_warning)
            interrupted = _schedule(work, reports, state, worker, on_event)
            pacing = pacer.to_dict() if pacer is not None else {}
        return _finish(reports, work, state, eng.name, pacing, t0=t0, report_path=report_path, interrupted=interrupted, preview=preview)


def loaded(items: str | Path | Iterable[Mapping[str, Any] | str | Path], defaults: Mapping[str, Any] | None,
           allow_outside: bool) -> tuple[list[Item], Path, str | None, list[Path] | None]:
    """The batch's items (``defaults`` filling their empty columns), the folder relative paths are
    relative to, the default outdir, and where a manifest's items may write (None: anywhere);
    shared by the batch and its dry run."""
    defaults = dict(defaults or {})
    check_columns(defaults, "the batch defaults")
    batch_items, base = load(items, defaults)
    if not batch_items:
        raise UsageError("no items to run", path=items if isinstance(items, (str, Path)) else None)
    default_outdir = defaults.get("outdir")
    manifest = isinstance(items, (str, Path))
    roots = [base, *([Path(default_outdir).resolve()] if default_outdir else [])] if manifest and not allow_outside else None
    return batch_items, base, default_outdir, roots


def _note_reads_outside(batch_items: list[Item], base: Path, items: object, on_note: Callable[[str], None] | None) -> None:
    """A manifest's item that reads outside the manifest's folder is said."""
    if not isinstance(items, (str, Path)) or on_note is None:
        return
    for item in batch_items:
        if item.input and not is_url(item.input) and outside(Path(item.input), [base]):
            on_note(f"{item.where}: reads {item.input}, outside the manifest's folder {base}")


def _earlier_rows(state: State, *, resume: bool, restart: bool) -> dict[str, dict[str, Any]]:
    rows = state.rows()
    if rows and not resume and not restart:
        raise UsageError(
            f"a batch state with {len(rows)} items already exists",
            path=state.path,
            hint="Pass --resume to go on with it, or --restart to start over (jobs already paid for are then paid again)",
        )
    if restart:
        state.clear()
        return {}
    return rows


def _engine(engine: str | Engine, shared: TranscribeOptions, max_jobs: int, notes: Callable[[str], None] | None) -> Engine:
    from ..engines import get_engine

    eng = engine if not isinstance(engine, str) else get_engine(engine, max_jobs=max_jobs, model=shared.model, threads=shared.threads,
                                                                 on_note=notes)
    stage.check_options(dataclasses.replace(shared, languages=[], translate=[]), eng)
    if is_job_engine(eng):
        eng.slots.limit = max(1, max_jobs)
    return eng


# -- before any work: every item checked ---------------------------------------------------------------


def reason(item: Item, error: SubtoolError) -> str:
    """The error's line, naming the item when the error does not already."""
    line = error.line()
    shown = redact(item.input)
    named = (shown and shown in line) or line.startswith(f"{item.where}:")
    return line if named else f"{shown or item.where}: {line}"


def _item_settings(item: Item, options: TranscribeOptions, profile: str | None, style: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What makes an item what it is (its key is their hash), as stored in the state: a URL's
    password is not part of it (the URL is read from the manifest again on --resume)."""
    settings: dict[str, Any] = {
        "input": redact(item.input),
        "languages": item.languages,
        "translate": item.translate,
        "delivery": item.delivery,
        "burn_language": item.burn_language,
        "output": item.output,
        "outdir": item.outdir,
        "profile": profile,
        "transcription": cache_options(options),
        "formats": list(options.formats),
    }
    if item.replace:  # only when set: the keys of states written before the column existed stay the same
        settings["replace"] = True
    if options.cues != "subtool":  # likewise: another item's files, from the same transcript
        settings["cues"] = options.cues
    if not options.reuse:  # the same: only when reuse is off
        settings["reuse"] = False
    if style and (item.delivery or "").startswith("burn:"):  # a burned picture changed on the command line is another output
        settings["style"] = dict(style)
    return settings


def _key(settings: dict[str, Any]) -> str:
    doc = json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:32]


def _options_for(item: Item, shared: TranscribeOptions) -> TranscribeOptions:
    return dataclasses.replace(shared, languages=list(item.languages or shared.languages), translate=list(item.translate or shared.translate),
                               formats=list(shared.formats), vocabulary=list(shared.vocabulary), cues=item.cues or shared.cues,
                               reuse=shared.reuse if item.reuse is None else item.reuse)


def _request(item: Item, s: Settings, *, resumed: bool) -> stage.Request:
    """The cheap checks, done for every item before any work (languages, formats, presets): the
    item's request for the plan stage, which its worker makes (it probes the media)."""
    if item.error is not None:
        raise item.error
    options = stage.check_options(_options_for(item, s.options), s.engine)
    mux, burn, sidecars = delivery_spec(item.delivery)
    deliv = stage.delivery(mux=mux, burn=burn, sidecars_only=sidecars, burn_language=item.burn_language, replace=item.replace)
    if s.style and deliv.burn is not None:
        from ..styles import override

        deliv = dataclasses.replace(deliv, burn=override(deliv.burn, **s.style))
    return stage.Request(
        options=options, delivery=deliv, profile=s.profile, output=item.output, outdir=item.outdir, force=s.force or resumed,
        keep_raw=s.keep_raw, speaker_labels=s.speaker_labels, cookies=s.cookies, max_download=s.max_download,
        deep=False,  # items are independent: a truncated one is found by its own audio extraction
        preview=s.preview,
    )


@dataclass
class _Row:
    position: int
    item: Item
    key: str
    row: dict[str, Any]
    resumed: bool
    request: stage.Request


def _prepare(
    batch_items: list[Item], rows: dict[str, dict[str, Any]], state: State, s: Settings, notes: Callable[[str], None] | None
) -> tuple[list[ItemReport], list[Work]]:
    """Every item checked and recorded; the work left to do, jobs already at the service first."""
    reports: list[ItemReport] = []
    failures: list[tuple[str, str, int]] = []
    seen: dict[str, str] = {}
    new_rows: list[tuple[str, int, str, str]] = []
    checked: list[_Row] = []
    claims = Claims()  # checked first, then the outputs: items done by an earlier run keep theirs
    for position, item in enumerate(batch_items):
        report = ItemReport(redact(item.input), item.where, "pending")
        reports.append(report)
        settings = _item_settings(item, _options_for(item, s.options), s.profile, s.style)
        key = _key(settings)
        if key in seen:
            report.status, report.exit_code = "failed", 2
            report.error = f"{item.where}: the same input and settings as {seen[key]}"
            continue
        seen[key] = item.where
        new_rows.append((key, position, settings["input"], json.dumps(settings, ensure_ascii=False, default=str)))
        row = _readable(rows.get(key), item, key, state, notes)
        resumed = row is not None and (
            row["stage"] in STARTED or row["stage"] == "done" or (row["stage"] == "failed" and (row.get("attempts") or 0) > 0)
        )
        if row is not None and row["stage"] == "done" and _missing(row):
            row = _redo(row, item, key, state, notes)
        if row is not None and row["stage"] == "done":
            _done_earlier(report, row)
            with contextlib.suppress(SubtoolError):
                request = _request(item, s, resumed=True)
                claims.claim(item_outputs(item, request.options, request.delivery, s.keep_raw), item.where)
            continue
        try:
            request = _request(item, s, resumed=resumed)
        except SubtoolError as exc:
            report.status, report.error, report.exit_code = "failed", reason(item, exc), exc.exit_code
            failures.append((key, report.error, exc.exit_code))
            continue
        checked.append(_Row(position, item, key, row or {"stage": "pending", "attempts": 0}, resumed, request))
    work = _claimed(checked, reports, claims, s, failures)
    state.add_many(new_rows, failures)
    return reports, work


def _readable(row: dict[str, Any] | None, item: Item, key: str, state: State, notes: Callable[[str], None] | None) -> dict[str, Any] | None:
    """One row that cannot be read must not block the batch: it is done again, its job polled
    again by its id when one is known (never created again)."""
    bad = unreadable(row) if row is not None else None
    if row is None or bad is None:
        return row
    again_stage = "transcribed" if row_transcript(row) else "submitted" if row.get("job_id") else "pending"
    if notes:
        again = (
            "its outputs are written again from its transcript" if again_stage == "transcribed"
            else f"its job {row['job_id']} is polled again" if again_stage == "submitted" else "it is run again"
        )
        notes(f"{item.where}: {bad} in the state {state.path} cannot be read; {again}")
    state.set(key, stage=again_stage, transcript=None if bad == "its transcript" else row.get("transcript"), outputs=None)
    return {**row, "stage": again_stage}


def _missing(row: dict[str, Any]) -> list[str]:
    """The outputs a done item recorded that are no longer there (deleted or moved since)."""
    recorded = [*(row_outputs(row) or []), *([row["output"]] if row.get("output") else [])]
    return [f for f in recorded if not Path(f).exists()]


def _redo(row: dict[str, Any], item: Item, key: str, state: State, notes: Callable[[str], None] | None) -> dict[str, Any]:
    """A done item whose outputs are not all there is done again: its outputs made again from
    its recorded transcript (no job bought again), or run again when no transcript is recorded."""
    missing = _missing(row)
    again_stage = "transcribed" if row_transcript(row) is not None else "pending"
    if notes:
        what = f"{missing[0]} is missing" if len(missing) == 1 else f"{missing[0]} and {len(missing) - 1} other outputs are missing"
        again = "its outputs are made again from its recorded transcript (no new job)" if again_stage == "transcribed" else "it is run again"
        notes(f"{item.where}: done earlier, but {what}; {again}")
    state.set(key, stage=again_stage, outputs=None, output=None)
    return {**row, "stage": again_stage}


def _done_earlier(report: ItemReport, row: dict[str, Any]) -> None:
    report.status = "skipped"
    report.outputs = row_outputs(row) or []
    report.output = row["output"]
    report.job_id = row["job_id"]
    transcript = row_transcript(row)
    if transcript is not None:
        report.languages = transcript.all_languages()


def _claimed(checked: list[_Row], reports: list[ItemReport], claims: Claims, s: Settings,
             failures: list[tuple[str, str, int]]) -> list[Work]:
    """Where each checked item writes: inside the manifest's folders, and nothing another item
    writes; the work, items whose jobs are at the service first."""
    work: list[tuple[int, Work]] = []
    for c in checked:
        report = reports[c.position]
        try:
            beyond = sorted(f.resolve() for f in output_folders(c.item) if s.roots is not None and outside(f, s.roots))
            if beyond:
                where = " or the -d folder" if len(s.roots or []) > 1 else ""
                raise UsageError(f"would write into {beyond[0]}, outside the manifest's folder{where}", path=c.item.where,
                                 hint="Pass --allow-outside if the manifest is yours and meant to write there")
            outputs = item_outputs(c.item, c.request.options, c.request.delivery, s.keep_raw)
            clash = claims.clash(outputs)
            if clash is not None:
                raise UsageError(f"would write {clash[0]}, which {clash[1]} also writes", path=c.item.where,
                                 hint="Give one of them another output or outdir")
            claims.claim(outputs, c.item.where)
        except SubtoolError as exc:
            report.status, report.error, report.exit_code = "failed", reason(c.item, exc), exc.exit_code
            failures.append((c.key, report.error, exc.exit_code))
            continue
        first = 0 if c.row["stage"] in ("submitted", "submitting") and c.row.get("job_id") else 1
        work.append((first, Work(c.key, c.position, c.item, c.request, c.resumed)))
    work.sort(key=lambda pair: pair[0])
    return [w for _, w in work]


# -- the pool -----------------------------------------------------------------------------------------


def _schedule(work: list[Work], reports: list[ItemReport], state: State, worker: Worker, on_event: EventCallback | None) -> bool:
    """Run every item's worker; True when interrupted."""
    rows = state.rows()
    gladia = is_job_engine(worker.engine)
    max_jobs = worker.pacer.max_jobs if isinstance(worker.pacer, Pacer) else 1
    size = (2 * max_jobs if gladia else 1) + worker.local_jobs + 1
    by_key = {w.key: w for w in work}
    counts = {"done": sum(1 for r in reports if r.status == "skipped"), "failed": sum(1 for r in reports if r.status == "failed")}
    starts: dict[str, float] = {}

    def one(w: Work) -> dict[str, Any]:
        if worker.cancel.is_set():
            raise Interrupted("cancelled")
        starts[w.key] = time.monotonic()
        if w.plan is None:
            with worker.probing():
                w.plan = worker.plan(w)
        return worker.process(w, rows[w.key])

    def event(final: bool = False) -> None:
        if on_event is None:
            return
        with worker.lock:
            at_service, active = len(worker.at_service), len(worker.active)
            running = [{"input": reports[by_key[k].position].input, "stage": worker.stages.get(k, "starting")}
                       for k in sorted(worker.active, key=lambda k: by_key[k].position) if k in by_key]
        on_event({"total": len(reports), "done": counts["done"], "failed": counts["failed"], "at_service": at_service,
                  "running": active, "items": running, "final": final})

    pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="subtool-batch")
    futures: dict[Future[dict[str, Any]], str] = {}
    interrupted = False
    try:
        for w in work:
            futures[pool.submit(one, w)] = w.key
        pending = set(futures)
        while pending:
            if worker.cancel.is_set():
                raise KeyboardInterrupt
            for f in [f for f in list(pending) if f.done()]:
                pending.discard(f)
                w = by_key[futures[f]]
                problem = f.exception()
                settle(None if problem is not None else f.result(), problem, w, reports[w.position], state, worker.cancel, counts,
                        time.monotonic() - starts.get(w.key, time.monotonic()))
            event()
            if pending:
                wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
    except KeyboardInterrupt:
        interrupted = True
        worker.cancel.set()
        for f in futures:
            f.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    event(final=True)
    return interrupted


def settle(result: dict[str, Any] | None, problem: BaseException | None, w: Work, report: ItemReport, state: State,
            cancel: threading.Event, counts: dict[str, int], seconds: float) -> None:
    """Record how one item's worker ended: its result, or the problem it raised."""
    report.seconds = round(seconds, 3)
    if problem is None:
        assert result is not None
        report.status, report.languages, report.outputs, report.output = "done", result["languages"], result["outputs"], result["output"]
        report.burned, report.violations = result["burned"], list(result.get("violations") or [])
        report.reused = dict(result.get("reused") or {})
        state.set(w.key, stage="done", finished=time.time())
        counts["done"] += 1
        return
    if isinstance(problem, Interrupted) and cancel.is_set():
        report.status = "interrupted"
        return
    err = problem if isinstance(problem, SubtoolError) else SubtoolError(f"internal error: {type(problem).__name__}: {problem}")
    report.status, report.error, report.exit_code = "failed", reason(w.item, err), err.exit_code
    state.set(w.key, stage="failed", error=report.error, exit_code=err.exit_code, finished=time.time())
    counts["failed"] += 1


def _finish(reports: list[ItemReport], work: list[Work], state: State, engine: str, pacing: dict[str, Any], *, t0: float,
            report_path: str | Path | None, interrupted: bool, preview: bool = False) -> BatchReport:
    final_rows = state.rows()
    for w in work:
        report = reports[w.position]
        report.job_id = final_rows.get(w.key, {}).get("job_id") or report.job_id
        if report.status == "pending":
            report.status = "interrupted"
    out = BatchReport(items=reports, state=str(state.path.resolve()), seconds=time.monotonic() - t0, engine=engine, pacing=pacing,
                      interrupted=interrupted)
    if preview:
        from ..review import index_path, write_index

        out.index = str(index_path(report_path, state.path))
    if report_path is not None:
        write_text(Path(report_path), json.dumps(out.to_dict(), indent=1, ensure_ascii=False) + "\n", force=True)
    if out.index is not None:
        write_index(Path(out.index), out.items, engine=out.engine, counts=out.counts(), report=report_path)
    if interrupted:
        open_jobs = sorted(
            job for r in final_rows.values() if r["stage"] in ("submitted", "submitting") and r.get("job_id") for job in str(r["job_id"]).split(",")
        )
        left = sum(1 for r in reports if r.status == "interrupted")
        raise Interrupted(f"batch interrupted with {left} items left (state in {state.path})", job_ids=open_jobs)
    return out


__all__ = ["STAGES", "run_batch"]
