"""Cue timing: reading speed, minimum duration, gaps, the end of the media, milliseconds.

Each cue is stretched to be read (reading speed, minimum duration, a minimum per word) without
overlapping the next one or outlasting the maximum duration; a gap smaller than the profile's
``close_gap`` is closed to the minimum gap rather than left as a flicker. Where a cue is still
below the minimum duration because the next follows closely, its edges may leave the speech by the
profile's sync frames (Netflix: within 3 frames of the audio). Where the maximum duration keeps a
small gap from closing, the cue ends the whole ``close_gap`` before the next instead, when it can
still be read there. With the video's shot changes, edges near a cut then move to it (``shots``).
"""

from __future__ import annotations

import math

from .limits import Limits, needed
from .model import Cue
from .shots import Shots, snap


def time_cues(cues: list[Cue], lim: Limits, duration: float | None, *, shots: Shots | None = None) -> list[Cue]:
    """Stretch each cue for reading speed and minimum duration, close small gaps, keep the
    minimum gap, never overlap, stay inside [0, duration]; with ``shots``, edges near a cut are
    moved to it (``shots.snap``); times rounded to the millisecond."""
    end_limit = duration if duration is not None and duration > 0 else float("inf")
    _stretch(cues, lim, end_limit)
    if shots is not None:
        snap(cues, lim, shots, end_limit)
    _squeeze(cues, lim, end_limit)
    _to_milliseconds(cues, end_limit)
    return cues


def _fit_end(cues: list[Cue], i: int, need: float, lim: Limits, end_limit: float) -> float:
    """Where cue ``i`` may end to be on screen ``need`` seconds, short of the next cue."""
    cue = cues[i]
    last = i + 1 == len(cues)
    nxt = end_limit if last else cues[i + 1].start
    room = end_limit if last else nxt - lim.gap
    want = max(cue.end, cue.start + need)
    if not last and nxt - want < lim.close_gap:
        want = max(want, room)  # close a small gap rather than leave a flicker
    end = min(want, cue.start + max(lim.max_dur, cue.end - cue.start), room)
    if not last and lim.gap + 1e-6 < nxt - end < lim.close_gap - 1e-6 and nxt - lim.close_gap >= cue.start + need:
        # The maximum duration keeps the gap from closing: leave the whole close_gap instead,
        # where the cue can still be read.
        end = nxt - lim.close_gap
    return end


def _stretch(cues: list[Cue], lim: Limits, end_limit: float) -> None:
    n = len(cues)
    speech = [cue.start for cue in cues]  # where each cue's speech starts, before any move
    prev_end = -math.inf
    for i, cue in enumerate(cues):
        cue.start = max(0.0, min(cue.start, end_limit))
        need = needed(cue.lines, lim)
        end = _fit_end(cues, i, need, lim, end_limit)
        if lim.sync > 0:
            # Below the minimum duration (not reading speed: fast speech is not moved off its
            # words) because the next cue follows closely?
            shortest = max(lim.min_dur, lim.per_word * sum(len(line.split()) for line in cue.lines)) if lim.per_word else lim.min_dur
            short = min(shortest, need) - (end - cue.start)
            if short > 1e-6 and shortest <= lim.max_dur:
                end = _leave_speech(cues, i, short, need, speech, prev_end, lim, end_limit)
        if i + 1 < n and end - cue.start < 0.04:
            # The next cue starts (almost) with this one: the words leave no room for the profile;
            # give this one a glimpse and push the next by as little as possible.
            end = cue.start + 0.04
            cues[i + 1].start = max(cues[i + 1].start, end)
            cues[i + 1].end = max(cues[i + 1].end, cues[i + 1].start)
        cue.end = min(end, end_limit)
        prev_end = cue.end


def _leave_speech(cues: list[Cue], i: int, short: float, need: float, speech: list[float], prev_end: float,
                  lim: Limits, end_limit: float) -> float:
    """Cue ``i``'s new end, when it is ``short`` seconds below the minimum duration, once its edges
    leave the speech by up to the profile's sync time (Netflix: within 3 frames of the audio):
    first the next cue starts later, then this one earlier into the silence before it."""
    cue = cues[i]
    if i + 1 < len(cues):
        nxt = cues[i + 1]
        push = min(short, speech[i + 1] + lim.sync - nxt.start, nxt.end - 0.001 - nxt.start)
        if push > 1e-6:
            nxt.start += push
            short -= push
    pull = min(short, cue.start - max(0.0, speech[i] - lim.sync, prev_end + lim.gap))
    if pull > 1e-6:
        cue.start -= pull
    return _fit_end(cues, i, need, lim, end_limit)


def _squeeze(cues: list[Cue], lim: Limits, end_limit: float) -> None:
    """Anything pushed past the end of the media is squeezed back, from the last cue down."""
    n = len(cues)
    for i in range(n - 1, -1, -1):
        cue = cues[i]
        upper = end_limit if i == n - 1 else cues[i + 1].start - lim.gap
        if cue.end > upper:
            cue.end = upper
        if cue.start >= cue.end:
            cue.start = max(0.0, cue.end - 0.001)


def _to_milliseconds(cues: list[Cue], end_limit: float) -> None:
    """Milliseconds, as the files hold them, without crossing the end of the media or the next cue."""
    cap = math.floor(end_limit * 1000 + 1e-6) / 1000 if end_limit != float("inf") else end_limit
    for cue in cues:
        cue.start = round(cue.start, 3)
        cue.end = min(round(cue.end, 3), cap)
    for i in range(len(cues) - 1, -1, -1):
        cue = cues[i]
        upper = cap if i == len(cues) - 1 else cues[i + 1].start
        cue.end = min(cue.end, upper)
        if cue.end <= cue.start:
            cue.end = max(cue.end, 0.001)
            cue.start = max(0.0, round(cue.end - 0.001, 3))
