"""Writing cues as SRT, WebVTT and ASS files with pysubs2, atomically, named as players expect.

One pysubs2 file per language is built once and saved in every format asked for (SRT and ASS
text is the same; only the few WebVTT lines with ``& < >`` are swapped for their escaped form).
ASS files get a 1080p canvas so the style reads the same in every player.
"""

from __future__ import annotations

import re
from pathlib import Path

import pysubs2

from .. import languages
from ..errors import LanguageError, OutputExistsError
from ..models import Profile, SubtitleTrack, Transcript
from ..outputs import atomic_path
from .build import build_tracks, gc_paused
from .model import BuiltTrack, Cue
from .shots import Shots

FORMATS = ("srt", "vtt", "ass")

# Braces and backslashes would be read as override blocks by pysubs2 and libass: keep them
# visible as brackets and slashes.
_BRACES = str.maketrans({"{": "(", "}": ")", "\\": "/"})
_VTT_SPECIAL = re.compile(r"[&<>]")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ass_canvas(ssa: pysubs2.SSAFile) -> None:
    # A 1080p canvas so the style reads the same in every player (libass defaults to 384x288).
    ssa.info.update({"PlayResX": "1920", "PlayResY": "1080", "ScaledBorderAndShadow": "yes"})
    ssa.styles["Default"] = pysubs2.SSAStyle(
        fontname="Noto Sans", fontsize=54, outline=2.5, shadow=0, marginv=60, marginl=96, marginr=96
    )


def cues_to_ssafile(cues: list[Cue], *, fmt: str) -> pysubs2.SSAFile:
    ssa = pysubs2.SSAFile()
    if fmt == "ass":
        _ass_canvas(ssa)
    event = pysubs2.SSAEvent
    ssa.events = [
        event(start=round(cue.start * 1000), end=round(cue.end * 1000), text="\n".join(cue.lines).translate(_BRACES).replace("\n", r"\N"))
        for cue in cues
    ]
    if fmt == "vtt":
        for e in ssa.events:
            if _VTT_SPECIAL.search(e.text):
                e.text = _vtt_escape(e.text)
    return ssa


def _save(ssa: pysubs2.SSAFile, path: Path, fmt: str, force: bool) -> None:
    # Cue text holds no override tags (braces are escaped), so pysubs2 can skip parsing them.
    with atomic_path(path, force=force) as tmp:
        ssa.save(str(tmp), format_=fmt, encoding="utf-8", keep_ssa_tags=fmt in {"srt", "vtt"})


def _write_formats(cues: list[Cue], paths: dict[str, Path], *, force: bool, title: str | None) -> None:
    """Write the same cues in several formats from one pysubs2 file: the events are built once
    (SRT and ASS text is the same; the ASS canvas and title are ignored by the SRT and VTT
    writers) and only the few VTT lines with ``& < >`` are swapped for their escaped form."""
    ssa = cues_to_ssafile(cues, fmt="ass" if "ass" in paths else "srt")
    if title and "ass" in paths:
        ssa.info["Title"] = title
    for fmt, path in paths.items():
        if fmt != "vtt":
            _save(ssa, path, fmt, force)
            continue
        special = [(e, e.text) for e in ssa.events if _VTT_SPECIAL.search(e.text)]
        for e, text in special:
            e.text = _vtt_escape(text)
        try:
            _save(ssa, path, fmt, force)
        finally:
            for e, text in special:
                e.text = text


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise LanguageError(f"unknown subtitle format '{fmt}'", hint=f"Use one of {', '.join(FORMATS)}")


def write_track(cues: list[Cue], path: Path, *, fmt: str, force: bool = False, title: str | None = None) -> Path:
    """Write one subtitle file (UTF-8, atomically; an existing file is refused unless ``force``)."""
    _check_format(fmt)
    path = Path(path)
    _write_formats(cues, {fmt: path}, force=force, title=title)
    return path


def sidecar_path(stem_path: Path, language: str, fmt: str) -> Path:
    """``<stem>.<lang>.<fmt>``, the name players and yt-dlp use (``talk.pt-BR.srt``)."""
    stem_path = Path(stem_path)
    return stem_path.with_name(f"{stem_path.name}.{languages.normalize(language)}.{fmt}")


def write_tracks(
    transcript: Transcript,
    stem_path: Path,
    *,
    formats: list[str],
    profile: Profile,
    force: bool = False,
    speaker_labels: bool = False,
    languages: list[str] | None = None,
    template: str = "source",
    shots: Shots | None = None,
) -> list[SubtitleTrack]:
    """Build and write every language (spoken first) in every format; the translations follow the
    spoken language's cue times unless ``template="own"``. Every target is checked before
    anything is written, so a refusal leaves nothing half done."""
    wanted = languages or transcript.all_languages()
    paths = planned_paths(transcript, stem_path, formats, wanted, force=force)
    built = build_tracks(transcript, profile, languages=wanted, speaker_labels=speaker_labels, template=template, shots=shots)
    return write_built(built, paths, force=force)


def planned_paths(transcript: Transcript, stem_path: Path, formats: list[str], wanted: list[str], *, force: bool) -> dict[str, list[Path]]:
    """Each language's sidecar paths, one per format; refuses an unknown format or language, or
    (without ``force``) a path that exists, before anything is built or written."""
    for fmt in formats:
        _check_format(fmt)
    plan: dict[str, list[Path]] = {}
    for lang in wanted:
        try:
            transcript.utterances_for(lang)
        except KeyError:
            raise LanguageError(f"the transcript has no '{lang}' text", hint=f"It has: {', '.join(transcript.all_languages())}") from None
        plan[lang] = [sidecar_path(stem_path, lang, fmt) for fmt in formats]
    if not force:
        for paths in plan.values():
            for p in paths:
                if p.exists():
                    raise OutputExistsError(p)
    return plan


def write_built(built: list[BuiltTrack], paths: dict[str, list[Path]], *, force: bool = False) -> list[SubtitleTrack]:
    """Write built tracks at their planned paths (``planned_paths``), one pysubs2 file per language."""
    tracks: list[SubtitleTrack] = []
    with gc_paused():
        for track in built:
            lang_paths = paths[track.language]
            formats = [p.suffix.lstrip(".") for p in lang_paths]
            title = languages.native_name(track.language)
            _write_formats(track.cues, dict(zip(formats, lang_paths, strict=True)), force=force, title=title)
            tracks += [SubtitleTrack(path=str(path), language=languages.normalize(track.language), title=title) for path in lang_paths]
    return tracks
