"""One input -> transcript and subtitle files: the library side of ``subtool transcribe``.

``prepare`` does everything that can refuse the job (the input, the languages, the profile, the
outputs that would be overwritten) before a byte is uploaded; ``transcribe`` then reduces the
input to the audio actually sent, asks the cache, runs the engine, and writes
``<stem>.<lang>.<fmt>`` for each language plus ``<stem>.transcript.json``, each atomically.
``subtool run`` and ``batch`` call the same two functions.

A fresh transcript is cached once its outputs are written (or when writing failed on the disk's
side: a full disk must not make the rerun pay again), never before: a transcript that cannot be
written would otherwise fail every rerun the same way without asking the engine. No speech is a
normal result: ``transcript.json`` with ``language: null`` and no utterances, no subtitle file
(an empty one would be refused by ffmpeg when muxed), and a note.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cache as result_cache
from . import languages as langs
from .engines.base import NOTE, Engine, StatusCallback, TranscribeOptions
from .engines.gladia import service
from .errors import UsageError
from .models import MediaInfo, Profile, SubtitleTrack, Transcript
from .outputs import check_writable, make_folder, write_text
from .presets import load_profile

SUBTITLE_FORMATS = ("srt", "vtt", "ass")
ProgressCallback = Callable[[float, float | None], None]


@dataclass
class TranscribeResult:
    input: str
    transcript: Transcript
    files: list[str]
    engine: str
    job_ids: list[str]
    cached: bool
    audio_bytes: int  # what was (or would have been) sent to the engine
    timings: dict[str, float] = field(default_factory=dict)
    tracks: list[SubtitleTrack] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "engine": self.engine,
            "language": self.transcript.language,
            "languages": self.transcript.all_languages(),
            "duration": self.transcript.duration,
            "job_ids": self.job_ids,
            "cached": self.cached,
            "audio_bytes": self.audio_bytes,
            "files": self.files,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


@dataclass
class Prepared:
    """An input that passed every check, and where its outputs go."""

    input: str
    stem: Path
    is_url: bool
    info: MediaInfo | None = None
    duration: float | None = None
    url: str | None = None
    service_url: str | None = None  # what the engine may fetch itself (None: download it here)
    max_download: int | None = None  # bytes, for a URL downloaded here (None: sources.DEFAULT_MAX_DOWNLOAD)


def resolve_engine(
    name: str = "auto",
    *,
    max_jobs: int = 3,
    model: str | None = None,
    threads: int | None = None,
    on_note: Callable[[str], None] | None = None,
    deadline: float | None = None,
) -> Engine:
    """``gladia``, ``local``, or ``auto`` (Gladia when GLADIA_API_KEY is set, and it says so)."""
    if name == "gladia" and deadline is not None:
        from .engines.gladia.engine import GladiaEngine

        return GladiaEngine(max_jobs=max_jobs, deadline=deadline)
    from .engines import get_engine

    return get_engine(name, max_jobs=max_jobs, model=model, threads=threads, on_note=on_note)


def check_options(options: TranscribeOptions, engine: Engine) -> TranscribeOptions:
    """Normalise language codes and formats; refuse what the engine cannot do."""
    hints = {"--speakers": options.speakers, "--min-speakers": options.min_speakers, "--max-speakers": options.max_speakers}
    given = [name for name, value in hints.items() if value is not None]
    if given and not options.diarize:
        raise UsageError(f"{given[0]} needs --diarize")
    if options.min_speakers is not None and options.max_speakers is not None and options.min_speakers > options.max_speakers:
        raise UsageError(f"--min-speakers {options.min_speakers} is more than --max-speakers {options.max_speakers}")
    options.languages = [langs.normalize(c) for c in options.languages]
    options.translate = [c for c in dict.fromkeys(langs.normalize(c, what="translation target") for c in options.translate)]
    bad = [f for f in options.formats if f not in SUBTITLE_FORMATS]
    if bad:
        raise UsageError(f"unknown subtitle format '{bad[0]}'", hint="Use srt, vtt or ass")
    if not options.formats:
        raise UsageError("no subtitle format given", hint="Use --format srt,vtt")
    if options.code_switching and len(options.languages) < 2:
        # Gladia's advice: with no candidates the detector tries 100+ languages and misdetects.
        raise UsageError("--code-switching needs the languages that may be spoken", hint="Give 2-5 of them with -l, e.g. -l en,fr,es")
    engine.check(options)
    return options


def _stem_for(prepared_input: str, outdir: Path | None) -> Path:
    folder = outdir if outdir is not None else Path(prepared_input).parent
    return folder / Path(prepared_input).stem


def check_distinct(stems: list[Path]) -> None:
    """Two inputs must not write the same outputs (``a/talk.mp4`` and ``b/talk.mkv`` into one -d)."""
    seen: set[Path] = set()
    for stem in stems:
        if stem in seen:
            raise UsageError(f"two inputs would write the same outputs ({stem}.*)", hint="Write them into different --outdir folders")
        seen.add(stem)


def planned_outputs(stem: Path, options: TranscribeOptions, *, keep_raw: bool = False) -> list[Path]:
    """The outputs known before transcription (the spoken language is known only when forced)."""
    known = list(options.translate)
    if len(options.languages) == 1:
        known.insert(0, options.languages[0])
    paths = [stem.with_name(f"{stem.name}.{lang}.{fmt}") for lang in dict.fromkeys(known) for fmt in options.formats]
    paths.append(stem.with_name(f"{stem.name}.transcript.json"))
    if keep_raw:
        paths.append(stem.with_name(f"{stem.name}.raw.json"))
    return paths


def prepare(
    input: str,
    options: TranscribeOptions,
    engine: Engine,
    *,
    outdir: str | Path | None = None,
    stem: Path | None = None,
    force: bool = False,
    keep_raw: bool = False,
    deep: bool = True,
) -> Prepared:
    """Every check that can refuse ``input`` before anything is sent; its side files are named
    ``stem`` (``pipeline.side_stem``), else ``<outdir or its folder>/<its stem>``. ``deep=False`` leaves the
    decoding of a local input's end (truncation) to its audio extraction, when there is one, which
    decodes all of it anyway: one ffmpeg run less per input, for a batch whose items do not wait
    on each other."""
    from . import sources
    from .media.probe import check_tail, probe

    out = Path(outdir) if outdir is not None else None
    sources.refuse_other_schemes(input)
    if sources.is_url(input):
        info = sources.resolve(input, limit_s=float("inf"))[0]
        prepared = prepare_source(info, options, engine, stem=stem or (out or Path.cwd()) / info.stem, force=force, keep_raw=keep_raw)
        prepared.input = sources.redact(input)  # what is shown; prepared.url is what is fetched
        return prepared
    else:
        media = probe(input, deep=False)
        if deep or not _extracted(media, options, engine):
            check_tail(media)
        for problem in media.problems:
            if problem.fatal and problem.code != "too_long":  # long inputs are cut into chunks
                from .errors import MediaError

                raise MediaError(problem.message, path=input, code=problem.code)
        if options.audio_stream is not None:
            from .media.audio import pick_audio_stream

            pick_audio_stream(media, options.audio_stream)
        prepared = Prepared(input, stem or _stem_for(input, out), False, media, media.duration)
    if not force:
        for path in planned_outputs(prepared.stem, options, keep_raw=keep_raw):
            check_writable(path, force=False)
    return prepared


def _extracted(info: MediaInfo, options: TranscribeOptions, engine: Engine) -> bool:
    """Whether ``audio_for`` will decode all of this input's audio with ffmpeg."""
    from .media.audio import needs_extraction

    if engine.takes_media or not info.audio_streams:
        return False
    return needs_extraction(info, stream=options.audio_stream)


