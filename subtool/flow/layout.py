"""How an input goes to a job service: whole, or in pieces sent at once across the free job slots.

The service takes about 17.6% of the audio's duration to transcribe one job (3 s at least), bills
by audio duration whatever the number of jobs, and runs 3 (free plan) to 25 (paid) jobs at once.
So an input longer than ``--split`` minutes (10 by default) is cut into as many pieces as there
are job slots free (``--max-jobs`` less the jobs other inputs of the run or batch hold), none
shorter than ``MIN_PIECE_S`` (5 minutes: the fixed costs of a job, its upload and its polls stay
small beside its work), sent at once and stitched: a 2-hour programme is transcribed in about a
third of the time with 3 slots, a tenth with 25, at the same price (BENCHMARKS.md, "Split").
Without ``--split`` (``off``), or when only one slot is free, an input goes whole unless it is
longer than one job takes (``max_duration``, 135 minutes): then it is cut into pieces of about
``chunk_target`` (60 minutes) as before.

Where the cuts go (``place``): each in the middle of a silence within reach of its ideal place (a
quarter of a piece, 30 s at most), so no word is cut: the nearest pause of a second or more (between
sentences or speakers), else the nearest silence of 0.4 s or more. When no silence is that
near (music under the speech, a crowd), the two pieces overlap by ``OVERLAP_S`` around the ideal
place and the stitch keeps each word once by its timestamps (``pieces``). With ``--diarize``
every cut is an overlap of ``DIARIZE_OVERLAP_S``: a service numbers the speakers of each job on
its own, and the speakers heard in both pieces' copy of that minute are what matches them.

When the spoken language is left to detection (no ``-l``, or several, and no code switching), the
first piece is sent alone and short (``MIN_PIECE_S``): the language it is heard in is given to the
other pieces, which go when it is done (while it runs, the others are cut), so one input never
comes back in two languages because a piece was mostly music.

A scheduler's journal names each job by its piece's number: 0 for an input sent whole, 0..n-1 for
the pieces of an input over the limit, ``count * 1000 + i`` for a split into ``count`` pieces, so
that a resumed batch finds the split it paid for (``recorded_count``) whatever slots are free now.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..engines.jobs import JobJournal

MIN_PIECE_S = 300.0  # SUBTOOL_SPLIT_MIN_PIECE (seconds) changes it, for tests
DEFAULT_SPLIT_MINUTES = 10.0
MAX_REACH_S = 30.0
MIN_PAUSE_S = 0.4  # a silence shorter than this may be a stop consonant inside a word
CLEAR_PAUSE_S = 1.0  # a pause between sentences or speakers: preferred, the nearest one
OVERLAP_S = 6.0
DIARIZE_OVERLAP_S = 60.0
NUMBER_BASE = 1000


@dataclass(frozen=True)
class Junction:
    """Where two neighbouring pieces meet: a word whose middle is before ``at`` comes from the
    piece before, after it from the piece after; each piece reaches ``overlap / 2`` seconds past
    ``at`` (0: the cut is in a silence, at ``at``)."""

    at: float
    overlap: float = 0.0
    silence: bool = True


@dataclass(frozen=True)
class Layout:
    """The pieces of an input: ``spans`` ((start, end) seconds of the input, in order), the
    ``junctions`` between neighbours, ``base`` (the journal numbers piece i ``base + i``),
    ``first_alone`` (the first piece goes first and gives its language to the others) and
    ``split`` (cut to use the free job slots, rather than because the input is too long)."""

    spans: tuple[tuple[float, float], ...]
    junctions: tuple[Junction, ...] = ()
    base: int = 0
    first_alone: bool = False
    split: bool = False

    @property
    def count(self) -> int:
        return len(self.spans)

    @property
    def overlap_seconds(self) -> float:
        """The audio sent twice (each overlap belongs to two pieces)."""
        return sum(j.overlap for j in self.junctions)


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def split_seconds(minutes: float | None) -> float | None:
    return None if minutes is None else minutes * 60.0


def split_count(length: float, *, free: int, max_duration: float, first_alone: bool, min_piece: float = MIN_PIECE_S) -> int:
    """How many pieces a split into the ``free`` job slots makes (1: not worth splitting)."""
    required = math.ceil(length / max_duration)
    if not first_alone:
        count = max(min(free, math.floor(length / min_piece)), required)
        return count if count >= 2 else 1
    rest = length - min_piece
    others = max(min(free, math.floor(rest / min_piece)), math.ceil(rest / max_duration))
    # One piece after the first would take as long as the whole: no gain unless it must be cut.
    return 1 + others if others >= 2 or required >= 2 else 1


def limit_count(length: float, *, max_duration: float, chunk_target: float) -> int:
    """How many pieces an input over the limit of one job is cut into (pieces of about ``chunk_target``)."""
    if length <= max_duration:
        return 1
    count = max(2, math.ceil(length / chunk_target))
    while length / count > max_duration:
        count += 1
    return count


def ideal_bounds(length: float, count: int, *, first_alone: bool, min_piece: float = MIN_PIECE_S) -> list[float]:
    """Where ``count`` pieces would start and end if cuts could go anywhere."""
    if first_alone and count >= 2:
        rest = length - min_piece
        return [0.0, *(min_piece + rest * k / (count - 1) for k in range(count - 1)), length]
    return [length * k / count for k in range(count + 1)]


def reach(bounds: list[float], k: int) -> float:
    """How far cut ``k`` may move from its ideal place (a quarter of the shorter piece beside it)."""
    return min(min(bounds[k] - bounds[k - 1], bounds[k + 1] - bounds[k]) / 4, MAX_REACH_S)


def windows(bounds: list[float]) -> list[tuple[float, float]]:
    """Where silences are looked for: within reach of each ideal cut."""
    return [(bounds[k] - reach(bounds, k), bounds[k] + reach(bounds, k)) for k in range(1, len(bounds) - 1)]


def place(bounds: list[float], silences: list[tuple[float, float]], *, diarize: bool) -> tuple[tuple[tuple[float, float], ...], tuple[Junction, ...]]:
    """The spans and junctions for the ideal ``bounds``: each cut in the middle of a silence within
    reach of its ideal place, else an overlap (see the module docstring)."""
    length = bounds[-1]
    junctions: list[Junction] = []
    for k in range(1, len(bounds) - 1):
        shortest = min(bounds[k] - bounds[k - 1], bounds[k + 1] - bounds[k])
        near = [(b - a >= CLEAR_PAUSE_S, -abs((a + b) / 2 - bounds[k]), (a + b) / 2) for a, b in silences
                if abs((a + b) / 2 - bounds[k]) <= reach(bounds, k) and b - a >= MIN_PAUSE_S]
        at = max(near)[2] if near else bounds[k]
        overlap = min(DIARIZE_OVERLAP_S if diarize else OVERLAP_S, shortest / 4) if diarize or not near else 0.0
        junctions.append(Junction(round(at, 3), round(overlap, 3), bool(near)))
    starts = [0.0, *(max(0.0, j.at - j.overlap / 2) for j in junctions)]
    ends = [*(min(length, j.at + j.overlap / 2) for j in junctions), length]
    return tuple((round(a, 3), round(b, 3)) for a, b in zip(starts, ends, strict=True)), tuple(junctions)


Scan = Callable[[list[tuple[float, float]]], list[tuple[float, float]]]
"""The silences (start, end) an input has within the given windows."""


def make_layout(length: float, count: int, scan: Scan, *, split: bool, first_alone: bool, diarize: bool, max_duration: float,
                min_piece: float = MIN_PIECE_S) -> Layout:
    """The layout of ``count`` pieces (more when a piece would pass ``max_duration``), its cuts
    placed among the silences ``scan`` finds near them."""
    if count <= 1:
        return Layout(((0.0, length),))
    first_alone = first_alone and split
    while True:
        bounds = ideal_bounds(length, count, first_alone=first_alone, min_piece=min_piece)
        spans, junctions = place(bounds, scan(windows(bounds)), diarize=diarize)
        if all(b - a <= max_duration for a, b in spans) or count >= length:
            break
        count += 1
    return Layout(spans, junctions, base=count * NUMBER_BASE if split else 0, first_alone=first_alone, split=split)


def recorded_count(journal: JobJournal, length: float, max_duration: float, min_piece: float = MIN_PIECE_S) -> int | None:
    """The number of pieces of a split whose jobs ``journal`` holds (a resumed batch), if any."""
    most = min(NUMBER_BASE - 1, max(math.floor(length / min_piece) + 1, math.ceil(length / max_duration)) + 2)
    for count in range(2, most + 1):
        if any(journal.recorded(count * NUMBER_BASE + i) is not None for i in range(count)):
            return count
    return None
