"""A profile's limits for one language: line width, lines, reading speed, durations, gaps.

Chinese, Japanese and Korean take the profile's CJK width and reading speed; Chinese and
Japanese are not spaced (no per-word minimum; they break per character). An unknown or wrong
language code falls back on the text's own script. A language's function words (``wording``)
travel with its limits, so every break is weighed with that language's own list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import languages
from ..errors import LanguageError
from ..models import Profile
from . import wording

# Ideographs, kana and Hangul are counted (and may be broken) per character.
CJK_CHAR = re.compile(r"[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class Limits:
    chars: int
    lines: int
    cps: float
    min_dur: float
    max_dur: float
    gap: float
    close_gap: float
    per_word: float
    spaced: bool  # words separated by spaces (not Chinese / Japanese)
    sync: float  # seconds a cue edge may leave the speech to meet the minimum duration
    # The language's function words and their flags (``wording``); None: no list for it.
    wording: dict[str, int] | None = field(default=None, compare=False)


def min_gap(profile: Profile) -> float:
    """The profile's minimum gap in seconds (``gap_frames`` at ``fps`` when set)."""
    if profile.gap_frames and profile.fps:
        return profile.gap_frames / profile.fps
    return profile.min_gap


def limits_for(profile: Profile, language: str | None, sample_text: str = "") -> Limits:
    """``profile``'s limits for text in ``language`` (``sample_text`` decides when it cannot)."""
    cjk = False
    spaced = True
    if language:
        try:
            cjk = languages.is_cjk(language)
            spaced = languages.base(language) not in {"zh", "ja"}
        except LanguageError:
            cjk = False
    if not language or not cjk:
        # Unknown or wrong language: trust the text's script.
        if sample_text and _cjk_share(sample_text) > 0.5:
            cjk = True
            spaced = " " in sample_text.strip() and _hangul_share(sample_text) > 0.5
    return Limits(
        chars=profile.cjk_max_chars_per_line if cjk else profile.max_chars_per_line,
        lines=profile.max_lines,
        cps=profile.cjk_max_cps if cjk else profile.max_cps,
        min_dur=profile.min_duration,
        max_dur=profile.max_duration,
        gap=min_gap(profile),
        close_gap=profile.close_gap,
        per_word=profile.min_seconds_per_word if spaced else 0.0,
        spaced=spaced,
        sync=profile.sync_frames / profile.fps if profile.fps else 0.0,
        wording=wording.flags(language) if spaced and not cjk else None,
    )


def _cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if CJK_CHAR.match(c)) / len(letters) if letters else 0.0


def _hangul_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if "\uac00" <= c <= "\ud7af" or "\u1100" <= c <= "\u11ff") / len(letters) if letters else 0.0


def reading_chars(lines: list[str]) -> int:
    """Characters a viewer reads: spaces count (as in Netflix's CPS), line breaks do not."""
    return sum(len(line) for line in lines)


def needed(lines: list[str], lim: Limits) -> float:
    """The shortest time on screen these lines may have under the profile."""
    chars = reading_chars(lines)
    need = max(lim.min_dur, chars / lim.cps if lim.cps > 0 else 0.0)
    if lim.per_word:
        need = max(need, lim.per_word * sum(len(line.split()) for line in lines))
    return need
