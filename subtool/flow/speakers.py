"""Speakers across pieces: one number per voice in a transcript stitched from several jobs.

A service numbers the speakers of each job on its own (in order of appearance), so speaker 0 of
one piece may be speaker 1 of the next. With ``--diarize`` neighbouring pieces overlap (``layout``:
60 s), and both jobs label the speech in that shared stretch: a speaker of the later piece is the
earlier piece's speaker they share the most speaking time with there (pairs taken greedily, most
shared time first, one to one, 0.2 s of shared speech at least). A later speaker who did not speak
in the shared stretch gets a new number, and a note says so: they may be someone heard before.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from ..models import Transcript, Utterance
from .layout import Layout, clock

MIN_SHARED_S = 0.2


def _turns(utterances: list[Utterance], lo: float, hi: float) -> list[tuple[int, float, float]]:
    """(speaker, start, end) of the speech within [lo, hi], word by word where words are known."""
    out: list[tuple[int, float, float]] = []
    for u in utterances:
        if u.speaker is None:
            continue
        spans = [(w.start, w.end) for w in u.words] or [(u.start, u.end)]
        out += [(u.speaker, max(a, lo), min(b, hi)) for a, b in spans if min(b, hi) > max(a, lo)]
    return out


def _shared(before: list[tuple[int, float, float]], after: list[tuple[int, float, float]]) -> dict[tuple[int, int], float]:
    shared: dict[tuple[int, int], float] = defaultdict(float)
    for a, a0, a1 in before:
        for b, b0, b1 in after:
            both = min(a1, b1) - max(a0, b0)
            if both > 0:
                shared[(a, b)] += both
    return shared


def _relabel(utterances: list[Utterance], mapping: dict[int, int]) -> list[Utterance]:
    return [dataclasses.replace(u, speaker=mapping.get(u.speaker, u.speaker)) if u.speaker is not None else u for u in utterances]


def match_speakers(parts: list[Transcript], layout: Layout, notes: list[str]) -> list[Transcript]:
    """``parts`` with their speakers renumbered so that one voice has one number throughout (see
    the module docstring); what could not be matched is said in ``notes``."""
    if len(layout.junctions) != len(parts) - 1:
        return parts
    out = [parts[0]]
    known = {u.speaker for u in parts[0].utterances if u.speaker is not None}
    following = max(known, default=-1) + 1
    for i, (part, junction) in enumerate(zip(parts[1:], layout.junctions, strict=True), start=1):
        lo, hi = junction.at - junction.overlap / 2, junction.at + junction.overlap / 2
        shared = _shared(_turns(out[-1].utterances, lo, hi), _turns(part.utterances, lo, hi))
        mapping: dict[int, int] = {}
        for (a, b), seconds in sorted(shared.items(), key=lambda kv: -kv[1]):
            if seconds >= MIN_SHARED_S and b not in mapping and a not in mapping.values():
                mapping[b] = a
        new = sorted({u.speaker for u in part.utterances if u.speaker is not None} - set(mapping))
        for b in new:
            mapping[b] = following
            following += 1
        if new and known:
            notes.append(
                f"{len(new)} speaker(s) of the piece from {clock(layout.spans[i][0])} did not speak in the "
                f"{junction.overlap:.0f} s it shares with the piece before, so they could not be matched: numbered as new "
                "speakers, they may be someone heard before"
            )
        known |= set(mapping.values())
        translations = {lang: _relabel(utts, mapping) for lang, utts in part.translations.items()}
        out.append(dataclasses.replace(part, utterances=_relabel(part.utterances, mapping), translations=translations))
    return out
