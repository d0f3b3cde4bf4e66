"""Subtitle tracks: build cues under a profile, write SRT/VTT/ASS, read third-party files, check.

Cues are built from word timings in one linear pass: words are gathered until the next one would
break the profile (characters per line x lines, maximum duration), then the cue is cut at the best
phrase boundary seen so far (sentence end, clause punctuation, utterance edge, pause). Lines are
then broken with a small dynamic programme (balanced lines, no break after a short function
word), and timing is stretched for reading speed and minimum duration without overlapping the
next cue. Parsing and writing are pysubs2's; this module only cleans what pysubs2 would misread.

A file that is not UTF-8 is read in the legacy code page whose letters one writing system
explains best (charset-normalizer proposes the code pages and scores their "chaos"; its choice,
with a preference for cp1252, read a Croatian cp1250 file as "Neæe" in 354 of 1,132 cues). When
another code page fits about as well, the file says so, naming both and ``--encoding``. Measured
on 520 generated files (20 languages, 12 code pages, 1-8 cues each): 167 were misread without a
word before, none now; 97 carry that warning, all of them of 1-3 cues.

Before pysubs2 parses a file, its cue blocks are screened: one whose timing line is malformed or
missing is set aside (``bad_blocks``) instead of being glued, timing line and all, into the cue
before; ASS/SSA Style and Dialogue lines are put in the field order pysubs2 assumes (it ignores
Format lines); its warnings become notes. ``source`` keeps a WebVTT or reordered ASS file's own
text for ffmpeg, which keeps what pysubs2 would drop.
"""

from __future__ import annotations

import functools
import gc
import html
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pysubs2
from pysubs2.formats.substation import EVENT_FIELDS, STYLE_FIELDS

from . import languages
from .errors import LanguageError, OutputExistsError, SubtitleReadError, UsageError
from .models import Profile, SubtitleTrack, Transcript, Utterance
from .outputs import atomic_path

FORMATS = ("srt", "vtt", "ass")

# Ideographs, kana and Hangul are counted (and may be broken) per character.
_CJK_CHAR = re.compile(r"[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Punctuation that must stay with the character before it (never start a line).
_CLOSERS = set("。、，．！？：；」』）】〉》〕…‥ー々ゝゞ!),.:;?%]}”’")
_SENTENCE_END = re.compile(r"[.!?…。！？]['\"”’)\]」』）]*$")
_CLAUSE_END = re.compile(r"[,;:—–、，；：]['\"”’)\]」』）]*$")
_WEAK_END = re.compile(r"^[^\W\d_]{1,3}$")  # short lowercase word: article, preposition, conjunction...
_HARD_PAUSE = 1.5  # BBC §5.2: do not hang more than 1.5 s after speech


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]
    speaker: int | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Violation:
    index: int  # 1-based cue number, as players and editors count
    start: float
    end: float
    code: str  # line_too_long | too_many_lines | too_fast | too_short | too_long | overlap | gap_too_small | bad_timing | bad_block
    message: str
    line: int | None = None  # the file's line, for a bad_block (which is no cue: index 0, no times)


@dataclass
class BadBlock:
    """A cue block whose timing line is malformed or missing: reported, never shown as text."""

    line: int  # 1-based line of the file where the block's timing line is (or should be)
    text: str  # that line as written
    problem: str

    def describe(self) -> str:
        return f"line {self.line}: {self.problem}"


@dataclass
class SubtitleDoc:
    """A subtitle file as read: pysubs2 events sorted by start, and what was fixed on the way."""

    path: str
    format: str
    encoding: str
    ssa: pysubs2.SSAFile
    notes: list[str] = field(default_factory=list)
    overlaps: list[int] = field(default_factory=list)  # 0-based cues that overlapped the next one in the file
    # What a delivery made from the file must say, also in ``notes``: a code page another fits as well.
    warnings: list[str] = field(default_factory=list)
    bad_blocks: list[BadBlock] = field(default_factory=list)  # cue blocks left out: malformed or missing timing
    # The file as text with only what must be fixed for ffmpeg (WebVTT: see _screen_vtt; ASS/SSA:
    # events in the standard field order, None when they were; None for other formats), and what
    # the file had that it does not carry.
    source: str | None = None
    source_lacks: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Limits


@dataclass(frozen=True)
class _Limits:
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


def min_gap(profile: Profile) -> float:
    """The profile's minimum gap in seconds (``gap_frames`` at ``fps`` when set)."""
    if profile.gap_frames and profile.fps:
        return profile.gap_frames / profile.fps
    return profile.min_gap


def _limits(profile: Profile, language: str | None, sample_text: str = "") -> _Limits:
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
    return _Limits(
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
    )


def _cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if _CJK_CHAR.match(c)) / len(letters) if letters else 0.0


def _hangul_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if "\uac00" <= c <= "\ud7af" or "\u1100" <= c <= "\u11ff") / len(letters) if letters else 0.0


def _reading_chars(lines: list[str]) -> int:
    """Characters a viewer reads: spaces count (as in Netflix's CPS), line breaks do not."""
    return sum(len(line) for line in lines)


def _needed(lines: list[str], lim: _Limits) -> float:
    """The shortest time on screen these lines may have under the profile."""
    chars = _reading_chars(lines)
    need = max(lim.min_dur, chars / lim.cps if lim.cps > 0 else 0.0)
    if lim.per_word:
        need = max(need, lim.per_word * sum(len(line.split()) for line in lines))
    return need


# --------------------------------------------------------------------------------------------
# Building cues


class _Tok:
    # Lengths, punctuation kind and the function-word flag are computed once per token: the
    # gathering loop, the cue-edge choice and the line breaker all read them many times.
    __slots__ = ("end", "first", "kind", "n", "sep", "speaker", "start", "text", "w", "weak")

    def __init__(self, text: str, start: float, end: float, sep: str, speaker: int | None, first: bool, spaced: bool) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.sep = sep  # what joins it to the token before on the same line
        self.speaker = speaker
        self.first = first  # first token of an utterance
        n = len(text)
        self.n = n
        self.w = n + len(sep)  # its width after another token on the same line
        self.kind = 0 if text[-1].isalnum() else _kind(text)  # 2 sentence end, 1 clause end
        # A short lowercase word (article, preposition, conjunction...) in a spaced script.
        self.weak = spaced and n <= 3 and text.isalpha() and text.islower()


def _kind(text: str) -> int:
    if _SENTENCE_END.search(text):
        return 2
    if _CLAUSE_END.search(text):
        return 1
    return 0


def _units(text: str, spaced: bool) -> list[tuple[str, str]]:
    """Split text into breakable units with the separator before each: words for spaced scripts;
    for Chinese and Japanese, single characters (runs of Latin letters stay whole, closing
    punctuation stays with the character before it)."""
    if spaced:
        return [(w, " ") for w in text.split()]
    out: list[list[str]] = []  # [text, sep]
    space = False
    prev_latin = False  # is the last character added not CJK?
    cjk = _CJK_CHAR.match
    for ch in text:
        if ch.isspace():
            space = True
            continue
        latin = cjk(ch) is None
        if out and (ch in _CLOSERS or (latin and prev_latin and not space)):
            out[-1][0] += ch
        else:
            out.append([ch, " " if space and prev_latin and latin else ""])
        prev_latin = latin
        space = False
    return [(t, s) for t, s in out]


def _tokens(utterances: list[Utterance], lim: _Limits) -> list[_Tok]:
    toks: list[_Tok] = []
    spaced = lim.spaced
    tok = _Tok
    for utt in utterances:
        speaker = utt.speaker
        at = len(toks)
        if not utt.words:
            _spread(toks, _units(utt.text, spaced), utt.start, max(utt.end, utt.start), speaker, spaced)
        elif spaced:
            for w in utt.words:
                end = w.end if w.end > w.start else w.start
                parts = w.text.split()
                if len(parts) == 1:  # the common case: one word, one token
                    toks.append(tok(parts[0], w.start, end, " ", speaker, False, True))
                elif parts:
                    _spread(toks, [(p, " ") for p in parts], w.start, end, speaker, True)
        else:
            for w in utt.words:
                end = w.end if w.end > w.start else w.start
                _spread(toks, _units(w.text, False), w.start, end, speaker, False)
        if len(toks) > at:
            head = toks[at]
            head.first = True
            if at and not spaced and head.sep == "":
                # A new utterance in Latin text inside CJK keeps a space between Latin words.
                last = toks[at - 1].text[-1]
                if not _CJK_CHAR.match(head.text[0]) and not _CJK_CHAR.match(last):
                    head.sep = " "
                    head.w += 1
    return toks