def prepare_source(
    info: Any,
    options: TranscribeOptions,
    engine: Engine,
    *,
    stem: Path,
    force: bool = False,
    keep_raw: bool = False,
) -> Prepared:
    """``prepare`` for a URL already resolved (a ``sources.SourceInfo``, a playlist entry), its
    side files named ``stem``."""
    from .sources import redact

    url = info.webpage_url or info.url
    prepared = Prepared(redact(url), stem, True, None, info.duration, url, handed_url(info, engine))
    if not force:
        for path in planned_outputs(prepared.stem, options, keep_raw=keep_raw):
            check_writable(path, force=False)
    return prepared


def handed_url(info: Any, engine: Engine) -> str | None:
    """The URL ``engine`` can be handed for ``info`` to fetch itself, or None when the audio must
    be downloaded here: the engine cannot fetch, only yt-dlp reaches the media, or the video is
    longer than the service takes from a URL (its audio is then sent in chunks)."""
    from . import sources

    if not engine.fetches_urls:
        return None
    limit = sources.duration_limit(info, service_fetches_url=True)
    if info.duration is not None and info.duration > min(limit, getattr(engine, "max_duration", limit)):
        return None
    return sources.service_url(info)


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


def engine_options(prepared: Prepared, options: TranscribeOptions, engine: Engine) -> TranscribeOptions:
    """``options`` as the engine gets them for ``prepared``: an engine that decodes the input
    itself is told which audio stream subtool picked (``--audio-stream``, else the default one),
    so that it and the cache key agree with ``probe`` rather than with ffmpeg's own choice."""
    if not engine.takes_media or prepared.info is None:
        return options
    from .media.audio import pick_audio_stream

    index, _ = pick_audio_stream(prepared.info, options.audio_stream)
    return dataclasses.replace(options, audio_stream=index)


