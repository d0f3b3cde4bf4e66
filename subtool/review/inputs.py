"""What ``subtool preview VIDEO [SUB...]`` finds for itself: the subtitle files beside the video
when none are given, and what a run's ``transcript.json`` beside them says (the engine, the
spoken language).

Without SUB, the sidecars named after the video are taken (``talk.en.srt``, ``talk.fr.vtt``: what
``subtool transcribe talk.mp4`` writes), one per language (SRT first, the format most delivered;
a full track before a forced one). A video a run delivered (``talk.subtitled.mkv``,
``talk.fr.burned.mp4``) has none named after it: the sidecars of the input it came from are
taken, and the language its name says is burned in is told to the page (no soft track is then
shown over it at first).
The spoken language, which the page puts first, is ``-l``, else the transcript's, else the
video's audio tag; the engine is the transcript's, else not known.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .. import languages
from ..errors import LanguageError, UsageError
from ..models import MediaInfo, SubtitleTrack

_FORMATS = (".srt", ".vtt", ".ass", ".ssa")


def delivered_from(video: Path) -> tuple[str, str | None] | None:
    """(the input's stem, the language burned) when ``video`` is named as a run delivers
    (``flow.plan.output_for``: ``talk.subtitled.mkv``, ``talk.fr.burned.mp4``, ``talk.burned.mp4``);
    None for any other name."""
    parts = video.stem.split(".")
    if len(parts) >= 2 and parts[-1] == "subtitled":
        return ".".join(parts[:-1]), None
    if len(parts) >= 2 and parts[-1] == "burned":
        said = parts[-2] if len(parts) >= 3 else None
        lang = languages.normalize(said) if said and languages.is_known(said) else None
        return ".".join(parts[:-2] if lang else parts[:-1]), lang
    return None


def sidecars_beside(video: Path) -> list[SubtitleTrack]:
    """The subtitle files named ``<video stem>.<lang>[.forced].<fmt>`` beside ``video``, one per
    language, else, for a video a run delivered (``talk.subtitled.mkv``), those of the input it
    came from (``talk.en.srt``); ``UsageError`` when there are none."""
    candidates = _named_after(video, video.stem)
    origin = delivered_from(video)
    if not candidates and origin is not None:
        candidates = _named_after(video, origin[0])
    named = [(path, *languages.from_sidecar(path)) for path in candidates]
    found: dict[str, SubtitleTrack] = {}
    # The full track before a forced one (which holds only the foreign lines), SRT first.
    for path, lang, forced in sorted(named, key=lambda n: (n[2], _FORMATS.index(n[0].suffix.lower()), n[0].name)):
        if lang is not None and lang not in found:
            found[lang] = SubtitleTrack(str(path), lang, forced=forced)
    if not found:
        stem = origin[0] if origin is not None else video.stem
        after = f"after it or after {stem}" if origin is not None else "after it"
        raise UsageError(f"no subtitle files were given, and none are named {after} beside it", path=video,
                         hint=f"Pass them: subtool preview {video.name} {stem}.en.srt {stem}.fr.srt")
    return list(found.values())


def _named_after(video: Path, stem: str) -> list[Path]:
    try:
        return [p for p in video.parent.glob(f"{_glob_escape(stem)}.*") if p.suffix.lower() in _FORMATS and p.is_file()]
    except OSError:
        return []


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


def transcript_facts(subtitles: Sequence[SubtitleTrack]) -> tuple[str | None, str | None]:
    """(engine, spoken language) from the ``<stem>.transcript.json`` a run wrote beside the first
    subtitle file named after it; (None, None) when there is none (or it is not one of ours)."""
    for sub in subtitles:
        path = Path(sub.path)
        for candidate in sorted(path.parent.glob("*.transcript.json"), key=lambda p: -len(p.name)):
            stem = candidate.name.removesuffix(".transcript.json")
            if not path.name.startswith(stem + "."):
                continue
            try:
                doc = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(doc, dict) or doc.get("schema") != "subtool.transcript/1":
                continue
            engine = str(doc["engine"]) + (f" ({doc['model']})" if doc.get("model") else "") if doc.get("engine") else None
            spoken = doc.get("language")
            return engine, spoken if isinstance(spoken, str) and languages.is_known(spoken) else None
    return None, None


def audio_language(info: MediaInfo) -> str | None:
    """The language the video's first audio stream is tagged with (None for none or ``und``)."""
    for stream in info.audio_streams:
        tag = stream.language
        if tag and tag.lower() not in ("und", "mul", "zxx", "mis"):
            try:
                return languages.normalize(tag)
            except LanguageError:
                return None
        return None
    return None
