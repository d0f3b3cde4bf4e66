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
from ..models import Profile, SubtitleTrack, Transcript, Utterance
from ..outputs import atomic_path
from .model import Cue
from .segment import build_cues, gc_paused

FORMATS = ("srt", "vtt", "ass")

# Braces and backslashes would be read as override blocks by pysubs2 and libass: keep them
# visible as brackets and slashes.
_BRACES = str.maketrans({"{": "(", "}": ")", "\\": "/"})
_VTT_SPECIAL = re.compile(r"[&<>]")

# Per language: its code, its utterances, and a path per format.
_Plan = list[tuple[str, list[Utterance], list[Path]]]


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
) -> list[SubtitleTrack]:
    """Build and write every language (spoken first) in every format. Every target is checked
    before anything is written, so a refusal leaves nothing half done."""
    for fmt in formats:
        _check_format(fmt)
    plan = _plan(transcript, stem_path, formats, languages or transcript.all_languages())
    if not force:
        for _, _, paths in plan:
            for p in paths:
                if p.exists():
                    raise OutputExistsError(p)
    with gc_paused():
        return _write_plan(plan, formats, profile, transcript.duration, force, speaker_labels)


def _plan(transcript: Transcript, stem_path: Path, formats: list[str], wanted: list[str]) -> _Plan:
    plan: _Plan = []
    for lang in wanted:
        try:
            utts = transcript.utterances_for(lang)
        except KeyError:
            raise LanguageError(f"the transcript has no '{lang}' text", hint=f"It has: {', '.join(transcript.all_languages())}") from None
        plan.append((lang, utts, [sidecar_path(stem_path, lang, fmt) for fmt in formats]))
    return plan


def _write_plan(plan: _Plan, formats: list[str], profile: Profile, duration: float | None, force: bool,
                speaker_labels: bool) -> list[SubtitleTrack]:
    tracks: list[SubtitleTrack] = []
    for lang, utts, paths in plan:
        cues = build_cues(utts, profile, language=lang, duration=duration, speaker_labels=speaker_labels)
        title = languages.native_name(lang)
        _write_formats(cues, dict(zip(formats, paths, strict=True)), force=force, title=title)
        tracks += [SubtitleTrack(path=str(path), language=languages.normalize(lang), title=title) for path in paths]
    return tracks