def transcribe(
    prepared: Prepared,
    options: TranscribeOptions,
    engine: Engine,
    *,
    profile: Profile | str = "netflix",
    force: bool = False,
    speaker_labels: bool = False,
    keep_raw: bool = False,
    on_status: StatusCallback | None = None,
    on_progress: ProgressCallback | None = None,
    on_engine_progress: ProgressCallback | None = None,
) -> TranscribeResult:
    """Transcribe one prepared input and write its files. ``on_progress`` follows the audio's
    extraction, ``on_engine_progress`` an engine that reports transcribed time (the local one)."""
    timings: dict[str, float] = {}
    status = on_status or (lambda _line: None)
    if isinstance(profile, str):
        profile = load_profile(profile)
    options.subtitle_limits = options.subtitle_limits or service.subtitles_config(profile)
    raw: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="subtool-audio-") as tmp:
        t0 = time.monotonic()
        audio = audio_for(prepared, options, engine, Path(tmp), on_status=on_status, on_progress=on_progress)
        timings["audio"] = time.monotonic() - t0
        audio_bytes = 0 if isinstance(audio, str) else Path(audio).stat().st_size
        sent = engine_options(prepared, options, engine)
        key = cache_key(audio, sent, engine)
        hit = result_cache.load(key) if options.use_cache else None
        t1 = time.monotonic()
        if hit is not None:
            transcript, raw = hit
            status(f"{NOTE}using the cached transcript (--no-cache to transcribe again)")
        else:
            if engine.name == "gladia":
                transcript = engine.transcribe(audio, sent, duration=prepared.duration, on_status=on_status, raw_sink=raw)  # type: ignore[call-arg]
            elif engine.name == "local":
                transcript = engine.transcribe(audio, sent, duration=prepared.duration, on_status=on_status, on_progress=on_engine_progress)  # type: ignore[call-arg]
            else:
                transcript = engine.transcribe(audio, sent, duration=prepared.duration, on_status=on_status)
        timings["transcribe"] = time.monotonic() - t1
    if not any(u.text.strip() for u in transcript.utterances):
        # No speech, whatever the engine guessed the language to be: the same result from both.
        transcript = dataclasses.replace(transcript, language=None, languages=[], utterances=[], translations={}, subtitles={})
    from .sources import redact

    transcript.source = redact(prepared.url or str(prepared.input))
    if not transcript.utterances:
        status(f"{NOTE}no speech found: no subtitle file written, only {prepared.stem.name}.transcript.json (with no utterances)")
    try:
        files, tracks = write_outputs(
            prepared.stem, transcript, options, profile, force=force, speaker_labels=speaker_labels, raw=raw if keep_raw else None
        )
    except OSError:
        if hit is None:
            result_cache.store(key, dataclasses.replace(transcript, source=None), raw)  # sound; the disk was not
        raise
    if hit is None:
        result_cache.store(key, dataclasses.replace(transcript, source=None), raw)  # the input is this run's, not the entry's
    return TranscribeResult(
        input=prepared.input,
        transcript=transcript,
        files=files,
        engine=transcript.engine or engine.name,
        job_ids=list(transcript.job_ids),
        cached=hit is not None,
        audio_bytes=audio_bytes,
        timings=timings,
        tracks=tracks,
    )


