"""Stage 3, transcribe: the only place an engine runs.

It reduces the input to what is sent (one mono, low-bitrate Opus stream extracted here; the input
itself for an engine that decodes media; the URL for a service that fetches it), asks the result
cache (keyed by the audio's hash, the options and the engine: a rerun costs nothing), then runs
the engine:

- a ``WholeEngine`` (the offline one) on the whole input, in one call;
- a ``JobEngine`` (the Gladia service) as jobs: an input longer than one job takes is cut at
  silences into pieces sent concurrently (``pieces``). Each job's token is recorded in the
  scheduler's ``JobJournal`` before its create and its id right after, and a job the journal
  already holds is polled (found by its token when its id was never recorded) instead of being
  paid for again: a batch's ``--resume`` and a single run share this code.

No speech is a normal result, whatever the engine guessed: no utterances and no language. The
service's own subtitle texts are normalised here (comma milliseconds in SRT, numbering from 1).
The video's shot changes, when the run wants them, are found meanwhile (``shots``) and kept in
the transcript.
The result is cached by the write stage once the files are written, never before.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from .. import cache as result_cache
from ..engines.base import NOTE, Engine, JobEngine, is_job_engine, is_whole_engine
from ..engines.jobs import JobJournal, MemoryJournal, Run
from ..errors import Interrupted, JobError, ServiceError
from ..models import Fetched, Hooks, Transcribed, TranscribeOptions, Transcript
from ..redaction import redact
from . import pieces, shots


def cache_options(options: TranscribeOptions) -> dict[str, Any]:
    """What changes a transcript (never a secret, never an output choice such as --force)."""
    return {
        "languages": options.languages,
        "code_switching": options.code_switching,
        "translate": options.translate,
        "translation_model": options.translation_model if options.translate else None,
        "formats": sorted(f for f in options.formats if f in ("srt", "vtt")),
        "subtitle_limits": options.subtitle_limits,
        "diarize": options.diarize,
        "speakers": [options.speakers, options.min_speakers, options.max_speakers] if options.diarize else None,
        "vocabulary": options.vocabulary,
        "model": options.model,
        "audio_stream": options.audio_stream,
    }


def cache_key(audio: Path | str, options: TranscribeOptions, engine: Engine) -> str:
    """The result cache's key for ``audio`` sent to ``engine`` with ``options``."""
    return result_cache.make_key(audio, cache_options(options), f"{engine.name}:{engine.cache_tag(options)}")


def engine_options(fetched: Fetched, options: TranscribeOptions, engine: Engine) -> TranscribeOptions:
    """``options`` as the engine gets them: an engine that decodes the input itself is told which
    audio stream subtool picked (``--audio-stream``, else the default one), so that it and the
    cache key agree with ``probe`` rather than with ffmpeg's own choice."""
    if not engine.takes_media or fetched.info is None:
        return options
    from ..media.audio import pick_audio_stream

    index, _ = pick_audio_stream(fetched.info, options.audio_stream)
    return dataclasses.replace(options, audio_stream=index)


def audio_for(fetched: Fetched, options: TranscribeOptions, engine: Engine, folder: Path, hooks: Hooks) -> Path | str:
    """What is sent: the URL the engine fetches itself, the media itself for an engine that
    decodes it, else one small audio file made in ``folder`` (or the input, when it already is one)."""
    from ..media.audio import extract_audio

    if fetched.media is None:
        assert fetched.url is not None
        return fetched.url
    if engine.takes_media:
        return fetched.media
    hooks.status("extracting the audio")
    with hooks.hold("ffmpeg"):
        return extract_audio(fetched.media, folder / "audio.ogg", stream=options.audio_stream, info=fetched.info,
                             on_progress=hooks.stage("audio"), cancel=hooks.cancel)


def transcribe(fetched: Fetched, engine: Engine, hooks: Hooks, *, journal: JobJournal | None = None) -> Transcribed:
    """Transcribe one fetched input (see the module docstring)."""
    plan = fetched.plan
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="subtool-audio-") as tmp:
        t0 = time.monotonic()
        audio = audio_for(fetched, plan.options, engine, Path(tmp), hooks)
        timings["audio"] = time.monotonic() - t0
        audio_bytes = 0 if isinstance(audio, str) else Path(audio).stat().st_size
        sent = engine_options(fetched, plan.options, engine)
        key = cache_key(audio, sent, engine)
        hit = result_cache.load(key) if plan.options.use_cache else None
        t1 = time.monotonic()
        raw: list[dict[str, Any]] = []
        with shots.beside(fetched, hooks, cached=hit[0] if hit is not None else None) as cuts:  # the video's cuts, meanwhile
            if hit is not None:
                transcript, raw = hit
                hooks.status(f"{NOTE}using the cached transcript (--no-cache to transcribe again)")
            elif is_job_engine(engine):
                transcript = run_jobs(engine, audio, sent, duration(fetched), hooks, journal or MemoryJournal(), Path(tmp), raw)
            else:
                assert is_whole_engine(engine)
                with hooks.hold("model"):
                    transcript = engine.transcribe(audio, sent, duration=duration(fetched), on_status=hooks.status,
                                                   on_progress=hooks.stage("transcribe"))
            timings["transcribe"] = time.monotonic() - t1
            if cuts is not None:
                transcript = cuts.attach(transcript, timings)
    transcript = finish(transcript, fetched, hooks)
    return Transcribed(transcript, transcript.engine or engine.name, hit is not None, audio_bytes,
                       cache_key=None if hit is not None else key, raw=raw, timings=timings)