def _spread(out: list[_Tok], units: list[tuple[str, str]], start: float, end: float, speaker: int | None, spaced: bool) -> None:
    """Tokens for units without their own timings, timed in proportion to their characters."""
    if len(units) == 1:
        text, sep = units[0]
        out.append(_Tok(text, start, end, sep, speaker, False, spaced))
        return
    total = sum([len(t) for t, _ in units]) or 1
    scale = (end - start) / total
    s = start
    pos = 0
    tok = _Tok
    append = out.append
    for text, sep in units:
        pos += len(text)
        e = start + scale * pos
        append(tok(text, s, e, sep, speaker, False, spaced))
        s = e


def _fill_state(toks: list[_Tok], width: int, prefix: int) -> tuple[int, int]:
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


def _line_count(toks: list[_Tok], width: int, prefix: int) -> int:
    return _fill_state(toks, width, prefix)[0]


def _fits(toks: list[_Tok], total: int, lim: _Limits, prefix: int) -> bool:
    if total + prefix <= lim.chars:
        return True
    return _line_count(toks, lim.chars, prefix) <= lim.lines


def _length(toks: list[_Tok]) -> int:
    return sum(t.w for t in toks) - len(toks[0].sep) if toks else 0


def _boundary_score(toks: list[_Tok], k: int) -> int:
    """How good a cue edge is between toks[k-1] and toks[k]."""
    before, after = toks[k - 1], toks[k]
    kind = before.kind
    score = 4 if kind == 2 else 3 if after.first else 2 if kind == 1 else 0
    if after.start - before.end >= 0.3:
        score += 1
    return score


def _best_split(cand: list[_Tok], lim: _Limits) -> int:
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


def build_cues(
    utterances: list[Utterance],
    profile: Profile,
    *,
    language: str,
    duration: float | None = None,
    speaker_labels: bool = False,
) -> list[Cue]:
    """Cues for one language under ``profile`` (see the module docstring for the method)."""
    with _gc_paused():
        return _build(utterances, profile, language, duration, speaker_labels)


@contextmanager
def _gc_paused() -> Iterator[None]:
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
    lim = _limits(profile, language, sample)
    toks = _tokens(utterances, lim)
    groups: list[list[_Tok]] = []
    chars, max_lines, max_dur = lim.chars, lim.lines, lim.max_dur

    def prefix_for(group: list[_Tok]) -> int:
        if not speaker_labels or group[0].speaker is None:
            return 0
        prev = groups[-1][0].speaker if groups else None
        return 2 if prev is not None and prev != group[0].speaker else 0

    # The run being gathered, its length on one line, and the state of a greedy line fill (lines
    # used, length of the last line): adding a token updates all three in constant time.
    cur: list[_Tok] = []
    cur_len = n_lines = last = 0

    def restart(run: list[_Tok]) -> None:
        nonlocal cur, cur_len, n_lines, last
        cur = run
        cur_len = _length(run)
        n_lines, last = _fill_state(run, chars, prefix_for(run))

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
            cand = [*cur, tok]
            k = _best_split(cand, lim)
            groups.append(cand[:k])
            rest = cand[k:]
            # What is left may still break the profile (a very long word, a very long token).
            while len(rest) > 1 and (rest[-1].end - rest[0].start > max_dur or not _fits(rest, _length(rest), lim, prefix_for(rest))):
                groups.append(rest[:-1])
                rest = rest[-1:]
            restart(rest)
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

    cues: list[Cue] = []
    prev_speaker: int | None = None
    i = 0
    while i < len(groups):
        group = groups[i]
        speaker = group[0].speaker
        if speaker_labels and _dialogue(groups, i, lim):
            # Two quick turns share one cue, a dash opening each line. The dash is "- " (with a
            # space), the form this module already uses for a change of speaker and the common one
            # across broadcasters' guides; Netflix's English guide writes it without the space
            # ("-Are you coming?" / "-In a minute.", English Timed Text Style Guide, "Dual
            # Speakers"), which the reference's section D does not cover.
            other = groups[i + 1]
            lines = ["- " + _join(group), "- " + _join(other)]
            cues.append(Cue(group[0].start, max(other[-1].end, group[0].start), lines, speaker))
            prev_speaker = other[0].speaker
            i += 2
            continue
        dash = speaker_labels and speaker is not None and prev_speaker is not None and speaker != prev_speaker
        lines = _break_lines(group, lim, 2 if dash else 0)
        if dash:
            lines[0] = "- " + lines[0]
        cues.append(Cue(group[0].start, max(group[-1].end, group[0].start), lines, speaker))
        prev_speaker = speaker
        i += 1
    return _time(cues, lim, duration)


def _comfortable(cur: list[_Tok], cur_len: int, nxt: _Tok | float, lim: _Limits) -> bool:
    """Can the cue so far end here (before ``nxt``, a token or a time) and still meet reading
    speed and minimum duration?"""
    need = max(lim.min_dur, cur_len / lim.cps if lim.cps > 0 else 0.0, lim.per_word * len(cur))
    start = nxt.start if isinstance(nxt, _Tok) else nxt
    return cur[0].start + need <= start - lim.gap + 1e-9


def _turn_edge(before: list[_Tok], after: list[_Tok]) -> bool:
    """Is the edge between two gathered groups the end of a speaker's turn?"""
    return before[-1].speaker != after[0].speaker or after[0].start - before[-1].end > _HARD_PAUSE


def _dialogue(groups: list[list[_Tok]], i: int, lim: _Limits) -> bool:
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
    len_a, len_b = _length(a), _length(b)
    if len_a + 2 > lim.chars or len_b + 2 > lim.chars:
        return False
    after = groups[i + 2][0].start if i + 2 < len(groups) else math.inf
    return not _comfortable(a, len_a, b[0], lim) or not _comfortable(b, len_b, after, lim)


def _break_lines(toks: list[_Tok], lim: _Limits, prefix: int) -> list[str]:
    """Balanced lines at word boundaries: one line when it fits, else the fewest lines, chosen to
    balance lengths, prefer breaks after punctuation and avoid breaks after short function words."""
    n = len(toks)
    width = lim.chars
    total = _length(toks)
    if total + prefix <= width or n == 1:
        return [_join(toks)]
    m = _line_count(toks, width, prefix)
    if m > lim.lines:
        # Some word is longer than a line: a greedy fill is the best that can be done.
        return _greedy_lines(toks, width, prefix)
    target = (total + prefix) / m
    unit = lim.chars * 2
    if m == 2:
        # Two lines (most cues): one scan over the break points, latest first, which is the same
        # choice the general programme below makes, without its tables.
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
            return [_join(toks[:best_s]), _join(toks[best_s:])]
        return _greedy_lines(toks, width, prefix)
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
    return [_join(toks[s:e]) for s, e in reversed(cuts)]


def _break_penalty(last: _Tok, nxt: _Tok | None, unit: float) -> float:
    """What a line break between ``last`` and ``nxt`` costs (negative: a good place); ``unit`` is
    twice the line width, so the weights scale with the profile.

    The rule follows Netflix's line treatment (General Requirements §5: break after punctuation,
    before conjunctions and prepositions, never between an article and its noun) without a word
    list per language: a short lowercase word (three letters or fewer: "the", "of", "and", "de",
    "und", "la"...) is almost always such a function word, so a break after one costs, and a break
    before one is mildly preferred."""
    kind = last.kind
    if kind == 2:
        return -0.25 * unit
    if kind == 1:
        return -0.12 * unit
    if last.weak:
        return 0.25 * unit
    if nxt is not None and nxt.weak:  # a phrase starts here ("de | la" is not one: caught above)
        return -0.08 * unit
    return 0.0


def _greedy_lines(toks: list[_Tok], width: int, prefix: int) -> list[str]:
    lines: list[list[_Tok]] = [[toks[0]]]
    cur = prefix + toks[0].n
    for t in toks[1:]:
        add = t.w
        if cur + add <= width:
            lines[-1].append(t)
            cur += add
        else:
            lines.append([t])
            cur = t.n
    return [_join(line) for line in lines]


def _join(toks: list[_Tok]) -> str:
    return toks[0].text + "".join(t.sep + t.text for t in toks[1:])


