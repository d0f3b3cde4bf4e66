"""What the decoding left out: speech that no word covers, and cues that repeat the one before.

Whisper decodes 30 s windows one after the other. Its known failures are silent: a window that
ends on a sentence it did not finish is skipped to its end (the sentence is lost), and text
carried over as the next window's prompt comes back as a repetition over different audio. The
engine avoids both at the root (no previous text as prompt, see ``engine``); this module is the
safety net that makes what still slips through visible:

- ``gaps``: stretches of speech with no word on them for more than ``MIN_GAP`` seconds. Speech is
  where Silero VAD (shipped with faster-whisper) hears a voice *and* the frame is loud
  (``words.Loudness``): VAD alone pads its spans over pauses, loudness alone takes noise for
  speech. A word covers its own time and ``MARGIN`` either side (word edges are approximate).
- ``repeats``: an utterance of at least ``MIN_REPEAT_WORDS`` words whose text is the previous
  one's (case and punctuation aside). It is flagged, not taken out: a sentence said twice with
  noise between them came back as two such cues, the second one real.
Both are said as warnings by the engine, naming the time span.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...models import Utterance
from .audio import SAMPLE_RATE
from .words import Loudness

if TYPE_CHECKING:
    import numpy as np

MIN_GAP = 2.0
MARGIN = 0.3
JOIN = 1.0  # uncovered speech this close together counts as one stretch
MIN_REPEAT_WORDS = 4


def clock(seconds: float) -> str:
    """``83.4`` as ``1:23`` (``1:02:03`` past the hour)."""
    s = int(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


def speech_frames(samples: np.ndarray, loudness: Loudness) -> np.ndarray:
    """Per ``Loudness.FRAME``: True where Silero VAD hears speech and the frame is loud."""
    import numpy as np
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    speech = np.zeros(len(loudness.loud), dtype=bool)
    for span in get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=300)):
        a = int(span["start"] / SAMPLE_RATE / Loudness.FRAME)
        b = int(span["end"] / SAMPLE_RATE / Loudness.FRAME + 0.5)
        speech[a:b] = True
    return speech & loudness.loud


def gaps(speech: np.ndarray, utterances: Sequence[Utterance], offset: float) -> list[tuple[float, float]]:
    """The stretches (seconds from the start of the input) of ``speech`` (frames of a chunk
    starting at ``offset``) that no word of ``utterances`` covers, longer than ``MIN_GAP``."""
    left = speech.copy()
    frame = Loudness.FRAME
    for utt in utterances:
        for w in utt.words or []:
            a = max(int((w.start - offset - MARGIN) / frame), 0)
            left[a : int((w.end - offset + MARGIN) / frame) + 1] = False
    found: list[tuple[int, int]] = []  # runs of uncovered frames, [first, last + 1)
    for k in left.nonzero()[0].tolist():
        if found and (k - found[-1][1] + 1) * frame <= JOIN:
            found[-1] = (found[-1][0], k + 1)
        else:
            found.append((k, k + 1))
    return [(round(offset + a * frame, 2), round(offset + b * frame, 2)) for a, b in found if (b - a) * frame > MIN_GAP]


def _said(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def repeats(utt: Utterance, before: Utterance | None) -> bool:
    """True when ``utt`` has at least ``MIN_REPEAT_WORDS`` words and says what ``before`` said."""
    said = _said(utt.text)
    return before is not None and len(said) >= MIN_REPEAT_WORDS and said == _said(before.text)
