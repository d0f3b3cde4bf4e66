"""What a planned input would cost, found without paying: ``--dry-run``.

After ``plan`` (every check), this says what the other stages would do: the audio minutes sent,
the jobs created (one per piece of an input longer than a job takes; none for a cached result
or the offline engine), and every file written. Whether the cache holds the result is asked
with the key the transcribe stage would use, the hash of the audio actually sent: a local
input's audio is extracted into a temporary folder for it (a few seconds of ffmpeg for an
hour), never uploaded; a URL fetched here cannot be known before its download (``cached`` is
None), a URL the service fetches is keyed by the URL. Nothing is uploaded, downloaded or
written to the outputs. A plan whose every language was found already made (``--reuse``)
sends nothing: no job, no audio.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .. import cache as result_cache
from ..engines.base import Engine, is_job_engine
from ..media.audio import plan_chunks
from ..models import Fetched, Hooks, Plan, PlanSummary
from .plan import planned_outputs
from .transcribe import audio_for, cache_key, engine_options


def summarize(plan: Plan, engine: Engine, hooks: Hooks) -> PlanSummary:
    """``plan``'s summary (see the module docstring)."""
    options = plan.options
    delivery = plan.delivery
    kind = f"mux:{delivery.mux.name}" if delivery.mux else f"burn:{delivery.burn.name}" if delivery.burn else "sidecars"
    files = [str(p) for p in planned_outputs(plan.stem, options, keep_raw=plan.keep_raw, reused=plan.reused)]
    if len(options.languages) != 1:  # the spoken language is detected: its files are named after it
        files[:0] = [str(plan.stem.with_name(f"{plan.stem.name}.<spoken>.{fmt}")) for fmt in options.formats]
    output = str(plan.output) if plan.output is not None else None
    summary = PlanSummary(
        input=plan.input, engine=engine.name, languages=list(options.languages), translate=list(options.translate), delivery=kind,
        seconds=plan.source.duration, files=[*files, *([output] if output else [])], output=output,
        sent="audio" if is_job_engine(engine) else "here",
    )
    summary.reused = {r.language: r.describe() for r in plan.reused}
    if not plan.transcribes:  # every language found already made (--reuse): nothing is sent
        summary.jobs, summary.pieces, summary.audio_bytes, summary.sent = 0, 0, 0, "nothing"
        return summary
    summary.cached = _cached(plan, engine, summary, hooks) if options.use_cache else False
    if summary.cached or not is_job_engine(engine):
        summary.jobs, summary.pieces = 0, 1
    elif summary.sent == "url" or summary.seconds is None or summary.seconds <= engine.max_duration:
        summary.jobs, summary.pieces = 1, 1
    else:  # the count of pieces depends on the length only; where they are cut, on the silences
        summary.pieces = len(plan_chunks(summary.seconds, [], target=engine.chunk_target, limit=engine.max_duration))
        summary.jobs = summary.pieces
    return summary


def _cached(plan: Plan, engine: Engine, summary: PlanSummary, hooks: Hooks) -> bool | None:
    """Whether the cache holds this input's result, asked with the key a run would use."""
    source = plan.source
    if source.path is None:
        if not (source.service_url and engine.fetches_urls):
            return None  # fetched here: its audio is known after the download
        summary.sent = "url"
        fetched = Fetched(plan, None, None, url=source.service_url)
        return result_cache.load(cache_key(source.service_url, engine_options(fetched, plan.options, engine), engine)) is not None
    fetched = Fetched(plan, source.path, source.info)
    with tempfile.TemporaryDirectory(prefix="subtool-dry-run-") as tmp:
        audio = audio_for(fetched, plan.options, engine, Path(tmp), hooks)
        if not isinstance(audio, str):
            summary.audio_bytes = Path(audio).stat().st_size if is_job_engine(engine) else None
        return result_cache.load(cache_key(audio, engine_options(fetched, plan.options, engine), engine)) is not None