def _time(cues: list[Cue], lim: _Limits, duration: float | None) -> list[Cue]:
    """Stretch each cue for reading speed and minimum duration, close small gaps, keep the
    minimum gap, never overlap, stay inside [0, duration]; times rounded to the millisecond."""
    end_limit = duration if duration is not None and duration > 0 else float("inf")
    n = len(cues)
    speech = [cue.start for cue in cues]  # where each cue's speech starts, before any move

    def fit_end(i: int, need: float) -> float:
        cue = cues[i]
        nxt = cues[i + 1].start if i + 1 < n else end_limit
        room = nxt - lim.gap if i + 1 < n else end_limit
        want = max(cue.end, cue.start + need)
        if i + 1 < n and nxt - want < lim.close_gap:
            want = max(want, room)  # close a small gap rather than leave a flicker
        return min(want, cue.start + max(lim.max_dur, cue.end - cue.start), room)

    prev_end = -math.inf
    for i, cue in enumerate(cues):
        cue.start = max(0.0, min(cue.start, end_limit))
        need = _needed(cue.lines, lim)
        end = fit_end(i, need)
        # Below the minimum duration (not reading speed: fast speech is not moved off its words)
        # because the next cue follows closely? Profiles let a cue edge leave the speech by a few
        # frames (Netflix: within 3 frames of the audio): first start the next cue later, then
        # start this one earlier into the silence before it.
        shortest = max(lim.min_dur, lim.per_word * sum(len(line.split()) for line in cue.lines)) if lim.per_word else lim.min_dur
        short = min(shortest, need) - (end - cue.start)
        if short > 1e-6 and lim.sync > 0 and shortest <= lim.max_dur:
            if i + 1 < n:
                nxt = cues[i + 1]
                push = min(short, speech[i + 1] + lim.sync - nxt.start, nxt.end - 0.001 - nxt.start)
                if push > 1e-6:
                    nxt.start += push
                    short -= push
            pull = min(short, cue.start - max(0.0, speech[i] - lim.sync, prev_end + lim.gap))
            if pull > 1e-6:
                cue.start -= pull
            end = fit_end(i, need)
        if i + 1 < n and end - cue.start < 0.04:
            # The next cue starts (almost) with this one: the words leave no room for the profile;
            # give this one a glimpse and push the next by as little as possible.
            end = cue.start + 0.04
            cues[i + 1].start = max(cues[i + 1].start, end)
            cues[i + 1].end = max(cues[i + 1].end, cues[i + 1].start)
        cue.end = min(end, end_limit)
        prev_end = cue.end
    # Anything pushed past the end of the media is squeezed back, from the last cue down.
    for i in range(n - 1, -1, -1):
        cue = cues[i]
        upper = end_limit if i == n - 1 else cues[i + 1].start - lim.gap
        if cue.end > upper:
            cue.end = upper
        if cue.start >= cue.end:
            cue.start = max(0.0, cue.end - 0.001)
    # Milliseconds, as the files hold them, without crossing the end of the media or the next cue.
    cap = math.floor(end_limit * 1000 + 1e-6) / 1000 if end_limit != float("inf") else end_limit
    for cue in cues:
        cue.start = round(cue.start, 3)
        cue.end = min(round(cue.end, 3), cap)
    for i in range(n - 1, -1, -1):
        cue = cues[i]
        upper = cap if i == n - 1 else cues[i + 1].start
        cue.end = min(cue.end, upper)
        if cue.end <= cue.start:
            cue.end = max(cue.end, 0.001)
            cue.start = max(0.0, round(cue.end - 0.001, 3))
    return cues


# --------------------------------------------------------------------------------------------
# Writing


# Braces and backslashes would be read as override blocks by pysubs2 and libass: keep them
# visible as brackets and slashes.
_BRACES = str.maketrans({"{": "(", "}": ")", "\\": "/"})
_VTT_SPECIAL = re.compile(r"[&<>]")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ass_canvas(ssa: pysubs2.SSAFile) -> None:
    # A 1080p canvas so the style reads the same in every player (libass defaults to 384x288).
    ssa.info.update({"PlayResX": "1920", "PlayResY": "1080", "ScaledBorderAndShadow": "yes"})
    ssa.styles["Default"] = pysubs2.SSAStyle(
        fontname="Noto Sans", fontsize=54, outline=2.5, shadow=0, marginv=60, marginl=96, marginr=96
    )


def cues_to_ssafile(cues: list[Cue], *, fmt: str) -> pysubs2.SSAFile:
    ssa = pysubs2.SSAFile()
    if fmt == "ass":
        _ass_canvas(ssa)
    event = pysubs2.SSAEvent
    ssa.events = [
        event(start=round(cue.start * 1000), end=round(cue.end * 1000), text="\n".join(cue.lines).translate(_BRACES).replace("\n", r"\N"))
        for cue in cues
    ]
    if fmt == "vtt":
        for e in ssa.events:
            if _VTT_SPECIAL.search(e.text):
                e.text = _vtt_escape(e.text)
    return ssa


def _save(ssa: pysubs2.SSAFile, path: Path, fmt: str, force: bool) -> None:
    # Cue text holds no override tags (braces are escaped), so pysubs2 can skip parsing them.
    with atomic_path(path, force=force) as tmp:
        ssa.save(str(tmp), format_=fmt, encoding="utf-8", keep_ssa_tags=fmt in {"srt", "vtt"})


def _write_formats(cues: list[Cue], paths: dict[str, Path], *, force: bool, title: str | None) -> None:
    """Write the same cues in several formats from one pysubs2 file: the events are built once
    (SRT and ASS text is the same; the ASS canvas and title are ignored by the SRT and VTT
    writers) and only the few VTT lines with ``& < >`` are swapped for their escaped form."""
    ssa = cues_to_ssafile(cues, fmt="ass" if "ass" in paths else "srt")
    if title and "ass" in paths:
        ssa.info["Title"] = title
    for fmt, path in paths.items():
        if fmt != "vtt":
            _save(ssa, path, fmt, force)
            continue
        special = [(e, e.text) for e in ssa.events if _VTT_SPECIAL.search(e.text)]
        for e, text in special:
            e.text = _vtt_escape(text)
        try:
            _save(ssa, path, fmt, force)
        finally:
            for e, text in special:
                e.text = text


def write_track(cues: list[Cue], path: Path, *, fmt: str, force: bool = False, title: str | None = None) -> Path:
    """Write one subtitle file (UTF-8, atomically; an existing file is refused unless ``force``)."""
    if fmt not in FORMATS:
        raise LanguageError(f"unknown subtitle format '{fmt}'", hint=f"Use one of {', '.join(FORMATS)}")
    path = Path(path)
    _write_formats(cues, {fmt: path}, force=force, title=title)
    return path


def sidecar_path(stem_path: Path, language: str, fmt: str) -> Path:
    """``<stem>.<lang>.<fmt>``, the name players and yt-dlp use (``talk.pt-BR.srt``)."""
    stem_path = Path(stem_path)
    return stem_path.with_name(f"{stem_path.name}.{languages.normalize(language)}.{fmt}")


def write_tracks(
    transcript: Transcript,
    stem_path: Path,
    *,
    formats: list[str],
    profile: Profile,
    force: bool = False,
    speaker_labels: bool = False,
    languages: list[str] | None = None,
) -> list[SubtitleTrack]:
    """Build and write every language (spoken first) in every format. Every target is checked
    before anything is written, so a refusal leaves nothing half done."""
    wanted = languages or transcript.all_languages()
    for fmt in formats:
        if fmt not in FORMATS:
            raise LanguageError(f"unknown subtitle format '{fmt}'", hint=f"Use one of {', '.join(FORMATS)}")
    plan: list[tuple[str, list[Utterance], list[Path]]] = []
    for lang in wanted:
        try:
            utts = transcript.utterances_for(lang)
        except KeyError:
            raise LanguageError(f"the transcript has no '{lang}' text", hint=f"It has: {', '.join(transcript.all_languages())}") from None
        plan.append((lang, utts, [sidecar_path(stem_path, lang, fmt) for fmt in formats]))
    if not force:
        for _, _, paths in plan:
            for p in paths:
                if p.exists():
                    raise OutputExistsError(p)
    with _gc_paused():
        return _write_plan(plan, formats, profile, transcript.duration, force, speaker_labels)


