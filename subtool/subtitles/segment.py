"""Cues from word timings: tokens gathered into cues in one linear pass.

Words are gathered until the next one would break the profile (characters per line x lines,
maximum duration), then the cue is cut at the best phrase boundary seen so far (sentence end,
clause punctuation, utterance edge, pause). The run being gathered keeps its length and the state
of a greedy line fill, so adding a word costs constant time. A change of speaker or a pause over
1.5 s always ends a cue; a sentence or utterance end does when the cue can already be read. Lines
are then broken (``lines``) and timing stretched for reading speed and minimum duration without
overlapping the next cue (``timing``). With speaker labels, a change of speaker opens the cue with
a dash, and two quick whole turns share one cue.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..models import Profile, Utterance
from .limits import Limits, limits_for
from .lines import break_lines, fill_state, line_count
from .model import Cue
from .timing import time_cues
from .tokens import Tok, join_tokens, run_length, tokens

_HARD_PAUSE = 1.5  # BBC §5.2: do not hang more than 1.5 s after speech


def build_cues(
    utterances: list[Utterance],
    profile: Profile,
    *,
    language: str,
    duration: float | None = None,
    speaker_labels: bool = False,
) -> list[Cue]:
    """Cues for one language under ``profile`` (see the module docstring for the method)."""
    with gc_paused():
        # The tokens are freed when _build returns, while the collector is still paused: left alive
        # until gc.enable(), they made the next allocation scan them all (the build took 8% longer).
        return _build(utterances, profile, language, duration, speaker_labels)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. Building and writing allocate hundreds of thousands
    of small objects (tokens, cues, events) and make no reference cycles, but each burst of
    allocations makes the collector rescan everything alive, the whole transcript included: that
    was a third of the time on a 3-hour transcript. Reference counting still frees everything."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _build(utterances: list[Utterance], profile: Profile, language: str, duration: float | None, speaker_labels: bool) -> list[Cue]:
    sample = " ".join(u.text for u in utterances[:20])
    lim = limits_for(profile, language, sample)
    groups = _gather(tokens(utterances, lim), lim, speaker_labels)
    return time_cues(_cues(groups, lim, speaker_labels), lim, duration)


def _gather(toks: list[Tok], lim: Limits, speaker_labels: bool) -> list[list[Tok]]:
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

    for tok in toks:
        if not cur:
            restart([tok])
            continue
        prev = cur[-1]
        if (tok.speaker is not None and cur[0].speaker is not None and tok.speaker != cur[0].speaker) or tok.start - prev.end > _HARD_PAUSE:
            groups.append(cur)
            restart([tok])
            continue
        add = tok.w
        if last + add <= chars:
            next_lines, next_last = n_lines, last + add
        else:
            next_lines, next_last = n_lines + 1, tok.n
        if next_lines > max_lines or tok.end - cur[0].start > max_dur:
            restart(_cut([*cur, tok], lim, groups, prefix_for))
            continue
        if (prev.kind == 2 or tok.first) and _comfortable(cur, cur_len, tok, lim):
            groups.append(cur)
            restart([tok])
            continue
        cur.append(tok)
        cur_len += add
        n_lines, last = next_lines, next_last
    if cur:
        groups.append(cur)
    return groups


def _cut(cand: list[Tok], lim: Limits, groups: list[list[Tok]], prefix_for: Callable[[list[Tok]], int]) -> list[Tok]:
    """Cut a run that no longer fits at its best edge: what comes before goes to ``groups``, and
    what is left is returned to gather on from."""
    k = _best_split(cand, lim)
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


def _boundary_score(toks: list[Tok], k: int) -> int:
    """How good a cue edge is between toks[k-1] and toks[k]."""
    before, after = toks[k - 1], toks[k]
    kind = before.kind
    score = 4 if kind == 2 else 3 if after.first else 2 if kind == 1 else 0
    if after.start - before.end >= 0.3:
        score += 1
    return score


def _best_split(cand: list[Tok], lim: Limits) -> int:
    """Where to cut a run that no longer fits: the best phrase boundary in the second half of the
    fitting part, else as late as possible."""
    fit = len(cand) - 1  # cand[:-1] fitted
    floor = lim.chars * lim.lines * 0.45
    best_k, best = fit, -1
    length = -len(cand[0].sep)
    for k in range(1, fit + 1):
        length += cand[k - 1].w
        if length < floor and k < fit:
            continue
        score = _boundary_score(cand, k)
        if score >= best and score > 0:
            best_k, best = k, score
    return best_k if best > 0 else fit


def _comfortable(cur: list[Tok], cur_len: int, nxt: Tok | float, lim: Limits) -> bool:
    """Can the cue so far end here (before ``nxt``, a token or a time) and still meet reading
    speed and minimum duration?"""
    need = max(lim.min_dur, cur_len / lim.cps if lim.cps > 0 else 0.0, lim.per_word * len(cur))
    start = nxt.start if isinstance(nxt, Tok) else nxt
    return cur[0].start + need <= start - lim.gap + 1e-9


def _cues(groups: list[list[Tok]], lim: Limits, speaker_labels: bool) -> list[Cue]:
    """A cue per group (two quick turns of dialogue share one), its lines broken, not yet timed."""
    cues: list[Cue] = []
    prev_speaker: int | None = None
    i = 0
    while i < len(groups):
        group = groups[i]
        speaker = group[0].speaker
        if speaker_labels and _dialogue(groups, i, lim):
            other = groups[i + 1]
            cues.append(_dialogue_cue(group, other))
            prev_speaker = other[0].speaker
            i += 2
            continue
        dash = speaker_labels and speaker is not None and prev_speaker is not None and speaker != prev_speaker
        lines = break_lines(group, lim, 2 if dash else 0)
        if dash:
            lines[0] = "- " + lines[0]
        cues.append(Cue(group[0].start, max(group[-1].end, group[0].start), lines, speaker))
        prev_speaker = speaker
        i += 1
    return cues


def _dialogue_cue(a: list[Tok], b: list[Tok]) -> Cue:
    """Two quick turns in one cue, a dash opening each line. The dash is "- " (with a space), the
    form this module already uses for a change of speaker and the common one across broadcasters'
    guides; Netflix's English guide writes it without the space ("-Are you coming?" / "-In a
    minute.", English Timed Text Style Guide, "Dual Speakers"), which the reference's section D
    does not cover."""
    lines = ["- " + join_tokens(a), "- " + join_tokens(b)]
    return Cue(a[0].start, max(b[-1].end, a[0].start), lines, a[0].speaker)


def _turn_edge(before: list[Tok], after: list[Tok]) -> bool:
    """Is the edge between two gathered groups the end of a speaker's turn?"""
    return before[-1].speaker != after[0].speaker or after[0].start - before[-1].end > _HARD_PAUSE


def _dialogue(groups: list[list[Tok]], i: int, lim: Limits) -> bool:
    """Should groups i and i+1 make one two-speaker cue? Only when both are whole turns of
    different (known) speakers, each fits one line after its dash, the pair fits the maximum
    duration, and at least one of them could not be read alone before what follows it."""
    if i + 1 >= len(groups) or lim.lines < 2:
        return False
    a, b = groups[i], groups[i + 1]
    if a[0].speaker is None or b[0].speaker is None or a[0].speaker == b[0].speaker:
        return False
    if (i and not _turn_edge(groups[i - 1], a)) or (i + 2 < len(groups) and not _turn_edge(b, groups[i + 2])):
        return False  # a turn that spans several cues keeps its own cues
    if b[0].start - a[-1].end > _HARD_PAUSE or b[-1].end - a[0].start > lim.max_dur:
        return False
    len_a, len_b = run_length(a), run_length(b)
    if len_a + 2 > lim.chars or len_b + 2 > lim.chars:
        return False
    after = groups[i + 2][0].start if i + 2 < len(groups) else math.inf
    return not _comfortable(a, len_a, b[0], lim) or not _comfortable(b, len_b, after, lim)
