"""Whisper's segments as the transcript's utterances and words, their edges pulled off silence.

Transcript conventions (shared with the Gladia engine): ``Word.text`` has no leading space,
``Word.confidence`` is Whisper's word probability, ``Utterance.confidence`` their mean, times
are seconds from the start of the input. Word edges are pulled off silence (see ``Loudness``).
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


def to_utterances(segments: Any, offset: float, end: float, language: str, loudness: Loudness | None = None) -> Iterator[Utterance]:
    def at(t: float) -> float:
        return round(min(offset + float(t), end), 3)

    for seg in segments:
        text = seg.text.strip()
        if not text:
            continue
        words = []
        for w in seg.words or []:
            if not w.word.strip():
                continue
            w_start, w_end = loudness.trim(float(w.start), float(w.end)) if loudness else (w.start, w.end)
            words.append(Word(text=w.word.strip(), start=at(w_start), end=at(w_end), confidence=round(float(w.probability), 4)))
        confidence = round(sum(w.confidence or 0.0 for w in words) / len(words), 4) if words else None
        yield Utterance(
            start=words[0].start if words else at(seg.start),
            end=words[-1].end if words else at(seg.end),
            text=text,
            words=words,
            language=language,
            confidence=confidence,
        )