def _write_plan(plan: list[tuple[str, list[Utterance], list[Path]]], formats: list[str], profile: Profile,
                duration: float | None, force: bool, speaker_labels: bool) -> list[SubtitleTrack]:
    tracks: list[SubtitleTrack] = []
    for lang, utts, paths in plan:
        cues = build_cues(utts, profile, language=lang, duration=duration, speaker_labels=speaker_labels)
        title = languages.native_name(lang)
        _write_formats(cues, dict(zip(formats, paths, strict=True)), force=force, title=title)
        tracks += [SubtitleTrack(path=str(path), language=languages.normalize(lang), title=title) for path in paths]
    return tracks


# --------------------------------------------------------------------------------------------
# Reading


_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"RIFF", b"OggS", b"fLaC", b"ID3", b"\x00\x00\x01\xba", b"GIF8", b"\x89PNG", b"%PDF", b"PK\x03\x04")


_DOUBLE_BYTE = {"big5", "big5hkscs", "gb2312", "gbk", "gb18030", "hz", "shift_jis", "shift_jis_2004", "shift_jisx0213",
                "cp932", "euc_jp", "euc_jis_2004", "euc_jisx0213", "euc_kr", "cp949", "johab", "cp950", "iso2022_jp", "iso2022_kr"}

# Byte order marks, longest first: a UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))

_SAMPLE = 300_000  # characters weighed per reading: a 2-hour film's subtitles are about 60,000
CHAOS_MARGIN = 0.08  # how much more "chaos" (charset-normalizer's mess score) a code page may show and still be weighed

# The letters beyond ASCII of the languages legacy subtitle files were written in (CLDR's main
# exemplar sets), by the single-byte code page family that wrote them. No installed library has
# alphabets (charset-normalizer keeps only each language's most frequent letters: no "đ" for
# Croatian, no "ő" or "ű" for Hungarian), and telling cp1250 from cp1252 needs exactly those.
_ALPHABETS = {
    "Croatian/Serbian/Bosnian": "čćđšž",
    "Slovene": "čšž",
    "Polish": "ąćęłńóśźż",
    "Czech": "áčďéěíňóřšťúůýž",
    "Slovak": "áäčďéíĺľňóôŕšťúýž",
    "Hungarian": "áéíóöőúüű",
    "Romanian": "ăâîșțşţ",
    "Albanian": "çë",
    "German": "äöüß",
    "French": "àâæçéèêëîïôœùûüÿ",
    "Spanish": "áéíñóúü",
    "Portuguese": "áàâãçéêíóôõú",
    "Italian": "àèéìíîòóùú",
    "Catalan": "àçèéíïòóúü",
    "Dutch": "áäéëíïóöúü",
    "Danish/Norwegian": "æøåé",
    "Swedish/Finnish": "åäöé",
    "Icelandic": "áðéíóúýþæö",
    "Estonian": "äõöüšž",
    "Latvian": "āčēģīķļņšūž",
    "Lithuanian": "ąčęėįšųūž",
    "Turkish": "çğıöşüâîû",
}
# Other writing systems, by the Unicode names of their letters.
_SCRIPTS = {
    "Cyrillic": ("CYRILLIC",),
    "Greek": ("GREEK",),
    "Hebrew": ("HEBREW",),
    "Arabic": ("ARABIC",),
    "Thai": ("THAI",),
    "Japanese": ("HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "CJK UNIFIED IDEOGRAPH", "IDEOGRAPHIC", "FULLWIDTH"),
    "Chinese": ("CJK UNIFIED IDEOGRAPH", "IDEOGRAPHIC", "FULLWIDTH"),
    "Korean": ("HANGUL SYLLABLE", "FULLWIDTH"),
}
# The code pages legacy subtitle files were written in, weighed first (in this order on equal
# evidence): the Windows ones subtitle tools wrote by far the most, then the ISO and KOI8 ones of
# Unix tools, then the East Asian double-byte ones. Other code pages only when none of these fits.
_LEGACY = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp874",
           "iso8859_1", "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_9", "iso8859_15", "koi8_r", "koi8_u",
           "cp932", "shift_jis", "euc_jp", "euc_jis_2004", "cp949", "euc_kr", "gb18030", "big5", "big5hkscs", "cp950")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa]")
# A non-ASCII character between two letters that is not a letter (kept when it is a symbol:
# "Za¿ó³æ" for "Zażółć" is mojibake; "C’est" and "は、元" are not).
_IN_WORD = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f\w](?=[^\W\d_])")
_SYMBOLS = frozenset({"So", "Sm", "Sc", "Sk", "No"})
_NEVER_IN_WORDS = "¿¡‚„«»‹›"
_MID_SIGMA = re.compile(r"ς(?=[^\W\d_])")
# An ideograph, kana or Hangul syllable between two Latin letters: a Western text read as a
# double-byte code page (an accented letter and the next one taken for a pair).
_CJK_IN_LATIN = re.compile(r"(?<=[A-Za-z\u00c0-\u024f])[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff](?=[A-Za-z\u00c0-\u024f])")
# Thai that no Thai text has (East Asian double-byte text read as cp874): the obsolete letters
# KHO KHUAT and KHO KHON, or a vowel or tone mark that follows neither a consonant nor a mark.
_THAI_ODD = re.compile(r"[\u0e03\u0e05]|(?<![\u0e01-\u0e2e\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")
_MIXED_WORD = re.compile(r"[^\W\d_]*[^\x00-\x7f\W\d_][^\W\d_]*")  # a word with a letter beyond ASCII


def check_encoding(encoding: str) -> str:
    """The codec name for ``encoding`` (``--encoding``); UsageError when Python has no such text codec."""
    import codecs

    try:
        name = codecs.lookup(encoding).name
        "".encode(encoding)  # refuses codecs that are not text encodings (base64, rot13...)
    except LookupError:
        raise UsageError(f"unknown encoding '{encoding}'",
                         hint="Name a text encoding Python knows, such as cp1250, cp1252, iso8859-2, shift_jis, euc_jp, utf-16") from None
    return name


@dataclass
class _Reading:
    encoding: str
    text: str
    chaos: float  # charset-normalizer's mess score of the reading
    coherence: float  # how well the reading's letter frequencies match a language charset-normalizer knows
    unexplained: int  # letters no single writing system accounts for
    system: str  # the one writing system that accounts for the most letters ("" when several do)


def _writing_system_fit(text: str) -> tuple[int, str]:
    """(letters no single writing system explains, that system if only one does best): the
    evidence a reading is right.

    A right reading writes one language's letters; a wrong code page mixes letters of several
    ("Neæe" and "š" together) or puts symbols inside words. East Asian scripts count only the
    characters real text is written with (see ``_common_in``): bytes read in the wrong double-byte
    code page land on rare ones."""
    import unicodedata

    counts: dict[str, int] = {}
    for ch in _NON_ASCII.findall(text):
        counts[ch] = counts.get(ch, 0) + 1
    letters = {ch: n for ch, n in counts.items() if ch.isalpha()}
    total = sum(letters.values())
    # Control and unassigned characters are never text; nor is a symbol inside a word.
    odd = sum(n for ch, n in counts.items() if unicodedata.category(ch) in {"Cc", "Co", "Cn"})
    if counts:
        odd += _odd_in_words(text)
    if not total:
        return odd, ""
    misses: dict[str, int] = {}
    lower = {ch: ("i" if ch == "İ" else ch.lower()) for ch in letters}
    for system, alphabet in _ALPHABETS.items():
        misses[system] = sum(n for ch, n in letters.items() if lower[ch] not in alphabet)
    names = {ch: unicodedata.name(ch, "") for ch in letters}
    for system, prefixes in _SCRIPTS.items():
        miss = 0
        for ch, n in letters.items():
            name = names[ch]
            ok = name.startswith(prefixes)
            if ok and name.startswith(("HANGUL SYLLABLE", "CJK UNIFIED")):
                ok = _common_in(ch, system)
            if not ok:
                miss += n
        misses[system] = miss
    best = min(misses.values())
    systems = [system for system, miss in misses.items() if miss == best]
    return best + odd, systems[0] if len(systems) == 1 else ""


def _common_in(ch: str, system: str) -> bool:
    """Whether an ideograph or Hangul syllable is one ``system``'s everyday text uses: the 2,350
    syllables of KS X 1001, the 6,763 hanzi of GB 2312 or the 5,401 of Big5's first level, the
    2,965 kanji of JIS X 0208's first level. Japanese bytes read as cp949 become rare syllables,
    Shift-JIS read as GB18030 rare GBK hanzi, Big5 read as EUC-JP second-level kanji."""
    if system == "Korean":  # Python's euc_kr spells the other syllables as 8-byte sequences
        return len(ch.encode("euc_kr", errors="ignore")) == 2
    if system == "Chinese":
        if ch.encode("gb2312", errors="ignore"):
            return True
        big5 = ch.encode("big5", errors="ignore")
        return len(big5) == 2 and big5 <= b"\xc6\x7e"
    if system == "Japanese":
        euc = ch.encode("euc_jp", errors="ignore")
        return len(euc) == 2 and 0xB0 <= euc[0] <= 0xCF
    return False