def audio_for(
    prepared: Prepared,
    options: TranscribeOptions,
    engine: Engine,
    tmp: Path,
    *,
    on_status: StatusCallback | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Path | str:
    """What is sent to the engine for ``prepared``: the URL itself when the service fetches it,
    the input itself (or its downloaded audio) for an engine that decodes media, else one small
    audio file made in ``tmp`` (or the input, when it already is one)."""
    from .media.audio import extract_audio

    status = on_status or (lambda _line: None)
    if prepared.is_url:
        assert prepared.url is not None
        if engine.fetches_urls and prepared.service_url:
            return prepared.service_url
        from . import sources

        if engine.fetches_urls and sources.has_credentials(prepared.url):
            status(f"{NOTE}the URL carries a password, which is never handed to the service: its audio is downloaded here")
        status("downloading the audio")
        downloaded = sources.download(prepared.url, tmp, audio_only=True, max_bytes=prepared.max_download, cancel=cancel)
        if engine.takes_media:
            return downloaded
        return extract_audio(downloaded, tmp / "audio.ogg", stream=options.audio_stream, cancel=cancel)
    if engine.takes_media:
        return Path(prepared.input)
    status("extracting the audio")
    return extract_audio(prepared.input, tmp / "audio.ogg", stream=options.audio_stream, info=prepared.info, on_progress=on_progress, cancel=cancel)


def cache_key(audio: Path | str, options: TranscribeOptions, engine: Engine) -> str:
    """The result cache's key for ``audio`` sent to ``engine`` with ``options``."""
    return result_cache.make_key(audio, cache_options(options), f"{engine.name}:{engine.cache_tag(options)}")


def write_outputs(
    stem: Path,
    transcript: Transcript,
    options: TranscribeOptions,
    profile: Profile,
    *,
    force: bool = False,
    speaker_labels: bool = False,
    raw: list[dict[str, Any]] | None = None,
) -> tuple[list[str], list[SubtitleTrack]]:
    from .subtitles import sidecar_path, write_tracks

    # A language with no text at all (no speech; a translation that came back empty) gets no file:
    # an empty subtitle file is refused by ffmpeg when muxed.
    wanted = [lang for lang in transcript.all_languages() if transcript.spoken(lang)]
    # Check every output before the first is written, so a refusal leaves nothing half-done.
    if not force:
        for lang in wanted:
            for fmt in options.formats:
                check_writable(sidecar_path(stem, lang, fmt), force=False)
        check_writable(stem.with_name(f"{stem.name}.transcript.json"), force=False)
    make_folder(stem.parent)
    tracks = (
        write_tracks(transcript, stem, formats=list(options.formats), profile=profile, force=force, speaker_labels=speaker_labels, languages=wanted)
        if wanted
        else []
    )
    files = [t.path for t in tracks]
    doc = json.dumps(transcript.to_dict(), ensure_ascii=False, indent=1)
    files.append(str(write_text(stem.with_name(f"{stem.name}.transcript.json"), doc + "\n", force=force)))
    if raw is not None:
        files.append(str(write_text(stem.with_name(f"{stem.name}.raw.json"), json.dumps(raw, ensure_ascii=False, indent=1) + "\n", force=force)))
    return files, tracks
