"""Long inputs in pieces: each piece's audio cut from the input, and the pieces' transcripts stitched.

``layout`` decides the pieces; here they are made and joined again:

- ``silences`` finds the quiet stretches the cuts go in (ffmpeg's silencedetect, decoding only a
  minute around each place a cut may go);
- ``cut`` makes one piece's file from the input itself (``media.audio.cut_audio``: packets copied
  when the input is already what is sent, else one Opus encoding), never from an extracted copy,
  so the audio sent has been through one generation of Opus at most;
- ``stitch`` joins the pieces' transcripts (their times already shifted by each piece's start):
  at each junction a word whose middle is before the cut comes from the piece before and one
  after it from the piece after, and a word the piece before already gave (its copy in the piece
  after, timed a little differently) is not taken twice, so where pieces overlap each word is
  kept once; an utterance cut in two by a junction is joined again. Translations and the
  service's own subtitle cues are joined by the same rule, the spoken language is the first
  piece's that has speech (a music intro has none), and with ``--diarize`` the speakers are
  renumbered across pieces (``speakers``).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass
from pathlib import Path

from ..media.audio import cut_audio, find_silences_in, pick_audio_stream
from ..models import MediaInfo, Transcript, Utterance, Word
from .layout import Junction, Layout, clock
from .speakers import match_speakers

Piece = tuple[float, float]  # (start, end) seconds of the input

__all__ = ["Piece", "Source", "clock", "cut", "join_cues", "join_utterances", "silences", "stitch"]


@dataclass(frozen=True)
class Source:
    """The input the pieces are cut from: the original media, its probe, the audio stream asked
    for (``--audio-stream``; None: the default one) and its duration."""

    path: Path
    info: MediaInfo
    stream: int | None
    length: float


def silences(source: Source, windows: list[tuple[float, float]], cancel: threading.Event | None = None) -> list[tuple[float, float]]:
    """The silences of ``source``'s audio within ``windows`` (only they are decoded)."""
    index, _ = pick_audio_stream(source.info, source.stream)
    return find_silences_in(source.path, windows, stream=index, cancel=cancel)


def cut(source: Source, span: Piece, number: int, folder: Path, cancel: threading.Event | None = None) -> tuple[Path, float]:
    """Piece ``number``'s audio file (in ``folder``), ``span`` of the input, and where in the input
    its first sample is (the offset its words are shifted by)."""
    start, end = span
    if start <= 0 and end >= source.length:
        from ..media.audio import extract_audio

        return extract_audio(source.path, folder / "audio.ogg", stream=source.stream, info=source.info, cancel=cancel), 0.0
    return cut_audio(source.path, folder / f"piece{number:03d}.ogg", start=start, duration=end - start, info=source.info,
                     stream=source.stream, cancel=cancel)