@functools.lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    import unicodedata

    return "LATIN" if ch.isascii() else unicodedata.name(ch, "").split(" ", 1)[0]


# Scripts that never share a word. Half-width katakana beside Latin letters or beside kanji and
# kana is Big5 or EUC-JP read as Shift-JIS: real half-width katakana come in words of their own.
_ALPHABETIC_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "THAI", "HALFWIDTH"})
_FULL_WIDTH = frozenset({"CJK", "HIRAGANA", "KATAKANA"})


def _odd_in_words(text: str) -> int:
    """Words no language writes: a symbol or another script's mark inside a word ("Za¿ó³æ",
    "Schِne"), letters of two alphabets in one word ("Ïðèâåò" is Latin, "ѕИізЗ" is not), a Greek
    final sigma inside a word (Russian cp1251 read as Greek cp1253: "т" becomes "ς")."""
    import unicodedata

    odd = 0
    for m in _IN_WORD.finditer(text):
        ch = m.group()
        cat = unicodedata.category(ch)
        if ch in _NEVER_IN_WORDS or cat in _SYMBOLS or (cat == "Mn" and not unicodedata.name(ch, "").startswith("COMBINING")
                                               and _script(text[m.start() - 1]) == "LATIN"):
            odd += 1
    odd += len(_MID_SIGMA.findall(text)) + len(_THAI_ODD.findall(text)) + len(_CJK_IN_LATIN.findall(text))
    words: dict[str, int] = {}
    for word in _MIXED_WORD.findall(text):
        words[word] = words.get(word, 0) + 1
    for word, n in words.items():
        scripts = {_script(c) for c in word}
        if len(scripts & _ALPHABETIC_SCRIPTS) > 1 or ("HALFWIDTH" in scripts and not scripts.isdisjoint(_FULL_WIDTH)):
            odd += n
    return odd


def _first_difference(a: str, b: str) -> tuple[str, str]:
    """The first word two readings of the same bytes spell differently."""
    for x, y in zip(a.split(), b.split(), strict=False):
        if x != y:
            return x[:24], y[:24]
    return "", ""


