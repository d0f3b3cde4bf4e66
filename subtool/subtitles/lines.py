"""Line breaking: a cue's tokens as the fewest, most balanced lines.

One line when it fits; else the fewest lines a greedy fill needs, chosen by a small dynamic
programme that balances their lengths, prefers breaks after punctuation and before prepositions
and conjunctions, and avoids breaks after the language's function words (``wording``) and inside
names. Two lines (most cues) take a single scan instead of the programme's tables.
"""

from __future__ import annotations

from .limits import Limits
from .tokens import Tok, join_tokens, run_length


def fill_state(toks: list[Tok], width: int, prefix: int) -> tuple[int, int]:
    """(lines, length of the last line) of a greedy fill of ``toks`` (greedy is optimal for the
    count); an over-long word takes a line of its own."""
    lines = 1
    cur = prefix + toks[0].n
    for t in toks[1:]:
        add = t.w
        if cur + add <= width:
            cur += add
        else:
            lines += 1
            cur = t.n
    return lines, cur


def line_count(toks: list[Tok], width: int, prefix: int) -> int:
    return fill_state(toks, width, prefix)[0]


def break_lines(toks: list[Tok], lim: Limits, prefix: int) -> list[str]:
    """Balanced lines at word boundaries: one line when it fits, else the fewest lines, chosen to
    balance lengths, prefer breaks after punctuation and avoid breaks after short function words.
    ``prefix`` is the width of what will open the first line (a speaker's dash)."""
    width = lim.chars
    total = run_length(toks)
    if total + prefix <= width or len(toks) == 1:
        return [join_tokens(toks)]
    m = line_count(toks, width, prefix)
    if m > lim.lines:
        # Some word is longer than a line: a greedy fill is the best that can be done.
        return _greedy_lines(toks, width, prefix)
    target = (total + prefix) / m
    unit = lim.chars * 2
    if m == 2:
        return _two_lines(toks, width, prefix, total, target, unit)
    return _balanced_lines(toks, m, width, prefix, target, unit)


def _two_lines(toks: list[Tok], width: int, prefix: int, total: int, target: float, unit: float) -> list[str]:
    """Two lines: one scan over the break points, latest first, which is the same choice the
    general programme (``_balanced_lines``) makes, without its tables."""
    n = len(toks)
    best_cost, best_s = float("inf"), 0
    first_len = prefix - len(toks[0].sep)
    lens = [0] * (n + 1)
    for i, t in enumerate(toks):
        first_len += t.w
        lens[i + 1] = first_len
    for s in range(n - 1, 0, -1):
        a = lens[s]
        b = total + prefix - a - toks[s].w + toks[s].n  # the second line drops its separator
        if b > width:
            break
        if a > width:
            continue
        cost = (a - target) ** 2 + (b - target) ** 2 + _break_penalty(toks[s - 1], toks[s], unit)
        if cost < best_cost:
            best_cost, best_s = cost, s
    if best_s:
        return [join_tokens(toks[:best_s]), join_tokens(toks[best_s:])]
    return _greedy_lines(toks, width, prefix)


def _balanced_lines(toks: list[Tok], m: int, width: int, prefix: int, target: float, unit: float) -> list[str]:
    """``m`` lines of at most ``width`` whose lengths are nearest ``target``, breaks weighed by
    ``_break_penalty`` (a greedy fill when there is no such split)."""
    n = len(toks)
    # Lengths of toks[i:j] on one line, via prefix sums; the penalty of a break after each token.
    pos = [0] * (n + 1)
    for i, t in enumerate(toks):
        pos[i + 1] = pos[i] + t.w
    seps = [len(t.sep) for t in toks]
    seps[0] -= prefix
    pen = [0.0] + [_break_penalty(t, toks[k + 1] if k + 1 < n else None, unit) for k, t in enumerate(toks)]
    inf = float("inf")
    # best[j][i]: cost of the first i tokens in j lines; back[j][i]: where line j starts. Lines
    # are scanned right to left and stop once too long, so this is linear in practice.
    best = [[inf] * (n + 1) for _ in range(m + 1)]
    back = [[0] * (n + 1) for _ in range(m + 1)]
    best[0][0] = 0.0
    for j in range(1, m + 1):
        prev, cur, bk = best[j - 1], best[j], back[j]
        for i in range(j, n + 1) if j < m else (n,):
            extra = pen[i] if i < n else 0.0
            for s in range(i - 1, j - 2, -1) if j > 1 else (0,):
                length = pos[i] - pos[s] - seps[s]
                if length > width:
                    break
                if prev[s] == inf:
                    continue
                cost = prev[s] + (length - target) ** 2 + extra
                if cost < cur[i]:
                    cur[i] = cost
                    bk[i] = s
    if best[m][n] == inf:
        return _greedy_lines(toks, width, prefix)
    cuts = []
    i = n
    for j in range(m, 0, -1):
        s = back[j][i]
        cuts.append((s, i))
        i = s
    return [join_tokens(toks[s:e]) for s, e in reversed(cuts)]


def _break_penalty(last: Tok, nxt: Tok | None, unit: float) -> float:
    """What a line break between ``last`` and ``nxt`` costs (negative: a good place); ``unit`` is
    twice the line width, so the weights scale with the profile.

    Netflix's line treatment (General Requirements: break after punctuation, before conjunctions
    and prepositions; never between an article and its noun, a pronoun or auxiliary and its verb,
    first and last name), with the language's function words from ``wording`` (a language
    without a list: a short lowercase word is taken for one). A clause end is worth a quarter of
    ``unit`` (21 on a 42-character line): enough for a 37/29 pair after a comma to beat 30/36
    elsewhere (at 0.12 it did not, against the README's promise), not for a 5/55 one."""
    kind = last.kind
    if kind == 2:
        return -0.4 * unit
    if kind == 1:
        return -0.25 * unit
    if last.weak:
        return (0.8 if last.strong else 0.35) * unit
    if nxt is None:
        return 0.0
    if last.cap and nxt.cap:  # "John | Smith": a name is not split
        return 1.5 * unit
    if nxt.opens:  # a phrase starts here ("de | la" is not one: caught above)
        return -0.08 * unit
    return 0.0


def _greedy_lines(toks: list[Tok], width: int, prefix: int) -> list[str]:
    """As many tokens on each line as fit (an over-long word takes a line of its own)."""
    lines: list[list[Tok]] = [[toks[0]]]
    cur = prefix + toks[0].n
    for t in toks[1:]:
        add = t.w
        if cur + add <= width:
            lines[-1].append(t)
            cur += add
        else:
            lines.append([t])
            cur = t.n
    return [join_tokens(line) for line in lines]
