"""Files that meet their profile: built cues checked with ``check``'s own code, repaired with the
room the rules allow, and what still breaks a rule handed back to be reported.

The builder already stretches every cue for reading speed into the silence after it, closes gaps
of ``close_gap`` or less (Netflix: 12 frames at 24 fps) to the minimum gap, and leaves speech by
the profile's sync frames for the minimum duration (``timing``). Where a cue is still too fast or
too short because the speech itself is, ``settle`` goes on, in this order:

1. the cue and its neighbour (next first, then previous; same speaker, no long pause between)
   share their words differently: the split that leaves both readable before what follows, at
   the best boundary (``segment.boundary_score``);
2. or they become one cue, when it fits the lines, the maximum duration and can be read;
3. then, for what is left, the edges leave the speech by up to the sync frames (the next cue
   starts later, this one earlier into silence; Netflix: within 3 frames of the audio), never
   moving an edge that sits on a shot change.

Every change keeps the sentence rule (no new cue carries the end of one sentence and the start of
the next where a break was available: ``segment.sentence_break``). A round of repairs is kept
only when the whole track then has fewer cues that break the profile; two rounds at most (on the
3-hour benchmark, each language cut on its own, the first round took the netflix profile from 130
violations to 10 and the second to 5; a third changed little: 6, and bbc 399 to 378, for another
re-timing and check of every cue). Whatever still breaks the profile is returned as ``check``
would report it.
"""

from __future__ import annotations

import math

from .check import problems
from .layout import Layout, layout_cues
from .limits import Limits, needed
from .lines import line_count
from .model import Cue, Violation
from .segment import HARD_PAUSE, boundary_score, comfortable, sentence_break
from .shots import Shots
from .timing import time_cues
from .tokens import Tok, run_length

ROUNDS = 2
REPAIRABLE = frozenset({"too_fast", "too_short"})
_MERGE_SCORE = 4.0  # a merge is preferred to a new split at a bare word boundary, not at punctuation

Owners = list[tuple[int, int]]


def settle(layout: Layout, shots: Shots | None) -> tuple[list[Cue], Owners, list[Violation], Layout]:
    """The layout's cues, timed and repaired as the module docstring says: (cues, the runs each
    holds, what still breaks the profile, the final layout)."""
    cues, owners = timed(layout, shots)
    found = problems(cues, layout.lim)
    for _ in range(ROUNDS):
        bad = sorted({v.index - 1 for v in found if v.code in REPAIRABLE})
        trial = _repaired(layout, owners, bad) if bad else None
        if trial is None:
            break
        t_cues, t_owners = timed(trial, shots)
        t_found = problems(t_cues, trial.lim)
        if _broken(t_found) >= _broken(found):
            break
        layout, cues, owners, found = trial, t_cues, t_owners, t_found
    if layout.lim.sync > 0 and any(v.code in REPAIRABLE for v in found):
        speech = [layout.groups[a][0].start for a, _ in owners]
        end_limit = layout.duration if layout.duration else math.inf
        if _leave_speech(cues, speech, found, layout.lim, shots, end_limit):
            found = problems(cues, layout.lim)
    return cues, owners, found, layout


def timed(layout: Layout, shots: Shots | None) -> tuple[list[Cue], Owners]:
    cues, owners = layout_cues(layout)
    time_cues(cues, layout.lim, layout.duration, shots=shots)
    return cues, owners


def _broken(found: list[Violation]) -> int:
    return len({v.index for v in found})


def _repaired(layout: Layout, owners: Owners, bad: list[int]) -> Layout | None:
    """A new layout with the runs around each bad cue shared out or merged, or None."""
    groups, lim = layout.groups, layout.lim
    edits: list[tuple[int, int, list[list[Tok]]]] = []
    taken: set[int] = set()
    for c in bad:
        a, b = owners[c]
        if b - a != 1 or taken & {a - 1, a, a + 1}:
            continue  # a dialogue cue keeps its two turns; one repair per neighbourhood a round
        edit = _best_edit(groups, a, lim, layout.duration)
        if edit is not None:
            edits.append(edit)
            taken.update(range(edit[0] - 1, edit[1] + 1))
    if not edits:
        return None
    new_groups, new_lines = list(groups), list(layout.lines)
    for lo, hi, new in sorted(edits, key=lambda e: e[0], reverse=True):
        new_groups[lo:hi] = new
        new_lines[lo:hi] = [None] * len(new)
    return Layout(new_groups, lim, layout.speaker_labels, layout.duration, new_lines)


def _best_edit(groups: list[list[Tok]], g: int, lim: Limits, duration: float | None) -> tuple[int, int, list[list[Tok]]] | None:
    """The best way to share out or merge run ``g`` with a neighbour so that every run involved
    can be read in time: (first run, last run + 1, the new runs), or None."""
    best: tuple[float, int, int, list[list[Tok]]] | None = None
    for lo in (g, g - 1):
        hi = lo + 2
        if lo < 0 or hi > len(groups) or not _may_share(groups[lo], groups[lo + 1]):
            continue
        run = groups[lo] + groups[lo + 1]
        nxt: Tok | float = groups[hi][0] if hi < len(groups) else (duration or math.inf)
        for score, new in _options(run, len(groups[lo]), nxt, lim):
            if best is None or score > best[0]:
                best = (score, lo, hi, new)
    return None if best is None else best[1:]


