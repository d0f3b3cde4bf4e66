"""Long inputs in pieces: cut the audio where it is silent, and stitch the pieces' transcripts.

A job takes at most ``max_duration`` seconds of audio (135 minutes at Gladia). A longer input is
cut at silences into pieces of about ``chunk_target`` seconds (``media.audio.plan_chunks``), each
sent as its own job, concurrently within the account's job slots; the pieces' transcripts come
back with their times already shifted by each piece's start, and are joined here: utterances and
translations in order, the spoken language from the first piece that has speech (a music intro
has none), the service's own subtitle texts shifted and renumbered as one file per format.
"""

from __future__ import annotations

from pathlib import Path

from ..media.audio import extract_audio, find_silences, plan_chunks
from ..models import Transcript

Piece = tuple[float, float]  # (start, end) seconds of the input


def cut(audio: Path, duration: float, *, target: float, limit: float, folder: Path) -> list[tuple[Piece, Path]]:
    """The pieces of ``audio`` (each at most ``limit`` seconds, cut at silences near every
    ``target`` seconds), each extracted to its own file in ``folder``."""
    silences = find_silences(audio, duration=duration)
    pieces = plan_chunks(duration, silences, target=target, limit=limit)
    return [(piece, extract_audio(audio, folder / f"piece{i:03d}.ogg", start=piece[0], duration=piece[1] - piece[0]))
            for i, piece in enumerate(pieces)]


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def stitch(parts: list[Transcript], offsets: list[float], *, duration: float | None = None) -> Transcript:
    """One transcript from the pieces' transcripts (their times already shifted); the service's
    subtitle texts are shifted here (``offsets``: each piece's start) and renumbered as one file."""
    import pysubs2

    from ..subtitles import normalize_service_subtitles

    language = next((p.language for p in parts if p.language), None)
    out = Transcript(language=language, engine=parts[0].engine if parts else "", model=parts[0].model if parts else None,
                     duration=duration)
    for part in parts:
        out.utterances += part.utterances
        out.job_ids += part.job_ids
        out.languages += [lang for lang in part.languages if lang not in out.languages]
        for lang, utts in part.translations.items():
            out.translations.setdefault(lang, []).extend(utts)
    for lang in dict.fromkeys(lang for p in parts for lang in p.subtitles):
        for fmt in dict.fromkeys(f for p in parts for f in p.subtitles.get(lang, {})):
            merged = pysubs2.SSAFile()
            for part, offset in zip(parts, offsets, strict=True):
                text = part.subtitles.get(lang, {}).get(fmt)
                if text:
                    piece = pysubs2.SSAFile.from_string(normalize_service_subtitles(text, fmt), format_=fmt)
                    piece.shift(s=offset)
                    merged.events += list(piece.events)
            out.subtitles.setdefault(lang, {})[fmt] = normalize_service_subtitles(merged.to_string(fmt), fmt)
    return out
