"""Dispositions of a mux's subtitle streams: which one is default, which are forced.

Every subtitle stream of the output gets an explicit disposition, so players never guess, and at
most one is default. The default-track rule (``default``):

- a language code: the first new track in that language (exact tag first, then the same base
  language), else a kept stream of the input in it; none at all is a usage error;
- ``"first"``: the first track not in the language being spoken (new tracks before kept ones):
  a track in the audio's own language would be shown over speech the viewer understands, so it is
  the default only when named;
- ``"none"``: no default track;
- not given: the first new track whose own ``default`` flag is set, else the input's streams keep
  their flags.

``forced`` flags every track in each named language (a language without a track is a usage error).
MP4 and MOV cannot say "no default": ffmpeg's muxer enables the first track of each kind when none
is default, so the result reports what the file will hold and says so when that was not asked for
(``report_mp4_default``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import languages
from ..errors import UsageError
from ..models import MuxedTrack, Stream, SubtitleTrack
from .containers import DISPLAY
from .language_tags import existing_language, match_language, same_language
from .preflight import WarningCallback


@dataclass
class Dispositions:
    """Per output subtitle stream (the input's kept streams first, then the new tracks)."""

    default: list[bool]
    forced: list[bool]


def decide(
    existing: list[Stream],
    tracks: list[SubtitleTrack],
    langs: list[str | None],
    *,
    default: str | None,
    forced: list[str],
    audio_language: str | None,
) -> Dispositions:
    """The dispositions of ``existing`` (kept streams) then ``tracks``; ``langs``: every stream's
    language in that order. See the module docstring for the rule."""
    return Dispositions(
        default=_default_flags(existing, tracks, langs, default, audio_language),
        forced=_forced_flags(existing, tracks, langs, forced),
    )


def _default_flags(existing: list[Stream], tracks: list[SubtitleTrack], langs: list[str | None], default: str | None,
                   audio_language: str | None) -> list[bool]:
    n_exist = len(existing)
    if default is None:
        if not any(t.default for t in tracks):
            return [s.default for s in existing] + [False] * len(tracks)
        first = n_exist + [t.default for t in tracks].index(True)
        return [i == first for i in range(len(langs))]
    flags = [False] * len(langs)
    if default == "first":
        order = list(range(n_exist, len(langs))) + list(range(n_exist))  # new tracks first
        pick = next((i for i in order if not same_language(langs[i], audio_language)), None)
        if pick is not None:
            flags[pick] = True
    elif default != "none":
        flags[_default_index(default, langs, n_exist)] = True
    return flags


def _default_index(default: str, langs: list[str | None], n_exist: int) -> int:
    """The stream ``--default LANG`` names: new tracks first, as they are what the user is adding now."""
    hit = match_language(default, langs[n_exist:])
    if hit is not None:
        return n_exist + hit
    hit = match_language(default, langs[:n_exist])
    if hit is None:
        have = ", ".join(sorted({lang for lang in langs if lang})) or "none"
        raise UsageError(f"--default {default}: no subtitle track in that language", hint=f"Languages present: {have}")
    return hit


def _forced_flags(existing: list[Stream], tracks: list[SubtitleTrack], langs: list[str | None], forced: list[str]) -> list[bool]:
    flags = [s.forced for s in existing] + [t.forced for t in tracks]
    for want in forced:
        hits = [i for i, lang in enumerate(langs) if lang and languages.base(lang) == languages.base(languages.normalize(want))]
        if not hits:
            raise UsageError(f"--forced {want}: no subtitle track in that language")
        for i in hits:
            flags[i] = True
    return flags


def warn_twins(video: Path, existing: list[Stream], langs: list[str | None], forced: list[bool], warn: WarningCallback) -> None:
    """Say when a new track is in a language (and forced state) a kept stream already has."""
    n_exist = len(existing)
    for j, lang in enumerate(langs[n_exist:]):
        twin = next((s for s in existing if same_language(existing_language(s), lang) and s.forced == forced[n_exist + j]), None)
        if twin is not None:
            warn(f"{video.name} already has a {lang} subtitle stream (#{twin.index}); the output carries both. "
                 f"Pass --replace to keep only the new tracks")


def report_mp4_default(container: str, tracks: list[MuxedTrack], default: str | None, audio_language: str | None,
                       warn: WarningCallback) -> None:
    """MP4/MOV: mark the track ffmpeg's muxer will enable when none is default, and warn when
    that was asked for (``--default none``), or when the track shown is in the language spoken."""
    if container not in {"mp4", "mov"} or not tracks or any(t.default for t in tracks):
        return
    shown = tracks[0]
    shown.default = True
    if default == "none":
        warn(f"{DISPLAY[container]} has no way to mark no subtitle track as default: the first one "
             f"({shown.language}) will be enabled; use .mkv for none")
    elif same_language(shown.language, audio_language):
        warn(f"{DISPLAY[container]} enables the first subtitle track when none is default: {shown.language}, the audio's "
             f"own language, will show over the speech; pass --default LANG, or use .mkv to leave subtitles off")