# -- stitching ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """What piece i keeps: items whose middle is after ``floor`` (the piece before's last kept
    item's end, or an overlap's lower part) and before ``ceiling`` (the cut to the piece after)."""

    low: Junction | None
    high: Junction | None

    def floor(self, last_end: float) -> float:
        if self.low is None:
            return -math.inf
        if self.low.overlap <= 0:
            return last_end
        return max(last_end, self.low.at - self.low.overlap / 4)

    def ceiling(self) -> float:
        return self.high.at if self.high is not None and self.high.overlap > 0 else math.inf


def _windows(layout: Layout, count: int) -> list[_Window]:
    junctions: list[Junction | None] = [None, *layout.junctions, None]
    if len(junctions) != count + 1:  # a layout for another number of pieces: nothing is trimmed
        junctions = [None] * (count + 1)
    return [_Window(junctions[i], junctions[i + 1]) for i in range(count)]


def _mid(start: float, end: float) -> float:
    return (start + end) / 2


def _joined(words: list[Word], original: str) -> str:
    texts = [w.text for w in words]
    return ("" if len(words) > 1 and " " not in original.strip() else " ").join(texts)


JITTER_S = 0.1  # how far two jobs' timestamps of one word may differ


def _inside(start: float, end: float, floor: float, ceiling: float, last_end: float) -> bool:
    """Whether an item (start, end) is this piece's: its middle in (floor, ceiling), and it does
    not start well before the piece before's last item ended (then it is that item's copy)."""
    return floor < _mid(start, end) < ceiling and start >= last_end - JITTER_S


def _trim(u: Utterance, floor: float, ceiling: float, last_end: float) -> tuple[Utterance | None, bool, bool]:
    """``u`` with only what falls in (floor, ceiling); whether its head and its tail were cut off."""
    if not u.words:
        return (u if _inside(u.start, u.end, floor, ceiling, last_end) else None), False, False
    kept = [w for w in u.words if _inside(w.start, w.end, floor, ceiling, last_end)]
    if not kept:
        return None, False, False
    if len(kept) == len(u.words):
        return u, False, False
    head, tail = kept[0] is not u.words[0], kept[-1] is not u.words[-1]
    return dataclasses.replace(u, start=kept[0].start, end=kept[-1].end, text=_joined(kept, u.text), words=kept), head, tail


def _end(u: Utterance) -> float:
    return u.words[-1].end if u.words else u.end


def join_utterances(pieces: list[list[Utterance]], layout: Layout) -> list[Utterance]:
    """One list from the pieces' utterances (see the module docstring): each word once, an
    utterance cut in two by a junction joined again when the same speaker goes on within a second."""
    out: list[Utterance] = []
    last_end = -math.inf  # where the pieces so far stop
    tail_cut = False
    for window, utterances in zip(_windows(layout, len(pieces)), pieces, strict=True):
        before = last_end if window.low is not None else -math.inf
        floor, ceiling = window.floor(before), window.ceiling()
        first = True
        for u in utterances:
            kept, head, tail = _trim(u, floor, ceiling, before)
            if kept is None:
                continue
            previous = out[-1] if out else None
            if first and head and tail_cut and previous is not None and previous.speaker == kept.speaker and kept.start - _end(previous) < 1.0:
                words = previous.words + kept.words
                out[-1] = dataclasses.replace(previous, end=kept.end, words=words, text=_joined(words, previous.text + " " + kept.text))
            else:
                out.append(kept)
            first = False
            tail_cut = tail
            last_end = max(last_end, _end(kept))
    return out


def join_cues(pieces: list[list[tuple[float, float, str]]], layout: Layout) -> list[tuple[float, float, str]]:
    """The service's subtitle cues (start, end, text), each once, by the same rule as words."""
    out: list[tuple[float, float, str]] = []
    last_end = -math.inf
    for window, cues in zip(_windows(layout, len(pieces)), pieces, strict=True):
        before = last_end if window.low is not None else -math.inf
        floor, ceiling = window.floor(before), window.ceiling()
        for start, end, text in cues:
            if _inside(start, end, floor, ceiling, before):
                out.append((start, end, text))
                last_end = max(last_end, end)
    return out


def stitch(parts: list[Transcript], layout: Layout, *, offsets: list[float] | None = None, duration: float | None = None,
           notes: list[str] | None = None) -> Transcript:
    """One transcript from the pieces' transcripts (their times already shifted); the service's
    subtitle texts are shifted here (by ``offsets``: where each piece's first sample is in the
    input, by default its span's start) and joined as one file per format."""
    if any(u.speaker is not None for p in parts for u in p.utterances):
        parts = match_speakers(parts, layout, notes if notes is not None else [])
    language = next((p.language for p in parts if p.language), None)
    out = Transcript(language=language, engine=parts[0].engine if parts else "", model=parts[0].model if parts else None,
                     duration=duration)
    out.utterances = join_utterances([p.utterances for p in parts], layout)
    for part in parts:
        out.job_ids += part.job_ids
        out.languages += [lang for lang in part.languages if lang not in out.languages]
    for lang in dict.fromkeys(lang for p in parts for lang in p.translations):
        out.translations[lang] = join_utterances([p.translations.get(lang, []) for p in parts], layout)
    if offsets is None:
        offsets = [start for start, _end in layout.spans] if len(layout.spans) == len(parts) else [0.0] * len(parts)
    out.subtitles = _stitch_subtitles(parts, layout, offsets)
    return out


def _stitch_subtitles(parts: list[Transcript], layout: Layout, offsets: list[float]) -> dict[str, dict[str, str]]:
    import pysubs2

    from ..subtitles import normalize_service_subtitles

    out: dict[str, dict[str, str]] = {}
    for lang in dict.fromkeys(lang for p in parts for lang in p.subtitles):
        for fmt in dict.fromkeys(f for p in parts for f in p.subtitles.get(lang, {})):
            pieces: list[list[tuple[float, float, str]]] = []
            for part, offset in zip(parts, offsets, strict=True):
                text = part.subtitles.get(lang, {}).get(fmt)
                events = pysubs2.SSAFile.from_string(normalize_service_subtitles(text, fmt), format_=fmt).events if text else []
                pieces.append([(e.start / 1000 + offset, e.end / 1000 + offset, e.text) for e in events])
            merged = pysubs2.SSAFile()
            for start, end, text in join_cues(pieces, layout):
                merged.events.append(pysubs2.SSAEvent(start=round(start * 1000), end=round(end * 1000), text=text))
            out.setdefault(lang, {})[fmt] = normalize_service_subtitles(merged.to_string(fmt), fmt)
    return out
