"""The closest name to a misspelt one, for the hint of an error: a preset, a style, a profile, a
command, a configuration key (``boxd`` -> ``boxed``).

difflib's ratio (the share of letters two names have in common, in order) above 0.6 is what
reads as a typo; below it no suggestion is better than a wrong one. The number itself is never
shown: a hint names the candidate only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` (case aside), or None when none is close enough."""
    names = list(dict.fromkeys(choices))
    lowered = {name.lower(): name for name in names}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=CUTOFF)
    return lowered[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"Did you mean 'boxed'? "`` (to put before the rest of a hint), or ``""``."""
    found = closest(word, choices)
    return f"Did you mean '{found}'? " if found else ""
