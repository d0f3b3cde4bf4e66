"""Translations that follow the spoken language's cue template.

Localisation teams expect every language to share the source's cue times: a translated cue takes
a spoken-language cue's in and out times exactly, and only its text is the target's, broken for
the target's own limits (CJK by character). ``slots`` reads the template off the built source
track (each cue's times, the span of its words and how many characters of each source utterance
it holds); ``follow`` shares each translated utterance's text out over the cues that hold its
source utterance:

- when the translation is aligned with the source (one translated utterance per spoken one,
  timed alike: what the Gladia service returns), in proportion to the characters each cue holds
  of that utterance; otherwise (Whisper's own English segments) in proportion to how long each
  cue's words overlap the translated utterance;
- each cut is placed at the unit boundary nearest its share, preferring a sentence end, then
  clause punctuation, and never after a function word of the target language when another
  boundary is as near;
- a part too long for its cue hands units over to a neighbouring cue of the same utterance that
  has room.

A template cue that gets no text gets no cue. What does not fit its template cue (too long for
the lines, too fast to read in the source's time) is left in place and reported by ``check``'s
code, per cue, by the caller: the times are the template's and are never changed.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Utterance
from .layout import Layout
from .limits import Limits
from .lines import break_lines, line_count
from .model import Cue
from .tokens import Tok, join_tokens, run_length, units

_ALIGNED = 0.05  # seconds: a translated utterance timed like its spoken one within this is aligned


@dataclass
class Slot:
    """One template cue: its times, its words' span, the characters of each source utterance it
    holds, and its speaker dashes (0 none, 1 a change of speaker, 2 a two-speaker cue)."""

    start: float
    end: float
    speech: tuple[float, float]
    shares: dict[int, int] = field(default_factory=dict)
    dashes: int = 0
    speaker: int | None = None


def slots(layout: Layout, owners: Sequence[tuple[int, int]], cues: Sequence[Cue]) -> list[Slot]:
    """The template of a built track (``layout`` and ``owners`` as ``rules.settle`` returns them)."""
    out: list[Slot] = []
    for cue, (a, b) in zip(cues, owners, strict=True):
        runs = layout.groups[a:b]
        shares: dict[int, int] = {}
        for run in runs:
            for t in run:
                shares[t.utt] = shares.get(t.utt, 0) + t.n
        dashes = 2 if b - a == 2 else 1 if cue.lines and cue.lines[0].startswith("- ") else 0
        out.append(Slot(cue.start, cue.end, (runs[0][0].start, runs[-1][-1].end), shares, dashes, cue.speaker))
    return out


def follow(template: list[Slot], source: Sequence[Utterance], target: Sequence[Utterance], lim: Limits) -> list[Cue]:
    """The target's cues on the template's times (see the module docstring)."""
    aligned = len(source) == len(target) and all(
        abs(s.start - t.start) <= _ALIGNED and abs(s.end - t.end) <= _ALIGNED for s, t in zip(source, target, strict=True))
    by_utt: dict[int, list[tuple[int, float]]] = {}
    if aligned:
        for k, slot in enumerate(template):
            for index, chars in slot.shares.items():
                by_utt.setdefault(index, []).append((k, float(chars)))
    starts = [s.speech[0] for s in template]
    parts: list[list[list[Tok]]] = [[] for _ in template]  # per slot, one token run per utterance
    for j, said in enumerate(target):
        if not said.text.strip():
            continue
        weights = by_utt.get(j, []) if aligned else _overlaps(template, starts, said)
        if not weights:
            continue
        toks = _tokens(said, j, lim)
        caps = [_capacity(template[k], lim, _part(template[k], w, aligned)) for k, w in weights]
        for (k, _w), run in zip(weights, _share(toks, [w for _, w in weights], caps), strict=True):
            if run:
                parts[k].append(run)
    _spill(template, parts, lim)
    return [_cue(slot, runs, lim) for slot, runs in zip(template, parts, strict=True) if runs]


def _spill(template: list[Slot], parts: list[list[list[Tok]]], lim: Limits) -> None:
    """A cue whose text needs more lines than the profile has hands its first or last units to
    the cue before or after, when that one has room for them (the order of the text is kept)."""
    for k, runs in enumerate(parts):
        if not runs or _lines(runs, lim) <= lim.lines:
            continue
        if k + 1 < len(parts) and parts[k + 1]:
            nxt = parts[k + 1]
            while _lines(runs, lim) > lim.lines and len(runs[-1]) > 1 and _takes(template[k + 1], [[runs[-1][-1]], *nxt], lim):
                nxt[0].insert(0, runs[-1].pop())
        if k and parts[k - 1]:
            before = parts[k - 1]
            while _lines(runs, lim) > lim.lines and len(runs[0]) > 1 and _takes(template[k - 1], [*before, [runs[0][0]]], lim):
                before[-1].append(runs[0].pop(0))


def _lines(runs: list[list[Tok]], lim: Limits) -> int:
    toks = [t for run in runs for t in run]
    return 1 if run_length(toks) <= lim.chars else line_count(toks, lim.chars, 0)


def _takes(slot: Slot, runs: list[list[Tok]], lim: Limits) -> bool:
    """Would ``runs`` fit ``slot`` (lines and reading speed)?"""
    toks = [t for run in runs for t in run]
    length = run_length(toks)
    return _lines(runs, lim) <= lim.lines and (lim.cps <= 0 or length <= lim.cps * (slot.end - slot.start))


def _overlaps(template: list[Slot], starts: list[float], utt: Utterance) -> list[tuple[int, float]]:
    """(slot, weight) for the slots whose words overlap ``utt`` in time; the nearest slot when none does."""
    lo = max(0, bisect.bisect_right(starts, utt.start) - 1)
    out: list[tuple[int, float]] = []
    k = lo
    while k < len(template) and template[k].speech[0] < utt.end:
        a, b = template[k].speech
        overlap = min(b, utt.end) - max(a, utt.start)
        if overlap > 0:
            out.append((k, overlap))
        k += 1
    if out or not template:
        return out
    nearest = min(range(max(0, lo - 1), min(len(template), lo + 2)),
                  key=lambda i: abs((template[i].speech[0] + template[i].speech[1]) / 2 - (utt.start + utt.end) / 2))
    return [(nearest, 1.0)]


def _tokens(utt: Utterance, index: int, lim: Limits) -> list[Tok]:
    toks = [Tok(text, utt.start, utt.end, sep, utt.speaker, False, lim.spaced, lim.wording, index) for text, sep in units(utt.text, lim.spaced)]
    if toks:
        toks[0].first = True
    return toks


def _share(toks: list[Tok], weights: list[float], caps: list[tuple[float, float]]) -> list[list[Tok]]:
    """``toks`` cut into ``len(weights)`` consecutive runs sized by the weights (see the module
    docstring), then evened out by what each cue can show (``caps``, characters)."""
    k = len(weights)
    if k == 1:
        return [toks]
    total_w = sum(weights) or 1.0
    pos = [0]
    for t in toks:
        pos.append(pos[-1] + t.w)
    total = pos[-1] or 1
    cuts: list[int] = []
    acc = 0.0
    prev = 0
    n = len(toks)
    for j in range(k - 1):
        acc += weights[j]
        want = total * acc / total_w
        lo, hi = (prev + 1, n - (k - 1 - j)) if n >= k else (prev, n)
        # Only boundaries within a few units of the share can win (a bonus is worth 12% at most).
        near = bisect.bisect_left(pos, want)
        reach = 0.13 * total
        while near > lo and want - pos[near - 1] < reach:
            near -= 1
        lo = max(lo, min(near, hi))
        best, best_cost = lo, float("inf")
        for c in range(lo, max(lo, hi) + 1):
            if c > n or pos[c] - want > reach:
                break
            cost = abs(pos[c] - want) / total - (_edge_bonus(toks, c) if 0 < c < n else 0.0)
            if cost < best_cost:
                best, best_cost = c, cost
        cuts.append(best)
        prev = best
    bounds = [0, *cuts, n]
    runs = [toks[bounds[i]:bounds[i + 1]] for i in range(k)]
    _even_out(runs, caps)
    return runs


def _capacity(slot: Slot, lim: Limits, share: float) -> tuple[float, float]:
    """What ``share`` of a template cue can show: characters (its lines' width, and what its time
    lets be read) and words (what its time holds at the per-word minimum; 0: no such minimum)."""
    room = lim.chars * lim.lines
    duration = slot.end - slot.start
    chars = min(room, lim.cps * duration) if lim.cps > 0 else room
    return chars * share, duration * share / lim.per_word if lim.per_word > 0 else 0.0


def _part(slot: Slot, weight: float, aligned: bool) -> float:
    """The share of a template cue one utterance's text may take (the cue may hold others)."""
    whole = float(sum(slot.shares.values())) if aligned else slot.speech[1] - slot.speech[0]
    return min(1.0, weight / whole) if whole > 0 else 1.0


