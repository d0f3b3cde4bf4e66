"""The library: the commands' functions with keyword arguments, returning dataclasses and
raising the errors of ``subtool.errors``. ``import subtool`` exposes these lazily."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .models import SubtitleTrack
from .pipeline import run

__all__ = ["burn", "mux", "run", "transcribe"]


def transcribe(
    input: str | Path,
    *,
    languages: Sequence[str] = (),
    translate: Sequence[str] = (),
    formats: Sequence[str] = ("srt",),
    profile: str = "netflix",
    engine: str = "auto",
    diarize: bool = False,
    speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    code_switching: bool = False,
    translation_model: str = "base",
    vocabulary: Sequence[str] = (),
    model: str | None = None,
    threads: int | None = None,
    audio_stream: int | None = None,
    max_jobs: int = 3,
    outdir: str | Path | None = None,
    force: bool = False,
    use_cache: bool = True,
    keep_raw: bool = False,
    speaker_labels: bool = False,
) -> Any:
    """``subtool transcribe``: writes ``<stem>.<lang>.<fmt>`` and ``<stem>.transcript.json``;
    returns a ``transcription.TranscribeResult``."""
    from . import transcription as tx
    from .engines.base import TranscribeOptions
    from .presets import load_profile

    options = TranscribeOptions(
        languages=list(languages), code_switching=code_switching, translate=list(translate), translation_model=translation_model,
        formats=list(formats), diarize=diarize, speakers=speakers, min_speakers=min_speakers, max_speakers=max_speakers, vocabulary=list(vocabulary), model=model, threads=threads,
        audio_stream=audio_stream, use_cache=use_cache, keep_raw=keep_raw,
    )
    eng = tx.resolve_engine(engine, max_jobs=max_jobs, model=model, threads=threads)
    tx.check_options(options, eng)
    prof = load_profile(profile)
    prepared = tx.prepare(str(input), options, eng, outdir=outdir, force=force, keep_raw=keep_raw)
    return tx.transcribe(prepared, options, eng, profile=prof, force=force, speaker_labels=speaker_labels, keep_raw=keep_raw)


def mux(
    video: str | Path,
    subtitles: Sequence[str | Path | SubtitleTrack],
    output: str | Path | None = None,
    *,
    preset: str | None = None,
    default: str | None = None,
    forced: Sequence[str] = (),
    replace: bool = False,
    allow_und: bool = False,
    reencode: bool = False,
    force: bool = False,
    encoding: str | None = None,
) -> Any:
    """``subtool mux``: subtitle files (``"talk.fr.srt"``, ``"x.srt:de"`` or ``SubtitleTrack``)
    as soft tracks; returns a ``media.mux.MuxResult``. ``encoding``: the code page of the files
    that are not UTF-8 (guessed otherwise)."""
    from .media import mux as m
    from .presets import load_mux

    tracks = [s if isinstance(s, SubtitleTrack) else m.parse_track_arg(str(s)) for s in subtitles]
    mux_preset = load_mux(preset) if preset else None
    if output is None:
        container = mux_preset.container if mux_preset else "mkv"
        output = m.default_output(Path(video), container)
    return m.mux(
        Path(video), tracks, Path(output), preset=mux_preset, default=default, forced=list(forced), replace=replace,
        allow_und=allow_und, reencode=reencode, force=force, encoding=encoding,
    )


def burn(
    video: str | Path,
    subtitle: str | Path,
    output: str | Path,
    *,
    style: str = "clean",
    language: str | None = None,
    force: bool = False,
    encoding: str | None = None,
    allow_heavy: bool = False,
) -> Path:
    """``subtool burn``: one subtitle file burned into the picture; returns the output path.
    ``encoding``: the subtitle file's code page when it is not UTF-8 (guessed otherwise)."""
    from .media.burn import burn as burn_video
    from .presets import load_burn

    return burn_video(Path(video), Path(subtitle), Path(output), style=load_burn(style), language=language, force=force,
                      encoding=encoding, allow_heavy=allow_heavy)
