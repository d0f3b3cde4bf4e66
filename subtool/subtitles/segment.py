"""Cues from word timings: tokens gathered into runs, one per cue, in one linear pass.

Words are gathered until the next one would break the profile (characters per line x lines,
maximum duration), then the run is cut at its best boundary (``boundary_score``: a sentence end,
an utterance edge, clause punctuation, a pause; never after a function word of the language or
inside a name). The run being gathered keeps its length and the state of a greedy line fill, so
adding a word costs constant time. A change of speaker or a pause over 1.5 s always ends a run.

Sentences: a new sentence starts a new cue whenever the timing allows it, that is when what
comes before it can be read (reading speed, minimum duration) before the next word starts
(``comfortable``). A cue carries the end of one sentence and the start of the next only when that
break was not available; a cut made for length that leaves such a run behind is split again
(``_by_sentence``). Two short sentences still share a cue when the first cannot be read alone and
both fit. Lines are broken (``lines``) and the runs made cues in ``layout``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .limits import Limits
from .lines import fill_state, line_count
from .tokens import Tok, run_length

HARD_PAUSE = 1.5  # BBC §5.2: do not hang more than 1.5 s after speech


def gather(toks: list[Tok], lim: Limits, speaker_labels: bool) -> list[list[Tok]]:
    """The tokens in runs, one per cue (see the module docstring)."""
    groups: list[list[Tok]] = []
    chars, max_lines, max_dur = lim.chars, lim.lines, lim.max_dur

    def prefix_for(group: list[Tok]) -> int:
        if not speaker_labels or group[0].speaker is None:
            return 0
        prev = groups[-1][0].speaker if groups else None
        return 2 if prev is not None and prev != group[0].speaker else 0

    # The run being gathered, its length on one line, and the state of a greedy line fill (lines
    # used, length of the last line): adding a token updates all three in constant time.
    cur: list[Tok] = []
    cur_len = n_lines = last = 0

    def restart(run: list[Tok]) -> None:
        nonlocal cur, cur_len, n_lines, last
        cur = run
        cur_len = run_length(run)
        n_lines, last = fill_state(run, chars, prefix_for(run))

    for i, tok in enumerate(toks):
        if not cur:
            restart([tok])
            continue
        prev = cur[-1]
        if (tok.speaker is not None and cur[0].speaker is not None and tok.speaker != cur[0].speaker) or tok.start - prev.end > HARD_PAUSE:
            groups.append(cur)
            restart([tok])
            continue
        add = tok.w
        if last + add <= chars:
            next_lines, next_last = n_lines, last + add
        else:
            next_lines, next_last = n_lines + 1, tok.n
        if next_lines > max_lines or tok.end - cur[0].start > max_dur:
            restart(_cut([*cur, tok], lim, groups, prefix_for, _rest_of_sentence(toks, i)))
            continue
        if (prev.kind == 2 or tok.first) and comfortable(cur, cur_len, tok, lim):
            groups.append(cur)
            restart([tok])
            continue
        cur.append(tok)
        cur_len += add
        n_lines, last = next_lines, next_last
    if cur:
        groups.append(cur)
    return _by_sentence(groups, lim)


def _rest_of_sentence(toks: list[Tok], at: int, reach: int = 40) -> tuple[list[Tok], Tok | None] | None:
    """The tokens after ``at`` up to the end of the sentence ``toks[at]`` is in, and the token
    after that, when the sentence ends within ``reach`` tokens in the same utterance; else None."""
    for j in range(at, min(len(toks), at + reach)):
        if j > at and (toks[j].first or toks[j].start - toks[j - 1].end > HARD_PAUSE):
            return None
        if toks[j].kind == 2:
            return toks[at + 1:j + 1], toks[j + 1] if j + 1 < len(toks) else None
    return None


def _cut(cand: list[Tok], lim: Limits, groups: list[list[Tok]], prefix_for: Callable[[list[Tok]], int],
         ahead: tuple[list[Tok], Tok | None] | None = None) -> list[Tok]:
    """Cut a run that no longer fits at its best edge: what comes before goes to ``groups``, and
    what is left is returned to gather on from. ``ahead``: the rest of the sentence after the run,
    and the token after it."""
    k = _best_split(cand, lim, ahead)
    groups.append(cand[:k])
    rest = cand[k:]
    # What is left may still break the profile (a very long word, a very long token).
    while len(rest) > 1 and (rest[-1].end - rest[0].start > lim.max_dur or not _fits(rest, run_length(rest), lim, prefix_for(rest))):
        groups.append(rest[:-1])
        rest = rest[-1:]
    return rest


def _fits(toks: list[Tok], total: int, lim: Limits, prefix: int) -> bool:
    if total + prefix <= lim.chars:
        return True
    return line_count(toks, lim.chars, prefix) <= lim.lines


def boundary_score(toks: list[Tok], k: int) -> float:
    """How good a cue edge is between toks[k-1] and toks[k]: a sentence end, then an utterance
    edge, then clause punctuation, a pause; never after a function word or inside a name."""
    before, after = toks[k - 1], toks[k]
    kind = before.kind
    score = 10.0 if kind == 2 else 7.0 if after.first else 5.0 if kind == 1 else 0.0
    if after.start - before.end >= 0.3:
        score += 2.0
    if kind == 0:
        if before.weak:
            score -= 8.0 if before.strong else 6.0
        elif before.cap and after.cap:
            score -= 4.0
        elif after.opens:
            score += 1.0
    return score


def _best_split(cand: list[Tok], lim: Limits, ahead: tuple[list[Tok], Tok | None] | None = None) -> int:
    """Where to cut a run that no longer fits: at its last sentence end when what comes before it
    can be read on its own; else the best boundary (``boundary_score``) in the second half of
    the fitting part, the later of equals, preferring one that leaves the rest of the sentence
    (``ahead``) a cue of its own, readable before the next; an edge in the first half only when it
    is a sentence end. A boundary after a function word is a last resort."""
    fit = len(cand) - 1  # cand[:-1] fitted
    floor = lim.chars * lim.lines * 0.45
    best_k, best = fit, -math.inf
    length = -len(cand[0].sep)
    for k in range(1, fit + 1):
        length += cand[k - 1].w
        score = boundary_score(cand, k)
        if cand[k - 1].kind == 2 and comfortable(cand[:k], length, cand[k], lim):
            score += 20.0  # a new sentence starts a new cue whenever the timing allows it
        elif length < floor and k < fit:
            score -= 9.0
        elif ahead is not None and cand[k - 1].kind != 2 and _tail_fits(cand[k:], ahead, lim):
            score += 3.0
        if score >= best:
            best_k, best = k, score
    return best_k


def _tail_fits(head: list[Tok], ahead: tuple[list[Tok], Tok | None], lim: Limits) -> bool:
    """Would ``head`` and the rest of its sentence make one cue, read before what follows it?"""
    tail = [*head, *ahead[0]]
    if tail[-1].end - tail[0].start > lim.max_dur:
        return False
    length = run_length(tail)
    if not _fits(tail, length, lim, 0):
        return False
    return ahead[1] is None or comfortable(tail, length, ahead[1], lim)


def sentence_break(toks: list[Tok], lim: Limits) -> int | None:
    """The first place inside ``toks`` where a sentence ends and what comes before could be read
    on its own before the next word (the cue should end there), or None."""
    length = -len(toks[0].sep)
    for k in range(1, len(toks)):
        length += toks[k - 1].w
        if toks[k - 1].kind == 2 and comfortable(toks[:k], length, toks[k], lim):
            return k
    return None


def _by_sentence(groups: list[list[Tok]], lim: Limits) -> list[list[Tok]]:
    """Every group that still carries the end of one sentence and the start of the next where a
    break was available, split there (a cut made for length can leave such a run behind)."""
    out: list[list[Tok]] = []
    for group in groups:
        while len(group) > 1 and any(t.kind == 2 for t in group[:-1]):
            k = sentence_break(group, lim)
            if k is None:
                break
            out.append(group[:k])
            group = group[k:]
        out.append(group)
    return out


def comfortable(cur: list[Tok], cur_len: int, nxt: Tok | float, lim: Limits, *, sync: bool = True) -> bool:
    """Can the cue so far end here (before ``nxt``, a token or a time) and still meet reading
    speed and minimum duration? The next cue may start up to the profile's sync frames after its
    words (Netflix: within 3 frames of the audio), as ``rules`` lets it when that is enough
    (``sync=False``: on its words)."""
    need = max(lim.min_dur, cur_len / lim.cps if lim.cps > 0 else 0.0, lim.per_word * len(cur))
    start = (nxt.start + (lim.sync if sync else 0.0)) if isinstance(nxt, Tok) else nxt
    return cur[0].start + need <= start - lim.gap + 1e-9
