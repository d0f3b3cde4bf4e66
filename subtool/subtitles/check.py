"""Checking cues against a profile: every way each cue breaks it, numbered as players count.

A file's cue blocks that could not be read come first (``bad_block``, with the file's line).
Times are compared with the file's own precision as slack (milliseconds; ASS keeps centiseconds),
so rounding to it is not a violation.
"""

from __future__ import annotations

from .. import languages
from ..models import Profile
from .limits import Limits, limits_for, reading_chars
from .model import Cue, SubtitleDoc, Violation


def _doc_cues(doc: SubtitleDoc) -> list[Cue]:
    return [Cue(e.start / 1000, e.end / 1000, e.plaintext.split("\n")) for e in doc.ssa.events]


def check_cues(doc_or_cues: SubtitleDoc | list[Cue], profile: Profile, *, language: str | None = None) -> list[Violation]:
    """Every way each cue breaks ``profile`` (cue numbers are 1-based); for a read file, first its
    cue blocks that could not be read (``bad_block``, with the file's line)."""
    out: list[Violation] = []
    if isinstance(doc_or_cues, SubtitleDoc):
        doc = doc_or_cues
        out += [Violation(0, 0.0, 0.0, "bad_block", f"{b.problem}: left out", line=b.line) for b in doc.bad_blocks]
        cues = _doc_cues(doc)
        flagged = set(doc.overlaps)
        if language is None:
            language = languages.from_sidecar(doc.path)[0]
        tol = 0.0105 if doc.format in {"ass", "ssa"} else 0.0015  # ASS keeps centiseconds
    else:
        cues = doc_or_cues
        flagged = set()
        tol = 0.0015
    sample = " ".join(c.text for c in cues[:50])
    return out + problems(cues, limits_for(profile, language, sample), tol=tol, flagged=flagged)


def problems(cues: list[Cue], lim: Limits, *, tol: float = 0.0015, flagged: set[int] | frozenset[int] = frozenset()) -> list[Violation]:
    """Every way each cue breaks ``lim`` (what ``check_cues`` reports for cues; the builder checks
    what it built with this same code). ``tol``: the file's time precision; ``flagged``: 0-based
    cues that overlapped the next one in the file."""
    out: list[Violation] = []
    for i in range(len(cues)):
        out += [Violation(i + 1, cues[i].start, cues[i].end, code, message) for code, message in _cue_problems(cues, i, lim, tol, i in flagged)]
    return out


def _cue_problems(cues: list[Cue], i: int, lim: Limits, tol: float, flagged: bool) -> list[tuple[str, str]]:
    """(code, message) for each way cue ``i`` breaks the limits; ``flagged``: it overlapped the
    next one in the file (and was trimmed when read)."""
    cue = cues[i]
    found: list[tuple[str, str]] = []
    lines = [line.strip() for line in cue.lines]
    for n, line in enumerate(lines, 1):
        if len(line) > lim.chars:
            found.append(("line_too_long", f"line {n} has {len(line)} characters (max {lim.chars})"))
    if len(lines) > lim.lines:
        found.append(("too_many_lines", f"{len(lines)} lines (max {lim.lines})"))
    dur = cue.end - cue.start
    if dur <= 0:
        found.append(("bad_timing", "ends before it starts" if dur < 0 else "ends the moment it starts (0 s on screen)"))
        return found
    chars = reading_chars(lines)
    if dur > 0 and lim.cps > 0 and chars / dur > lim.cps * (1 + 1e-6) and chars / (dur + tol) > lim.cps:
        found.append(("too_fast", f"{chars / dur:.1f} characters per second (max {lim.cps:g})"))
    need = max(lim.min_dur, lim.per_word * sum(len(line.split()) for line in lines))
    if dur + tol < need:
        found.append(("too_short", f"{dur:.3f} s on screen (min {need:.3f} s)"))
    if dur > lim.max_dur + tol:
        found.append(("too_long", f"{dur:.3f} s on screen (max {lim.max_dur:g} s)"))
    if i + 1 < len(cues):
        found += _gap_problems(cue, cues[i + 1], i, lim, tol, flagged)
    return found


def _gap_problems(cue: Cue, nxt: Cue, i: int, lim: Limits, tol: float, flagged: bool) -> list[tuple[str, str]]:
    """What is wrong with the gap between cue ``i`` and the next."""
    gap = nxt.start - cue.end
    if gap < -tol / 2 or flagged:
        return [("overlap", f"overlaps cue {i + 2}" + (" (trimmed when read)" if flagged and gap >= 0 else ""))]
    if gap + tol < lim.gap:
        return [("gap_too_small", f"{gap:.3f} s before cue {i + 2} (min {lim.gap:.3f} s)")]
    if lim.close_gap and gap + tol < lim.close_gap and gap > lim.gap + tol:
        return [("gap_too_small", f"{gap:.3f} s before cue {i + 2}: close it to {lim.gap:.3f} s or leave at least {lim.close_gap:g} s")]
    return []
