"""Words (or, in Chinese and Japanese, characters) as tokens with their timing and widths.

Spaced scripts break between words; Chinese and Japanese per character, with runs of Latin
letters kept whole and closing punctuation kept with the character before it. Text without word
timings is timed in proportion to its characters.
"""

from __future__ import annotations

import re

from ..models import Utterance
from .limits import CJK_CHAR, Limits

# Punctuation that must stay with the character before it (never start a line).
_CLOSERS = set("。、，．！？：；」』）】〉》〕…‥ー々ゝゞ!),.:;?%]}”’")
_SENTENCE_END = re.compile(r"[.!?…。！？]['\"”’)\]」』）]*$")
_CLAUSE_END = re.compile(r"[,;:—–、，；：]['\"”’)\]」』）]*$")


class Tok:
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


def run_length(toks: list[Tok]) -> int:
    """The tokens' width on one line."""
    return sum(t.w for t in toks) - len(toks[0].sep) if toks else 0


def join_tokens(toks: list[Tok]) -> str:
    """The tokens as one line of text."""
    return toks[0].text + "".join(t.sep + t.text for t in toks[1:])


def _units(text: str, spaced: bool) -> list[tuple[str, str]]:
    """Split text into breakable units with the separator before each: words for spaced scripts;
    for Chinese and Japanese, single characters (runs of Latin letters stay whole, closing
    punctuation stays with the character before it)."""
    if spaced:
        return [(w, " ") for w in text.split()]
    out: list[list[str]] = []  # [text, sep]
    space = False
    prev_latin = False  # is the last character added not CJK?
    cjk = CJK_CHAR.match
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


def tokens(utterances: list[Utterance], lim: Limits) -> list[Tok]:
    """Every utterance's tokens in order, the first of each marked."""
    toks: list[Tok] = []
    spaced = lim.spaced
    tok = Tok
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
            _mark_first(toks, at, spaced)
    return toks


def _mark_first(toks: list[Tok], at: int, spaced: bool) -> None:
    head = toks[at]
    head.first = True
    if at and not spaced and head.sep == "":
        # A new utterance in Latin text inside CJK keeps a space between Latin words.
        last = toks[at - 1].text[-1]
        if not CJK_CHAR.match(head.text[0]) and not CJK_CHAR.match(last):
            head.sep = " "
            head.w += 1


def _spread(out: list[Tok], units: list[tuple[str, str]], start: float, end: float, speaker: int | None, spaced: bool) -> None:
    """Tokens for units without their own timings, timed in proportion to their characters."""
    if len(units) == 1:
        text, sep = units[0]
        out.append(Tok(text, start, end, sep, speaker, False, spaced))
        return
    total = sum([len(t) for t, _ in units]) or 1
    scale = (end - start) / total
    s = start
    pos = 0
    tok = Tok
    append = out.append
    for text, sep in units:
        pos += len(text)
        e = start + scale * pos
        append(tok(text, s, e, sep, speaker, False, spaced))
        s = e
