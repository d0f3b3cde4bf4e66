"""Gathered token runs as cues: lines broken, speaker dashes, two quick turns in one cue.

A ``Layout`` keeps the runs (one per cue, two for a dialogue cue) with their broken lines, so a
repair (``rules``) that changes a few runs breaks only those again, and a translation that follows
the template (``template``) knows which words each cue holds. With speaker labels, a change of
speaker opens the cue with a dash, and two quick whole turns share one cue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .limits import Limits
from .lines import break_lines
from .model import Cue
from .segment import HARD_PAUSE, comfortable
from .tokens import Tok, join_tokens, run_length


@dataclass
class Layout:
    """Runs of tokens, one per cue (``lines[i]``: run i's broken lines, None until broken)."""

    groups: list[list[Tok]]
    lim: Limits
    speaker_labels: bool
    duration: float | None
    lines: list[list[str] | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.lines) != len(self.groups):
            self.lines = [None] * len(self.groups)


def layout_cues(layout: Layout) -> tuple[list[Cue], list[tuple[int, int]]]:
    """A cue per run (two quick turns of dialogue share one), lines broken, not yet timed; and
    for each cue the runs it holds (``(first, last + 1)``)."""
    groups, lim, labels = layout.groups, layout.lim, layout.speaker_labels
    cues: list[Cue] = []
    owners: list[tuple[int, int]] = []
    prev_speaker: int | None = None
    i = 0
    while i < len(groups):
        group = groups[i]
        speaker = group[0].speaker
        if labels and _dialogue(groups, i, lim):
            other = groups[i + 1]
            cues.append(_dialogue_cue(group, other))
            owners.append((i, i + 2))
            prev_speaker = other[0].speaker
            i += 2
            continue
        dash = labels and speaker is not None and prev_speaker is not None and speaker != prev_speaker
        lines = layout.lines[i]
        if lines is None or dash:
            lines = break_lines(group, lim, 2 if dash else 0)
            if dash:
                lines[0] = "- " + lines[0]
            else:
                layout.lines[i] = lines
        cues.append(Cue(group[0].start, max(group[-1].end, group[0].start), list(lines), speaker))
        owners.append((i, i + 1))
        prev_speaker = speaker
        i += 1
    return cues, owners


def _dialogue_cue(a: list[Tok], b: list[Tok]) -> Cue:
    """Two quick turns in one cue, a dash opening each line. The dash is "- " (with a space), the
    form this module already uses for a change of speaker and the common one across broadcasters'
    guides; Netflix's English guide writes it without the space ("-Are you coming?" / "-In a
    minute.", English Timed Text Style Guide, "Dual Speakers"), which the reference's section D
    does not cover."""
    lines = ["- " + join_tokens(a), "- " + join_tokens(b)]
    return Cue(a[0].start, max(b[-1].end, a[0].start), lines, a[0].speaker)


def _turn_edge(before: list[Tok], after: list[Tok]) -> bool:
    """Is the edge between two gathered groups the end of a speaker's turn?"""
    return before[-1].speaker != after[0].speaker or after[0].start - before[-1].end > HARD_PAUSE


def _dialogue(groups: list[list[Tok]], i: int, lim: Limits) -> bool:
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
    if b[0].start - a[-1].end > HARD_PAUSE or b[-1].end - a[0].start > lim.max_dur:
        return False
    len_a, len_b = run_length(a), run_length(b)
    if len_a + 2 > lim.chars or len_b + 2 > lim.chars:
        return False
    after = groups[i + 2][0].start if i + 2 < len(groups) else math.inf
    return not comfortable(a, len_a, b[0], lim, sync=False) or not comfortable(b, len_b, after, lim, sync=False)
