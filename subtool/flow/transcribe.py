"""Stage 3, transcribe: the only place an engine runs.

It reduces the input to what is sent (one mono, low-bitrate Opus stream extracted here; the input
itself for an engine that decodes media; the URL for a service that fetches it), asks the result
cache (keyed by the audio's hash, the options and the engine: a rerun costs nothing), then runs
the engine:

- a ``WholeEngine`` (the offline one) on the whole input, in one call;
- a ``JobEngine`` (the Gladia service) as jobs (``sending``). An input longer than ``--split``
  minutes (10 by default), or than one job takes, may be cut into pieces sent at once
  (``layout``, ``pieces``): it is not extracted whole first, its pieces are cut from the input
  itself (one generation of Opus at most), and its cache key is the input's content with the
  options and ``--split`` (hashing a 2-hour programme's file costs far less than extracting its
  audio, and a rerun finds the transcript whatever slots were free the first time).

No speech is a normal result, whatever the engine guessed: no utterances and no language. The
service's own subtitle texts are normalised here (comma milliseconds in SRT, numbering from 1).
The video's shot changes, when the run wants them, are found meanwhile (``shots``) and kept in
the transcript.
The result is cached by the write stage once the files are written, never before. A plan whose
every language was found already made (``--reuse``: ``Plan.transcribes`` is False) sends nothing
(``nothing_to_send``); otherwise only the translation targets still missing are asked for.

``timings``: "audio" is the time spent extracting the audio (for an input cut into pieces: from the
first look for silences to the last piece's file, while the first jobs already run), "transcribe"
the time spent by the engine (for pieces, that includes cutting them).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import cache as result_cache
from ..engines.base import NOTE, WARNING, Engine, is_job_engine, is_whole_engine
from ..engines.jobs import JobJournal, MemoryJournal
from ..models import Fetched, Hooks, Transcribed, TranscribeOptions, Transcript
from ..redaction import redact
from . import layout, pieces, shots
from .sending import Sending, job, run_jobs

__all__ = ["audio_for", "cache_key", "cache_options", "cut_source", "duration", "engine_options", "finish", "job", "nothing_to_send", "run_jobs",
           "transcribe"]


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


def cache_key(audio: Path | str, options: TranscribeOptions, engine: Engine, *, cut: bool = False) -> str:
    """The result cache's key for ``audio`` sent to ``engine`` with ``options``; ``cut``: ``audio``
    is the input itself, which may be cut into pieces as ``--split`` says."""
    settings = cache_options(options)
    if cut:
        settings = {**settings, "cut_from": "input", "split": options.split}
    return result_cache.make_key(audio, settings, f"{engine.name}:{engine.cache_tag(options)}")


def cut_source(fetched: Fetched, options: TranscribeOptions, engine: Engine) -> pieces.Source | None:
    """The input as pieces may be cut from it: local media for a job engine that is sent audio,
    longer than ``--split`` minutes or than one job takes; else None (sent as before)."""
    length = duration(fetched)
    if not is_job_engine(engine) or engine.takes_media or fetched.media is None or fetched.info is None or not length:
        return None
    after = layout.split_seconds(options.split)
    if length <= engine.max_duration and (after is None or length <= after):
        return None
    return pieces.Source(fetched.media, fetched.info, options.audio_stream, length)


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
    if not plan.transcribes:
        return nothing_to_send(fetched, hooks)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="subtool-audio-") as tmp:
        t0 = time.monotonic()
        source = cut_source(fetched, plan.options, engine)
        audio = source.path if source is not None else audio_for(fetched, plan.options, engine, Path(tmp), hooks)
        timings["audio"] = time.monotonic() - t0
        sending = Sending(bytes=0 if isinstance(audio, str) or source is not None else Path(audio).stat().st_size)
        sent = engine_options(fetched, plan.options, engine)
        key = cache_key(audio, sent, engine, cut=source is not None)
        hit = result_cache.load(key) if plan.options.use_cache else None
        t1 = time.monotonic()
        raw: list[dict[str, Any]] = sending.raw
        with shots.beside(fetched, hooks, cached=hit[0] if hit is not None else None) as cuts:  # the video's cuts, meanwhile
            if hit is not None:
                transcript, raw = hit
                hooks.status(f"{NOTE}using the cached transcript (--no-cache to transcribe again)")
            elif is_job_engine(engine):
                transcript = run_jobs(engine, audio, sent, hooks, journal or MemoryJournal(), Path(tmp), sending, source)
                if source is not None:
                    timings["audio"] = sending.cutting
            else:
                assert is_whole_engine(engine)
                with hooks.hold("model"):
                    transcript = engine.transcribe(audio, sent, duration=duration(fetched), on_status=_status(hooks),
                                                   on_progress=hooks.stage("transcribe"))
            timings["transcribe"] = time.monotonic() - t1
            if cuts is not None:
                transcript = cuts.attach(transcript, timings)
    transcript = finish(transcript, fetched, hooks)
    return Transcribed(transcript, transcript.engine or engine.name, hit is not None, sending.bytes,
                       cache_key=None if hit is not None else key, raw=raw, timings=timings)


def nothing_to_send(fetched: Fetched, hooks: Hooks) -> Transcribed:
    """Every wanted language was found already made (``--reuse``): no audio, no job, no cache;
    an empty transcript in the spoken language the run was given."""
    plan = fetched.plan
    said = "; ".join(f"{r.language} from {r.describe()}" for r in plan.reused)
    hooks.status(f"{NOTE}every language asked for already exists ({said}): nothing is sent (--no-reuse to transcribe)")
    source = redact(plan.source.url or plan.source.input)
    transcript = Transcript(language=plan.options.languages[0], engine="none", source=source, duration=duration(fetched))
    return Transcribed(transcript, "none", False, 0)


def _status(hooks: Hooks) -> Callable[[str], None]:
    """The engine's status lines as the run says them: those starting with ``WARNING`` (what the
    result could not keep) are the run's warnings, the rest status lines."""
    def status(line: str) -> None:
        if line.startswith(WARNING):
            hooks.warning(line[len(WARNING):])
        else:
            hooks.status(line)
    return status


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