def _decode(data: bytes, path: str, forced: str | None = None) -> tuple[str, str, list[str], list[str]]:
    """(text, encoding, notes, warnings): ``warnings`` is what a delivery made from the file must
    say (a guessed code page that another fits as well)."""
    notes: list[str] = []
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(enc)
            except UnicodeDecodeError:
                raise SubtitleReadError(f"starts with a {enc} byte order mark but is not {enc} text", path=path) from None
            notes.append(f"byte order mark ({enc}) removed")
            if forced and check_encoding(forced) != check_encoding(enc):
                notes.append(f"--encoding {forced} not used: the byte order mark says {enc}")
            return text, enc, notes, []
    head = data[:4096]
    if data[4:8] == b"ftyp" or any(head.startswith(m) for m in _VIDEO_MAGIC):
        raise SubtitleReadError("is a media or binary file, not subtitles", path=path,
                                hint="Pass an SRT, WebVTT or ASS file (extract a track with: ffmpeg -i VIDEO -map 0:s:0 out.srt)")
    wide = forced is not None and check_encoding(forced).startswith(("utf-16", "utf-32"))
    if b"\x00" in head and not wide:
        raise SubtitleReadError("is a binary file, not subtitles", path=path, hint="Pass an SRT, WebVTT or ASS file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if forced and not wide and check_encoding(forced) != "utf-8" and not data.isascii():
            notes.append(f"--encoding {forced} not used: the file is valid UTF-8")
        if not wide:
            return text, "utf-8", notes, []
    if forced:
        return _decode_as(data, path, forced), forced, [*notes, f"not UTF-8: read as {forced} (--encoding)"], []
    return _guess_code_page(data, path, notes)


def _decode_as(data: bytes, path: str, encoding: str) -> str:
    try:
        return data.decode(check_encoding(encoding))
    except UnicodeDecodeError as exc:
        raise SubtitleReadError(f"is not {encoding} text (byte 0x{data[exc.start]:02x} at offset {exc.start} has no meaning in it)",
                                path=path, hint="Pass the file's real encoding with --encoding, or convert it to UTF-8") from None


def _guess_code_page(data: bytes, path: str, notes: list[str]) -> tuple[str, str, list[str], list[str]]:
    """A legacy code page chosen by evidence. charset-normalizer proposes the code pages whose
    reading shows little "chaos" (its mess score: symbols inside words, odd sequences); of those,
    the reading whose letters one writing system explains best wins, charset-normalizer's own
    ranking deciding between equals. When another reading is about as good on both counts, the
    file says so, naming both code pages."""
    from charset_normalizer import from_bytes

    # A short subtitle file is little text to judge by: charset-normalizer's default 0.2 chaos
    # ceiling refused a plain Polish cp1250 file outright, so the ceiling is raised.
    results = from_bytes(data, threshold=0.5, cp_isolation=list(_LEGACY))
    if not results:
        results = from_bytes(data, threshold=0.5)
    best = results.best()
    if best is None or best.encoding is None:
        raise SubtitleReadError("is not text in any known encoding", path=path,
                                hint="Pass an SRT, WebVTT or ASS file, or its encoding with --encoding")
    # Weighed: the readings with little more chaos than the least, and any whose letters one
    # writing system explains entirely (charset-normalizer counts too many accents in a short
    # French line as chaos).
    readings: dict[str, _Reading] = {}  # by text: code pages that read the same are one reading

    def weigh(name: str, text: str, chaos: float, coherence: float) -> None:
        if text not in readings:
            reading = _Reading(name, text, chaos, coherence, *_writing_system_fit(text[:_SAMPLE]))
            if chaos <= best.chaos + CHAOS_MARGIN or reading.unexplained == 0:
                readings[text] = reading

    for match in results:
        if match.encoding is None:
            continue
        names = [match.encoding, *match.could_be_from_charset]
        weigh(next((p for p in _LEGACY if p in names), match.encoding), str(match), match.chaos, match.coherence)
    # charset-normalizer skips a code page "similar" to one it already tried (a French file came
    # back as cp1257 only, a Shift-JIS one as cp1251 and GB18030): the most written are always
    # weighed, scored the same way.
    for enc in ("cp1252", "cp1250", "cp1251", "cp932", "euc_jp", "cp949", "gb18030", "big5"):
        if any(r.encoding == enc for r in readings.values()):
            continue
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if text not in readings:
            weigh(enc, text, *_chaos_and_coherence(text))
    # High bytes that mostly stand alone between ASCII ones are a Western text when a single-byte
    # code page reads it well: a double-byte one then only pairs an accent with the next letter
    # ("légère" in Shift-JIS is "l" and two kanji and "re").
    high = [i for i, b in enumerate(data) if b >= 0x80]
    alone = sum(1 for i in high if (i == 0 or data[i - 1] < 0x80) and (i + 1 == len(data) or data[i + 1] < 0x80))
    if high and alone > len(high) / 2 and any(r.unexplained == 0 and r.encoding not in _DOUBLE_BYTE for r in readings.values()):
        readings = {text: r for text, r in readings.items() if r.encoding not in _DOUBLE_BYTE}
    if not readings:
        raise SubtitleReadError("is not text in any known encoding", path=path,
                                hint="Pass an SRT, WebVTT or ASS file, or its encoding with --encoding")
    # Fewest unexplained letters first; then a reading with kana (Japanese text always has them,
    # other bytes read as Japanese seldom do); then less chaos (in steps of 0.02), then letter
    # frequencies nearer a language (steps of 0.1: what tells Cyrillic code pages apart), a
    # double-byte reading (pairs of high bytes that all decode are evidence of their own), and
    # on equal evidence the order of _LEGACY, most written first.
    rank = {enc: i for i, enc in enumerate(_LEGACY)}
    ranked = sorted(readings.values(), key=lambda r: (r.unexplained, not _KANA.search(r.text), int(r.chaos * 50), -int(r.coherence * 10),
                                                      r.encoding not in _DOUBLE_BYTE, rank.get(r.encoding, len(rank))))
    won = ranked[0]
    other = next((r for r in ranked[1:] if _is_close(won, r)), None)
    if other is not None:
        mine, theirs = _first_difference(won.text, other.text)
        sample = f' ("{mine}"; {other.encoding} reads "{theirs}")' if mine else ""
        warning = (f"not UTF-8, and the code page is uncertain: read as {won.encoding}{sample}, but {other.encoding} fits "
                   f"almost as well; if letters look wrong, pass --encoding {other.encoding} (or convert the file to UTF-8)")
        notes.append(warning)
        return won.text, won.encoding, notes, [warning]
    why = f"its letters are {won.system}" if won.system else "detected from its letters"
    notes.append(f"not UTF-8: read as {won.encoding} ({why}; convert the file to UTF-8 if letters look wrong)")
    return won.text, won.encoding, notes, []


def _chaos_and_coherence(text: str) -> tuple[float, float]:
    """charset-normalizer's two scores for a reading it did not propose itself."""
    from charset_normalizer.cd import coherence_ratio
    from charset_normalizer.md import mess_ratio

    sample = text[:_SAMPLE]
    return mess_ratio(sample, 0.5), max((ratio for _lang, ratio in coherence_ratio(sample)), default=0.0)


def _is_close(won: _Reading, other: _Reading) -> bool:
    """Whether ``other`` is about as good a reading as ``won``: as little chaos, letter
    frequencies as near a language, and no letter more that no writing system explains (or under
    one for ten letters the readings spell differently)."""
    if other.chaos > won.chaos + 0.02 or other.coherence < won.coherence - 0.1:
        return False
    extra = other.unexplained - won.unexplained
    if len(won.text) == len(other.text):
        differ = sum(1 for a, b in zip(won.text, other.text, strict=True) if a != b)
    else:
        differ = len(_NON_ASCII.findall(won.text))
    return extra == 0 or extra * 10 < differ


# --------------------------------------------------------------------------------------------
# Reading: cue blocks screened before pysubs2 parses them


_SRT_TIME = r"\d{1,2}:\d{1,2}:\d{1,2}[.,]\d{1,3}"  # what pysubs2 and ffmpeg's SubRip reader take
_VTT_TIME = r"(?:\d+:)?\d{2}:\d{2}\.\d{3}"  # the WebVTT spec's; ffmpeg misreads fewer millisecond digits
_TIMING = {
    "srt": re.compile(rf"\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(?:\s.*)?"),
    "vtt": re.compile(rf"\s*{_VTT_TIME}\s*-->\s*{_VTT_TIME}(?:\s.*)?"),
}
_TIME_LIKE = re.compile(r"\d+(?::\d+)+(?:[.,]\d+)?")
# A line meant as a timing line: an arrow, or a time at its start ("00:00:05,000 -> ...").
_TIMING_LIKE = re.compile(r"\s*(?:.*-->|\d+(?::\d+)+(?:[.,]\d+)?\s*(?:\S*>|\d)|\d+(?:[.,]\d+)?\s*-+>)")
_VTT_BLOCKS = re.compile(r"(NOTE|STYLE|REGION)(?:[ \t].*)?")


def _timing_problem(line: str, fmt: str) -> str:
    """What is wrong with a line meant as a timing line."""
    shown = line.strip()
    if "-->" not in line:
        arrow = re.search(r"\s(-+>|—>|–>|=>)\s", line)
        if arrow:
            return f"'{shown}' is not a timing line: the arrow is '{arrow.group(1)}', not '-->'"
        return f"'{shown}' is not a timing line: no '-->' between the times"
    times = [t for t in (part.strip().split(" ")[0] for part in line.split("-->", 1)) if t]
    form = "HH:MM:SS,mmm" if fmt == "srt" else "HH:MM:SS.mmm"
    if len(times) < 2:
        return f"'{shown}' is not a timing line: it has no {'end' if times and line.strip().startswith(times[0]) else 'start'} time"
    if fmt == "vtt" and any("," in t for t in times):
        return f"'{shown}' is not a timing line: WebVTT times take '.' before the milliseconds, not ','"
    return f"'{shown}' is not a timing line: the times must read {form}"


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines with the 1-based line number of their first line."""
    out: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not current:
                start = n
            current.append(line)
        elif current:
            out.append((start, current))
            current = []
    if current:
        out.append((start, current))
    return out


def _screen_srt(text: str) -> tuple[str, list[BadBlock]]:
    """SubRip text without the cue blocks whose timing line is malformed or missing (pysubs2 would
    glue them, timing line included, into the cue before), and those blocks."""
    bad: list[BadBlock] = []
    keep: list[str] = []
    in_bad = False
    for start, lines in _blocks(text):
        numbered = len(lines) > 1 and _NUMBER_LINE.fullmatch(lines[0]) is not None
        head = lines[1] if numbered else lines[0]
        if _TIMING["srt"].fullmatch(head) or any(_TIMING["srt"].fullmatch(line) for line in lines[:3]):
            in_bad = False
        elif _TIMING_LIKE.match(head):
            bad.append(BadBlock(start + numbered, head, _timing_problem(head, "srt")))
            in_bad = True
            continue
        elif numbered and not any("-->" in line for line in lines):
            bad.append(BadBlock(start + 1, head, f"cue {lines[0].strip()} has no timing line"))
            in_bad = True
            continue
        elif in_bad:  # more text of the cue left out
            continue
        keep.append("\n".join(lines))
    return ("\n\n".join(keep) + "\n" if bad else text), bad


@dataclass
class _WebVTT:
    clean: str  # what pysubs2 reads: the cues only, inline timestamps removed
    source: str  # the file with only what must be fixed for ffmpeg (see _screen_vtt)
    bad: list[BadBlock]
    lacks: list[str]  # what the file had that ``source`` does not carry


def _screen_vtt(text: str, notes: list[str]) -> _WebVTT:
    """Screen a WebVTT file's blocks: the cues for pysubs2 (header, NOTE, STYLE and REGION
    blocks, cue identifiers, inline timestamps and cue settings are things it would otherwise read
    as text), and ``source``, the file as it is but for what ffmpeg 5.1's WebVTT reader cannot
    take: it stops reading at a STYLE or REGION block, at a malformed or untimed block and at an
    empty cue, dropping every cue after it. Blocks whose timing is malformed or missing (players
    drop them) are returned, not read."""
    clean = ["WEBVTT", ""]
    source: list[str] = []
    bad: list[BadBlock] = []
    skipped = settings = empty = 0
    dropped: dict[str, int] = {}
    blocks = _blocks(text)
    if blocks and blocks[0][1][0].lstrip().startswith("WEBVTT"):
        start, header = blocks.pop(0)
        # A cue right under the header, with no blank line between, is a cue all the same.
        at = next((i for i, line in enumerate(header) if "-->" in line), len(header))
        at -= at > 1 and not _TIMING_LIKE.match(header[at - 1]) and ":" not in header[at - 1]  # its identifier
        source.append("\n".join(header[:at]))
        if at < len(header):
            blocks.insert(0, (start + at, header[at:]))
    for start, lines in blocks:
        kind = _VTT_BLOCKS.fullmatch(lines[0])
        if kind and not any("-->" in line for line in lines):
            skipped += 1
            if kind.group(1) == "NOTE":
                source.append("\n".join(lines))
            else:
                dropped[kind.group(1)] = dropped.get(kind.group(1), 0) + 1
            continue
        at = 0 if "-->" in lines[0] or _TIMING_LIKE.match(lines[0]) or len(lines) == 1 else 1
        head = lines[at]
        if not _TIMING["vtt"].fullmatch(head):
            if "-->" in head or _TIMING_LIKE.match(head):
                bad.append(BadBlock(start + at, head, _timing_problem(head, "vtt")))
            else:
                bad.append(BadBlock(start, lines[0], f"'{lines[0].strip()[:40]}' begins a block without a timing line"))
            continue
        body = [re.sub(r"<\d[\d:.]*>", "", line) for line in lines[at + 1:]]
        if not html.unescape(re.sub(r"<[^>]*>", "", "".join(body))).strip():
            empty += 1
            continue
        if re.search(r"-->\s*\S+\s+\S", head):
            settings += 1
        clean += [head, *body, ""]
        source.append("\n".join(lines))
    if skipped:
        notes.append(f"{skipped} WebVTT NOTE/STYLE/REGION block(s) skipped")
    if settings:
        notes.append(f"cue settings (position, alignment) of {settings} cue(s) ignored")
    if empty:
        notes.append(f"{empty} empty cue(s) dropped")
    lacks = [f"{count} {name} block(s)" for name, count in sorted(dropped.items())]
    return _WebVTT("\n".join(clean), "\n\n".join(source) + "\n", bad, lacks)


def _clean_vtt(text: str, notes: list[str]) -> str:
    return _screen_vtt(text, notes).clean


# --------------------------------------------------------------------------------------------
# Reading: ASS/SSA as libass reads it


_SECTION = re.compile(r"\s*\[([^\]]+)\]\s*")
_SUBSTATION = re.compile(r"^\s*\[(?:V4\+? Styles|Events|Script Info)\]", re.MULTILINE | re.IGNORECASE)


@functools.lru_cache(maxsize=2)
def _substation_defaults(fmt: str) -> tuple[dict[str, str], dict[str, str], str]:
    """pysubs2's default style and event as it writes them (field -> value: what a field a
    Format line leaves out takes), and its [Events] Format line."""
    ssa = pysubs2.SSAFile()
    ssa.append(pysubs2.SSAEvent())
    lines = ssa.to_string(fmt).splitlines()
    formats = [line for line in lines if line.startswith("Format:")]
    style = dict(zip(_format_fields(formats[0]), next(x for x in lines if x.startswith("Style:")).split(":", 1)[1].split(","), strict=True))
    names = _format_fields(formats[1])
    event = dict(zip(names, next(x for x in lines if x.startswith("Dialogue:")).split(":", 1)[1].lstrip().split(",", len(names) - 1),
                     strict=True))
    return style, event, formats[1]


def _format_fields(line: str) -> list[str]:
    """A Format line's fields in pysubs2's names ("PrimaryColour" -> "primarycolor")."""
    return [f.strip().lower().replace("colour", "color") for f in line.split(":", 1)[1].split(",")]


def _split_fields(rest: str, fields: list[str]) -> dict[str, str]:
    """A Style or Dialogue line's values by field; Text takes the rest of the line, as in libass."""
    values: dict[str, str] = {}
    for i, name in enumerate(fields):
        if name == "text" or i == len(fields) - 1:
            values[name] = rest
            break
        value, sep, rest = rest.partition(",")
        values[name] = value.strip()
        if not sep:
            break
    return values


