"""Words (or, in Chinese and Japanese, characters) as tokens with their timing and widths.

Spaced scripts break between words; Chinese and Japanese per character, with runs of Latin
letters kept whole and closing punctuation kept with the character before it. Text without word
timings is timed in proportion to its characters.
"""

from __future__ import annotations

import re

from ..models import Utterance
from .limits import CJK_CHAR, Limits
from .wording import GLUE, NOUNS_CAPITALISED, OPENS, STRONG

# Punctuation that must stay with the character before it (never start a line).
_CLOSERS = set("。、，．！？：；」』）】〉》〕…‥ー々ゝゞ!),.:;?%]}”’")
_SENTENCE_END = re.compile(r"[.!?…。！？]['\"”’)\]」』）]*$")
_CLAUSE_END = re.compile(r"[,;:—–、，；：]['\"”’)\]」』）]*$")


class Tok:
    # Lengths, punctuation kind and the function-word flags are computed once per token: the
    # gathering loop, the cue-edge choice and the line breaker all read them many times.
    __slots__ = ("cap", "end", "first", "kind", "n", "opens", "sep", "speaker", "start", "strong", "text", "utt", "w", "weak")
    weak: int | bool
    opens: int | bool
    strong: int | bool

    def __init__(self, text: str, start: float, end: float, sep: str, speaker: int | None, first: bool, spaced: bool,
                 words: dict[str, int] | None = None, utt: int = 0) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.sep = sep  # what joins it to the token before on the same line
        self.speaker = speaker
        self.first = first  # first token of an utterance
        self.utt = utt  # the utterance it comes from (its index in the list given to ``tokens``)
        n = len(text)
        self.n = n
        self.w = n + len(sep)  # its width after another token on the same line
        kind = self.kind = 0 if text[-1].isalnum() else _kind(text)  # 2 sentence end, 1 clause end
        if not spaced:
            self.weak = self.opens = self.strong = self.cap = False
            return
        # A function word (``wording``): no line or cue should end after it; a preposition or a
        # conjunction may open one. Without a word list: a short lowercase word. (A word with
        # punctuation after it is none: the punctuation decides.)
        if words is None:
            self.weak = self.opens = n <= 3 and text.isalpha() and text.islower()
            self.strong = False
        else:
            flag = words.get(text.lower(), 0) if not kind else 0
            self.weak, self.opens, self.strong = flag & GLUE, flag & OPENS, flag & STRONG  # ints: truth is all they are read for
        # Two capitalised words in a row are often one name (not in German, where nouns are capitalised).
        self.cap = text[0].isupper() and (words is None or NOUNS_CAPITALISED not in words)


def _kind(text: str) -> int:
    if _SENTENCE_END.search(text):
        return 2
    if _CLAUSE_END.search(text):
        return 1
    return 0


def run_length(toks: list[Tok]) -> int:
    """The tokens' width on one line."""
    return sum([t.w for t in toks]) - len(toks[0].sep) if toks else 0  # a list is summed faster than a generator


def join_tokens(toks: list[Tok]) -> str:
    """The tokens as one line of text."""
    return toks[0].text + "".join(t.sep + t.text for t in toks[1:])


# Spaces that join rather than separate (French "va ?", "10 000"): never a break.
_NO_BREAK = ("\u00a0", "\u202f", "\u2007")
_BREAKING_SPACE = re.compile(r"[^\S\u00a0\u202f\u2007]+")


def split_words(text: str) -> list[str]:
    """``text``'s words, split at spaces that may break (a no-break space keeps its words together)."""
    if "\u00a0" in text or "\u202f" in text or "\u2007" in text:
        return [w for w in _BREAKING_SPACE.split(text) if w]
    return text.split()


def units(text: str, spaced: bool) -> list[tuple[str, str]]:
    """Split text into breakable units with the separator before each: words for spaced scripts;
    for Chinese and Japanese, single characters (runs of Latin letters stay whole, closing
    punctuation stays with the character before it)."""
    if spaced:
        return [(w, " ") for w in split_words(text)]
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
    words = lim.wording
    tok = Tok
    for index, utt in enumerate(utterances):
        speaker = utt.speaker
        at = len(toks)
        if not utt.words:
            spread(toks, units(utt.text, spaced), utt.start, max(utt.end, utt.start), speaker, spaced, words, index)
        elif spaced:
            for w in utt.words:
                end = w.end if w.end > w.start else w.start
                parts = split_words(w.text)
                if len(parts) == 1:  # the common case: one word, one token
                    toks.append(tok(parts[0], w.start, end, " ", speaker, False, True, words, index))
                elif parts:
                    spread(toks, [(p, " ") for p in parts], w.start, end, speaker, True, words, index)
        else:
            for w in utt.words:
                end = w.end if w.end > w.start else w.start
                spread(toks, units(w.text, False), w.start, end, speaker, False, None, index)
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


def spread(out: list[Tok], parts: list[tuple[str, str]], start: float, end: float, speaker: int | None, spaced: bool,
           words: dict[str, int] | None = None, utt: int = 0) -> None:
    """Tokens for units without their own timings, timed in proportion to their characters."""
    if len(parts) == 1:
        text, sep = parts[0]
        out.append(Tok(text, start, end, sep, speaker, False, spaced, words, utt))
        return
    total = sum([len(t) for t, _ in parts]) or 1
    scale = (end - start) / total
    s = start
    pos = 0
    tok = Tok
    append = out.append
    for text, sep in parts:
        pos += len(text)
        e = start + scale * pos
        append(tok(text, s, e, sep, speaker, False, spaced, words, utt))
        s = e
