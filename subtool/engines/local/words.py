"""Whisper's segments as the transcript's utterances and words, their edges pulled off silence.

Transcript conventions (shared with the Gladia engine): ``Word.text`` has no leading space,
``Word.confidence`` is Whisper's word probability, ``Utterance.confidence`` their mean, times
are seconds from the start of the input. Word edges are pulled off silence (see ``Loudness``).

Whisper cuts words into pieces where its tokens end ("l" + "'imouverai", "sous" + "-titres"):
a piece without a leading space is joined to the word before it (``join_pieces``), so French and
Italian elisions, English contractions and hyphenated words are one word, as written; punctuation
follows the language's spacing (``written``: none before it, a no-break space in French).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...models import Utterance, Word
from .audio import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np


class Loudness:
    """Frame loudness of one chunk, to pull word edges off the silence around them.

    Whisper's word alignment lets a word that follows a pause start early (it absorbs part of the
    pause: 0.5 s early on samples/memo.mp3), so a subtitle would appear before anyone speaks. A
    word edge is moved only over at least ``MIN_SHIFT`` of frames well below the chunk's speech
    level, so the short closures of stop consonants inside speech are left alone.
    """

    FRAME = 0.02
    MIN_SHIFT = 0.15
    BELOW_DB = 35.0

    def __init__(self, samples: np.ndarray) -> None:
        import numpy as np

        frame = int(self.FRAME * SAMPLE_RATE)
        n = len(samples) // frame
        rms = np.sqrt(np.square(samples[: n * frame].reshape(n, frame)).mean(axis=1)) if n else np.zeros(0)
        level = float(np.percentile(rms, 95)) if n else 0.0
        self.loud = rms > max(level * 10 ** (-self.BELOW_DB / 20), 1e-4)

    def trim(self, start: float, end: float) -> tuple[float, float]:
        """``(start, end)`` (seconds in the chunk) without the silence at either edge."""
        a, b = int(start / self.FRAME), min(int(end / self.FRAME + 0.5), len(self.loud))
        if b - a < 2:
            return start, end
        loud = self.loud[a:b].nonzero()[0]
        if len(loud) == 0:
            return start, end
        first, last = a + int(loud[0]), a + int(loud[-1]) + 1
        if (first - a) * self.FRAME >= self.MIN_SHIFT:
            start = first * self.FRAME
        if (b - last) * self.FRAME >= self.MIN_SHIFT:
            end = last * self.FRAME
        return start, end


# Languages whose typography puts a (no-break) space before high punctuation: French writes
# "Ça va ?" and "« oui »" (Imprimerie nationale, Lexique des règles typographiques). Everywhere
# else no space comes before closing punctuation.
SPACE_BEFORE_PUNCTUATION = {"fr": "?!:;»"}
_CLOSING = "?!:;,.)]}»”’…%"
_NO_BREAK_SPACE = "\u00a0"


def join_pieces(pieces: list[tuple[str, float, float, float]]) -> list[tuple[str, float, float, float]]:
    """Whisper's word pieces (text with its own leading space, start, end, probability) joined as
    the language writes them: a piece that does not start with a space continues the word before
    it ("d" + "'une", "sous" + "-titres", "don" + "'t"). The joined word spans its pieces and is as
    sure as its least sure piece."""
    words: list[tuple[str, float, float, float]] = []
    for text, start, end, prob in pieces:
        if words and text and not text[0].isspace():
            last = words[-1]
            words[-1] = (last[0] + text, last[1], max(last[2], end), min(last[3], prob))
        elif text.strip():
            words.append((text, start, end, prob))
    return words


def written(text: str, language: str) -> str:
    """``text`` with the spacing of punctuation its language uses: no space before closing
    punctuation, except a no-break space before the marks French spaces (which also keeps them
    on the line of the word before)."""
    spaced = SPACE_BEFORE_PUNCTUATION.get(language.split("-")[0], "")
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace() and i + 1 < len(text) and text[i + 1] in _CLOSING and out and not out[-1].isspace():
            if text[i + 1] in spaced:
                out.append(_NO_BREAK_SPACE)
            i += 1
            continue
        if ch in spaced and out and out[-1] not in (" ", _NO_BREAK_SPACE) and not out[-1].isdigit():
            out.append(_NO_BREAK_SPACE)
        out.append(ch)
        i += 1
        if ch == "«" and spaced and i < len(text):
            out.append(_NO_BREAK_SPACE)
            while i < len(text) and text[i].isspace():
                i += 1
    return "".join(out)


def to_utterances(segments: Any, offset: float, end: float, language: str, loudness: Loudness | None = None) -> Iterator[Utterance]:
    def at(t: float) -> float:
        return round(min(offset + float(t), end), 3)

    for seg in segments:
        text = written(seg.text.strip(), language)
        if not text:
            continue
        pieces = []
        for w in seg.words or []:
            if not w.word.strip():
                continue
            w_start, w_end = loudness.trim(float(w.start), float(w.end)) if loudness else (w.start, w.end)
            pieces.append((w.word, float(w_start), float(w_end), float(w.probability)))
        words = [Word(text=written(piece.strip(), language), start=at(w_start), end=at(w_end), confidence=round(prob, 4))
                 for piece, w_start, w_end, prob in join_pieces(pieces)]
        confidence = round(sum(w.confidence or 0.0 for w in words) / len(words), 4) if words else None
        yield Utterance(
            start=words[0].start if words else at(seg.start),
            end=words[-1].end if words else at(seg.end),
            text=text,
            words=words,
            language=language,
            confidence=confidence,
        )