def _read_substation(text: str, notes: list[str], path: str) -> tuple[str, str | None]:
    """ASS/SSA text with its Style and Dialogue lines in the field order pysubs2 assumes (it
    ignores Format lines: a [V4+ Styles] or [Events] Format in another order or with fewer
    fields, which libass and ffmpeg read, made it fail), and the file for ffmpeg: with its events
    in the standard order when they were not (ffmpeg's ASS reader makes no cue of them
    otherwise), else None."""
    fmt = "ass" if re.search(r"^\s*\[V4\+ Styles\]", text, re.MULTILINE | re.IGNORECASE) else "ssa"
    style_std = ["name", *STYLE_FIELDS[fmt]]
    event_std = EVENT_FIELDS[fmt]
    style_defaults, event_defaults, event_format = _substation_defaults(fmt)
    section = ""
    styles: list[str] | None = None  # the file's own field order, when it is not the standard one
    events: list[str] | None = None
    read: list[str] = []
    source: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        heading = _SECTION.fullmatch(line)
        if heading:
            section = heading.group(1).strip().lower()
        elif stripped.lower().startswith("format:") and section in {"v4+ styles", "v4 styles"}:
            fields = _format_fields(stripped)
            styles = None if fields == style_std else fields
            if styles is not None:
                notes.append(f"[{_heading_text(section)}] Format lists its fields in another order: read by it")
        elif stripped.lower().startswith("format:") and section == "events":
            fields = _format_fields(stripped)
            events = None if fields == event_std else fields
            if events is not None:
                missing = {"start", "end", "text"} - set(fields)
                if missing:
                    raise SubtitleReadError(f"has an [Events] Format line without {', '.join(sorted(missing))}", path=path,
                                            hint="Add the missing fields to the Format line")
                notes.append(f"[Events] Format is '{stripped.split(':', 1)[1].strip()}': read by it")
                read.append(line)
                source.append(event_format)
                continue
        elif styles is not None and stripped.startswith("Style:"):
            values = _split_fields(stripped.split(":", 1)[1].lstrip(), styles)
            read.append("Style: " + ",".join(values.get(f, style_defaults.get(f, "")) for f in style_std))
            source.append(line)
            continue
        elif events is not None and stripped.startswith(("Dialogue:", "Comment:")):
            kind, rest = stripped.split(":", 1)
            values = _split_fields(rest.lstrip(), events)
            line = f"{kind}: " + ",".join(values.get(f, event_defaults.get(f, "")) for f in event_std)
        read.append(line)
        source.append(line)
    return "\n".join(read), ("\n".join(source) if events is not None else None)


def _heading_text(section: str) -> str:
    return {"v4+ styles": "V4+ Styles", "v4 styles": "V4 Styles"}.get(section, section)


_DRAWING_MODE = re.compile(r"\\p(\d+)")
_OVERRIDE = re.compile(r"\{[^}]*\}")


def _without_drawings(text: str) -> str:
    """An ASS event's text without its vector drawings (what follows ``{\\p1}`` up to ``{\\p0}``
    is shape commands, not words)."""
    out: list[str] = []
    drawing = False
    pos = 0
    for m in _OVERRIDE.finditer(text):
        if not drawing:
            out.append(text[pos:m.start()])
        out.append(m.group())
        for scale in _DRAWING_MODE.findall(m.group()):
            drawing = int(scale) > 0
        pos = m.end()
    if not drawing:
        out.append(text[pos:])
    return "".join(out)