def _may_share(a: list[Tok], b: list[Tok]) -> bool:
    """May two neighbouring runs exchange words? Not across a change of speaker or a long pause."""
    return a[0].speaker == b[0].speaker and b[0].start - a[-1].end <= HARD_PAUSE


def _options(run: list[Tok], was: int, nxt: Tok | float, lim: Limits) -> list[tuple[float, list[list[Tok]]]]:
    """Ways to lay ``run`` out (two runs split elsewhere than ``was``, or one) where every part is
    readable before what follows it, each with its score."""
    out: list[tuple[float, list[list[Tok]]]] = []
    best_k, best = 0, -math.inf
    for k in range(1, len(run)):
        if k == was:
            continue
        score = boundary_score(run, k)
        if score > best and _readable(run[:k], run[k], lim) and _readable(run[k:], nxt, lim):
            best_k, best = k, score
    if best_k:
        out.append((best, [run[:best_k], run[best_k:]]))
    if _readable(run, nxt, lim):
        out.append((_MERGE_SCORE, [run]))
    return out


def _readable(group: list[Tok], nxt: Tok | float, lim: Limits) -> bool:
    """Does ``group`` fit the profile as one cue, read in time before ``nxt``, without carrying
    a sentence end whose break was available?"""
    if group[-1].end - group[0].start > lim.max_dur:
        return False
    length = run_length(group)
    if length > lim.chars and line_count(group, lim.chars, 0) > lim.lines:
        return False
    return comfortable(group, length, nxt, lim) and sentence_break(group, lim) is None


def _leave_speech(cues: list[Cue], speech: list[float], found: list[Violation], lim: Limits, shots: Shots | None,
                  end_limit: float) -> bool:
    """Give each cue still too fast or too short the sync room, when that is enough to make it
    readable: the next cue starts up to ``lim.sync`` later (when it stays readable), this one up to
    ``lim.sync`` earlier into silence; an edge on a shot change stays. Whether anything moved."""
    moved = False
    cap = math.floor(end_limit * 1000 + 1e-6) / 1000 if end_limit != math.inf else math.inf
    for i in sorted({v.index - 1 for v in found if v.code in REPAIRABLE}):
        cue = cues[i]
        need = needed(cue.lines, lim)
        nxt = cues[i + 1] if i + 1 < len(cues) else None
        nxt_start = nxt.start if nxt is not None else math.inf
        if nxt is not None and _free(shots, nxt.start, lim, out=False):
            later = round(min(speech[i + 1] + lim.sync, nxt.end - needed(nxt.lines, lim)), 3)
            if later > nxt.start and _free(shots, later, lim, out=False):
                nxt_start = later
        room = min(nxt_start - lim.gap, cue.start + lim.max_dur, cap)
        earliest = max(speech[i] - lim.sync, cues[i - 1].end + lim.gap if i else 0.0, 0.0)
        start = round(max(earliest, min(cue.start, room - need)), 3)
        if start < cue.start and not (_free(shots, cue.start, lim, out=False) and _free(shots, start, lim, out=False)):
            start = cue.start
        end = min(round(start + need + 0.0005, 3), math.floor(room * 1000 + 1e-6) / 1000)
        if end - start < need - 1e-3 or not _free(shots, end, lim, out=True):
            continue  # the room the rules allow is not enough: left as it is, and reported
        if nxt is not None:
            nxt.start = max(nxt.start, nxt_start if end > nxt.start - lim.gap else nxt.start)
            if lim.gap + 1e-3 < nxt.start - end < lim.close_gap and nxt.start - lim.gap - start <= lim.max_dur:
                end = round(nxt.start - lim.gap, 3)  # the gap is closed, not left as a flicker
        cue.start, cue.end = start, max(cue.end, end)
        if i:
            _close_gap(cues[i - 1], start, lim, shots)
        moved = True
    return moved


def _close_gap(prev: Cue, start: float, lim: Limits, shots: Shots | None) -> None:
    """Close a gap a moved in-time left under ``close_gap`` by ending the cue before later."""
    end = round(start - lim.gap, 3)
    if lim.gap + 1e-3 < start - prev.end < lim.close_gap and end - prev.start <= lim.max_dur and _free(shots, end, lim, out=True):
        prev.end = end


def _free(shots: Shots | None, t: float, lim: Limits, *, out: bool) -> bool:
    """May a cue edge sit at ``t`` (no shot change within a few frames)? An in-time on a cut may
    not move either."""
    if shots is None:
        return True
    return shots.clear(t, out=out, lim=lim) and (out or not any(abs(c - t) < 1e-6 for c in shots.cuts))