def duration(fetched: Fetched) -> float | None:
    info = fetched.info or fetched.plan.source.info
    return info.duration if info is not None and info.duration else fetched.plan.source.duration


def finish(transcript: Transcript, fetched: Fetched, hooks: Hooks) -> Transcript:
    """The transcript as every engine's result looks: no speech as no language and no utterances,
    the service's subtitle texts normalised, the duration and source known."""
    from ..subtitles import normalize_service_subtitles

    if not any(u.text.strip() for u in transcript.utterances):
        transcript = dataclasses.replace(transcript, language=None, languages=[], utterances=[], translations={}, subtitles={})
        hooks.status(f"{NOTE}no speech found: no subtitle file written, only {fetched.plan.stem.name}.transcript.json (with no utterances)")
    subtitles = {lang: {fmt: normalize_service_subtitles(text, fmt) for fmt, text in texts.items()}
                 for lang, texts in transcript.subtitles.items()}
    source = redact(fetched.plan.source.url or fetched.plan.source.input)
    return dataclasses.replace(transcript, subtitles=subtitles, source=source, duration=transcript.duration or duration(fetched))


# -- jobs ---------------------------------------------------------------------------------------------


def run_jobs(
    engine: JobEngine, audio: Path | str, options: TranscribeOptions, length: float | None, hooks: Hooks,
    journal: JobJournal, folder: Path, raw_sink: list[dict[str, Any]],
) -> Transcript:
    """Send ``audio`` as one job, or in pieces when it is longer than a job takes; one transcript."""
    run = engine.new_run(hooks.status)
    run.on_retry = journal.retried
    run.on_progress = hooks.progress
    if hooks.cancel is not None:
        run.cancel = hooks.cancel
    try:
        if isinstance(audio, str) or length is None or length <= engine.max_duration:
            return _whole(engine, audio, options, length, run, journal, raw_sink)
        return _in_pieces(engine, Path(audio), options, length, run, journal, folder, raw_sink)
    except KeyboardInterrupt:
        run.cancel.set()
        raise Interrupted("interrupted while transcribing", job_ids=run.still_open()) from None


def _whole(
    engine: JobEngine, audio: Path | str, options: TranscribeOptions, length: float | None, run: Run, journal: JobJournal,
    raw_sink: list[dict[str, Any]],
) -> Transcript:
    job_id, raw = job(engine, audio, options, 0, run, journal)
    raw_sink.append({"offset": 0.0, "job": raw})
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


def _in_pieces(
    engine: JobEngine, audio: Path, options: TranscribeOptions, length: float, run: Run, journal: JobJournal, folder: Path,
    raw_sink: list[dict[str, Any]],
) -> Transcript:
    limit = engine.max_duration
    run.status(f"{NOTE}{length / 60:.0f} min is over the {limit / 60:.0f}-minute limit of one job: cutting at silences")
    cut = pieces.cut(audio, length, target=engine.chunk_target, limit=limit, folder=folder)
    run.status(f"sending {len(cut)} pieces, at most {engine.slots.limit} at once")
    results: list[tuple[str, dict[str, Any]] | None] = [None] * len(cut)
    errors: list[BaseException] = []
    # The pieces' uploads and waits overlap: how many pieces are done is shown instead.
    report, run.on_progress = run.on_progress, None
    if report is not None:
        report("pieces", 0, len(cut))

    def work(i: int) -> None:
        try:
            results[i] = job(engine, cut[i][1], options, i, run, journal)
            if report is not None:
                report("pieces", sum(r is not None for r in results), len(cut))
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)
            run.cancel.set()

    threads = [threading.Thread(target=work, args=(i,), daemon=True, name=f"subtool-piece-{i}") for i in range(len(cut))]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)
    real = [e for e in errors if not isinstance(e, Interrupted)]
    if real or errors:
        raise (real or errors)[0]
    parts: list[Transcript] = []
    notes: list[str] = []
    for i, ((start, end), _path) in enumerate(cut):
        done = results[i]
        assert done is not None
        job_id, raw = done
        raw_sink.append({"offset": start, "job": raw})
        part = engine.to_transcript(raw, targets=list(options.translate), offset=start, job_ids=[job_id], notes=notes)
        if not part.utterances:
            notes.append(f"no speech found in {pieces.clock(start)}-{pieces.clock(end)} (piece {i + 1} of {len(cut)})")
        parts.append(part)
    for note in dict.fromkeys(notes):
        run.status(NOTE + note)
    return pieces.stitch(parts, [start for (start, _end), _path in cut], duration=length)