@contextmanager
def _parser_notes(notes: list[str]) -> Iterator[None]:
    """pysubs2's warnings (``warnings`` and ``logging``) while it parses become notes, never
    lines on stderr."""
    import logging
    import warnings

    seen: dict[str, int] = {}

    def keep(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and "pysubs2" in record.pathname:
            message = record.getMessage()
            seen[message] = seen.get(message, 0) + 1
            return False
        return True

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        root.removeFilter(keep)
    for w in caught:
        message = str(w.message)
        seen[message] = seen.get(message, 0) + 1
    for message, n in seen.items():
        notes.append(f"pysubs2: {message}" + (f" ({n} times)" if n > 1 else ""))


_NUMBER_LINE = re.compile(r"[ \t]*\d+[ \t]*")
_MARKS = "\ue000\ue001\ue002\ue003"  # private-use characters: never meaningful in subtitles


def _keep_number_lines(text: str) -> tuple[str, str]:
    """Mark cue lines that are only a number so pysubs2 keeps them; returns the text and the mark
    to remove from the parsed cues ("" when nothing was marked).

    pysubs2 (1.8.1, the latest; no option for it) strips a trailing line of digits from every cue,
    taking it for the next cue's index: "The answer is / 42" lost its "42" at the end of a file
    and in every WebVTT file (whose cues have no index). A line of digits is an index only when
    a timing line follows it; anywhere else inside a cue it is text."""
    if "[Script Info]" in text or "[V4" in text:
        return text, ""
    mark = next((m for m in _MARKS if m not in text), "")
    if not mark:
        return text, ""
    lines = text.split("\n")
    in_cue = changed = False
    for i, line in enumerate(lines):
        if "-->" in line:  # a timing line (SRT, or WebVTT with or without hours)
            in_cue = True
        elif not line.strip():
            in_cue = False
        elif in_cue and _NUMBER_LINE.fullmatch(line):
            if i + 1 == len(lines) or "-->" not in lines[i + 1]:
                lines[i] = line.rstrip() + mark
                changed = True
    return ("\n".join(lines), mark) if changed else (text, "")


def read_subtitles(path: str | Path, *, encoding: str | None = None) -> SubtitleDoc:
    """Read an SRT, WebVTT, ASS (or another pysubs2 format) file from any tool.

    Cues come sorted by start; overlaps are trimmed except in WebVTT and ASS/SSA, which allow
    them, and every fix is listed in ``notes``. ``encoding`` reads a file that is not UTF-8 in
    that code page instead of guessing it (UsageError when Python has no such codec). Anything
    that is not subtitles raises SubtitleReadError.
    """
    if encoding is not None:
        check_encoding(encoding)
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise SubtitleReadError("is a folder, not a subtitle file", path=name) from None
    except FileNotFoundError:
        raise SubtitleReadError("does not exist", path=name, hint="Check the path") from None
    except OSError as exc:
        raise SubtitleReadError(f"cannot be read ({exc.strerror})", path=name) from None
    if not data.strip():
        raise SubtitleReadError("is empty", path=name, hint="Pass an SRT, WebVTT or ASS file with cues")
    text, encoding, notes, warnings = _decode(data, name, encoding)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        notes.append("CRLF line ends read")
    text = text.lstrip("\ufeff")
    fmt: str | None = "vtt" if text.lstrip().startswith("WEBVTT") else None
    bad: list[BadBlock] = []
    source: str | None = None
    lacks: list[str] = []
    if fmt == "vtt":
        vtt = _screen_vtt(text, notes)
        text, source, bad, lacks = vtt.clean, vtt.source, vtt.bad, vtt.lacks
    elif _SUBSTATION.search(text):
        text, source = _read_substation(text, notes, name)
    elif "-->" in text:
        text, bad = _screen_srt(text)
    if bad:
        notes.append(f"{len(bad)} cue block(s) with a malformed or missing timing line left out ({bad[0].describe()})")
    text, mark = _keep_number_lines(text)
    try:
        with _parser_notes(notes):
            ssa = pysubs2.SSAFile.from_string(text, format_=fmt)
        fmt = str(ssa.format or fmt or "")
    except (pysubs2.Pysubs2Error, ValueError, KeyError, TypeError, IndexError) as exc:
        raise SubtitleReadError(
            "is not a subtitle file (no SRT, WebVTT or ASS cues found)" if isinstance(exc, pysubs2.FormatAutodetectionError)
            else f"cannot be parsed as subtitles ({type(exc).__name__})",
            path=name, hint="Pass an SRT, WebVTT or ASS file") from None
    events = _cue_events(ssa.events, fmt, notes)
    if mark:
        for e in events:
            e.text = e.text.replace(mark, "")
    if not events:
        if bad:
            raise SubtitleReadError(f"has no readable subtitle cues: {bad[0].describe()}", path=name,
                                    hint="Fix the timing lines (HH:MM:SS,mmm --> HH:MM:SS,mmm)")
        raise SubtitleReadError(f"has no subtitle cues (read as {fmt or 'unknown'})", path=name, hint="Pass an SRT, WebVTT or ASS file with cues")
    if fmt == "vtt":
        for e in events:
            e.text = html.unescape(e.text)
    empty = [e for e in events if not e.plaintext.strip()]
    if empty:
        events = [e for e in events if e.plaintext.strip()]
        notes.append(f"{len(empty)} empty cue(s) dropped")
        if not events:
            raise SubtitleReadError("has only empty cues", path=name)
    if any(events[i].start > events[i + 1].start for i in range(len(events) - 1)):
        events.sort(key=lambda e: (e.start, e.end))
        notes.append("cues were out of order: sorted by start time")
    overlaps = [i for i in range(len(events) - 1) if events[i].end > events[i + 1].start]
    if overlaps and fmt in OVERLAP_FORMATS:
        notes.append(f"{len(overlaps)} overlapping cue(s) kept ({fmt.upper()} shows them together)")
    elif overlaps:
        events, overlaps, merged = trim_overlaps(events)
        text_note = f"{len(overlaps)} overlapping cue(s) trimmed to end where the next one starts"
        if merged:
            text_note += f"; {merged} starting at the same time as another merged into it"
        notes.append(text_note)
    ssa.events = events
    return SubtitleDoc(path=name, format=fmt, encoding=encoding, ssa=ssa, notes=notes, overlaps=overlaps, warnings=warnings,
                       bad_blocks=bad, source=source, source_lacks=lacks)


def _cue_events(events: list[pysubs2.SSAEvent], fmt: str, notes: list[str]) -> list[pysubs2.SSAEvent]:
    """The events that are cues: not comments; in ASS/SSA, an event mixing a vector drawing and
    words is the words (pysubs2 calls the whole event a drawing), one that only draws is none."""
    if fmt not in {"ass", "ssa"}:
        return [e for e in events if e.is_text]
    out: list[pysubs2.SSAEvent] = []
    drawings = 0
    for e in events:
        if e.is_comment:
            continue
        if _DRAWING_MODE.search(e.text):
            words = _without_drawings(e.text)
            if not _OVERRIDE.sub("", words).replace("\\N", " ").replace("\\n", " ").replace("\\h", " ").strip():
                drawings += 1
                continue
            e.text = words
        out.append(e)
    if drawings:
        notes.append(f"{drawings} drawing-only event(s) (vector shapes, no text) are not cues: skipped")
    return out


# Formats whose cues may overlap (shown together): WebVTT (its spec allows it) and ASS/SSA
# (where it is layout). SRT has no such rule and players disagree, so overlaps are trimmed.
OVERLAP_FORMATS = frozenset({"vtt", "ass", "ssa"})


def trim_overlaps(events: list[pysubs2.SSAEvent]) -> tuple[list[pysubs2.SSAEvent], list[int], int]:
    """Trim each cue to end where the next starts; returns the cues, which were trimmed, how many
    were merged (a cue starting with the one before: two lines meant to show together)."""
    out: list[pysubs2.SSAEvent] = []
    trimmed: set[int] = set()
    merged = 0
    for e in events:
        if out and e.start <= out[-1].start:
            out[-1].text = out[-1].text + r"\N" + e.text
            out[-1].end = max(out[-1].end, e.end)
            trimmed.add(len(out) - 1)
            merged += 1
            continue
        if out and out[-1].end > e.start:
            out[-1].end = e.start
            trimmed.add(len(out) - 1)
        out.append(e)
    return out, sorted(trimmed), merged


def normalize_service_subtitles(text: str, fmt: str) -> str:
    """The service's SRT/VTT text as a clean file: comma milliseconds in SRT, numbering from 1,
    ``\\n`` line ends (a pysubs2 round trip)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    notes: list[str] = []
    if fmt == "vtt" and text.lstrip().startswith("WEBVTT"):
        text = _clean_vtt(text.lstrip(), notes)
    text, mark = _keep_number_lines(text)
    ssa = pysubs2.SSAFile.from_string(text, format_=fmt)
    if mark:
        for e in ssa.events:
            e.text = e.text.replace(mark, "")
    if fmt == "vtt":
        for e in ssa.events:
            e.text = html.unescape(e.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return str(ssa.to_string(fmt))


# --------------------------------------------------------------------------------------------
# Checking


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
    lim = _limits(profile, language, sample)

    def add(i: int, code: str, message: str) -> None:
        out.append(Violation(i + 1, cues[i].start, cues[i].end, code, message))

    for i, cue in enumerate(cues):
        lines = [line.strip() for line in cue.lines]
        for n, line in enumerate(lines, 1):
            if len(line) > lim.chars:
                add(i, "line_too_long", f"line {n} has {len(line)} characters (max {lim.chars})")
        if len(lines) > lim.lines:
            add(i, "too_many_lines", f"{len(lines)} lines (max {lim.lines})")
        dur = cue.end - cue.start
        if dur <= 0:
            add(i, "bad_timing", "ends before it starts" if dur < 0 else "ends the moment it starts (0 s on screen)")
            continue
        chars = _reading_chars(lines)
        if dur > 0 and lim.cps > 0 and chars / dur > lim.cps * (1 + 1e-6) and chars / (dur + tol) > lim.cps:
            add(i, "too_fast", f"{chars / dur:.1f} characters per second (max {lim.cps:g})")
        need = max(lim.min_dur, lim.per_word * sum(len(line.split()) for line in lines))
        if dur + tol < need:
            add(i, "too_short", f"{dur:.3f} s on screen (min {need:.3f} s)")
        if dur > lim.max_dur + tol:
            add(i, "too_long", f"{dur:.3f} s on screen (max {lim.max_dur:g} s)")
        if i + 1 < len(cues):
            gap = cues[i + 1].start - cue.end
            if gap < -tol / 2 or i in flagged:
                add(i, "overlap", f"overlaps cue {i + 2}" + (" (trimmed when read)" if i in flagged and gap >= 0 else ""))
            elif gap + tol < lim.gap:
                add(i, "gap_too_small", f"{gap:.3f} s before cue {i + 2} (min {lim.gap:.3f} s)")
            elif lim.close_gap and gap + tol < lim.close_gap and gap > lim.gap + tol:
                add(i, "gap_too_small", f"{gap:.3f} s before cue {i + 2}: close it to {lim.gap:.3f} s or leave at least {lim.close_gap:g} s")
    return out