def _edge_bonus(toks: list[Tok], c: int) -> float:
    """How much nearer (as a share of the utterance) a good cut may be preferred to a plain one."""
    before = toks[c - 1]
    if before.kind == 2:
        return 0.12
    if before.kind == 1:
        return 0.06
    if before.weak:
        return -0.08
    return 0.02 if toks[c].opens else 0.0


def _even_out(runs: list[list[Tok]], caps: list[tuple[float, float]]) -> None:
    """Hand units across a boundary while that lowers the heavier side's load (its characters over
    what its cue can show: lines x width and reading speed x its time; its words over what the
    per-word minimum lets its time hold)."""
    for i in range(len(runs) - 1):
        a, b = runs[i], runs[i + 1]
        (ca, wa), (cb, wb) = caps[i], caps[i + 1]

        def load(chars: float, words: int, c: float, w: float) -> float:
            return max(chars / max(c, 1.0), words / w if w > 0 else 0.0)

        la, lb = run_length(a), run_length(b)
        while True:
            now_a, now_b = load(la, len(a), ca, wa), load(lb, len(b), cb, wb)
            if now_a > now_b and len(a) > 1:
                t = a[-1]
                na, nb = la - t.w, (lb + t.n + len(b[0].sep)) if b else t.n
                if max(load(na, len(a) - 1, ca, wa), load(nb, len(b) + 1, cb, wb)) >= now_a:
                    break
                b.insert(0, a.pop())
            elif now_b > now_a and len(b) > 1:
                t = b[0]
                na, nb = (la + t.w) if a else t.n, lb - t.n - len(b[1].sep)
                if max(load(na, len(a) + 1, ca, wa), load(nb, len(b) - 1, cb, wb)) >= now_b:
                    break
                a.append(b.pop(0))
            else:
                break
            la, lb = na, nb


def _cue(slot: Slot, runs: list[list[Tok]], lim: Limits) -> Cue:
    """One template cue with the target's text: lines broken for the target, dashes as the source's."""
    if slot.dashes == 2 and len(runs) == 2 and all(run_length(r) + 2 <= lim.chars for r in runs):
        return Cue(slot.start, slot.end, ["- " + join_tokens(r) for r in runs], slot.speaker)
    toks = [t for run in runs for t in run]
    prefix = 2 if slot.dashes else 0
    lines = break_lines(toks, lim, prefix)
    if prefix:
        lines[0] = "- " + lines[0]
    return Cue(slot.start, slot.end, lines, slot.speaker)
