"""One planned input through the other four stages: fetch -> transcribe -> write -> deliver.

The scheduler of ``subtool run`` and ``subtool transcribe`` (and of the library's ``run`` and
``transcribe``): every input is planned first (``plan.plan_all``), then each goes through
``run_one`` in turn; with ``--preview`` the review page follows delivery (``preview``). A batch
(``subtool.batch``) schedules the same stages its own way.
"""

from __future__ import annotations

import time

from ..engines.base import Engine
from ..engines.jobs import JobJournal
from ..models import Hooks, Plan, RunResult
from .deliver import deliver
from .fetch import fetch
from .preview import preview
from .transcribe import transcribe
from .write import write


def run_one(plan: Plan, engine: Engine, hooks: Hooks, *, journal: JobJournal | None = None) -> RunResult:
    """Take one planned input to the end; warnings are collected in the result as they are said.
    ``journal`` holds jobs an earlier run created for it (``run --resume-job``): they are polled."""
    warnings: list[str] = []

    def warn(line: str) -> None:
        warnings.append(line)
        hooks.warning(line)

    heard = Hooks(status=hooks.status, progress=hooks.progress, warning=warn, cancel=hooks.cancel)
    with fetch(plan, engine, heard) as fetched:
        plan = fetched.plan  # a URL's reused subtitles are files from here on
        transcribed = transcribe(fetched, engine, heard, journal=journal)
        written = write(plan, transcribed, heard)
        t0 = time.monotonic()
        delivered = deliver(fetched, transcribed, written, heard)
        timings = dict(transcribed.timings)
        if fetched.seconds:
            timings["download"] = fetched.seconds
        if delivered.output is not None:
            timings[plan.delivery.kind] = time.monotonic() - t0
        t0 = time.monotonic()
        page = preview(fetched, transcribed, written, delivered, heard)
        if page is not None:
            timings["preview"] = time.monotonic() - t0
    transcript = transcribed.transcript
    return RunResult(
        input=plan.input,
        output=str(delivered.output) if delivered.output else None,
        engine=transcribed.engine,
        language=transcript.language,
        languages=list(dict.fromkeys([*transcript.all_languages(), *plan.reused_languages])),
        tracks=delivered.tracks,
        files=[*written.files, *(page.files if page else [])],
        job_ids=transcribed.job_ids,
        cached=transcribed.cached,
        timings=timings,
        warnings=warnings,
        burned=delivered.burned,
        duration=transcript.duration,
        audio_bytes=transcribed.audio_bytes,
        preview=page.page if page else None,
        problems=list(written.problems),
    )
