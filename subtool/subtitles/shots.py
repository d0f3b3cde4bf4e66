"""Cue edges timed to shot changes (Netflix Timed Text Style Guide, timing guidelines).

Subtitles should sit within shots. Written for 24 fps, where half a second is 12 frames; other
rates scale the half second (15 frames at 30 fps) but never go below 12 frames, so a cue edge is
never left 1 to 11 frames from a cut at any rate:

- an in-time within that window of a cut moves to the cut (the frame the new shot starts on);
- an out-time within it ends 2 frames before the cut (the minimum gap, in the video's frames,
  never less than the profile's own gap), unless the cue could then not be read: then it hangs
  past the cut by the whole window, when the next cue leaves room for that;
- an edge is never moved so that a cue overlaps its neighbours or becomes empty.

The cuts come from ffmpeg's scene detection (``media.shots``), kept in transcript.json.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from .limits import Limits, needed
from .model import Cue


@dataclass(frozen=True)
class Shots:
    """The video's cuts (seconds, the first frame of each new shot, sorted) and frame rate."""

    cuts: tuple[float, ...]
    fps: float

    @classmethod
    def of(cls, cuts: Sequence[float] | None, fps: float | None) -> Shots | None:
        """Shots from a transcript's fields; None when there are no cuts or no frame rate."""
        if not cuts or not fps or fps <= 0:
            return None
        return cls(tuple(sorted(float(c) for c in cuts)), float(fps))

    @property
    def window(self) -> float:
        """How near a cut an edge is moved to it: half a second, at least 12 frames."""
        return max(12, round(0.5 * self.fps)) / self.fps

    def gap(self, lim: Limits) -> float:
        """The gap an out-time leaves before a cut: the profile's minimum gap (2 frames at its
        rate: 80 ms, 1.92 frames of a 24 fps video), at least one frame of the video. The profile's
        own figure, so that ``check`` sees the gap closed rather than left at 83 ms."""
        return max(lim.gap, 1 / self.fps)

    def nearest(self, t: float) -> float | None:
        """The cut nearest ``t`` when it is within the window (and not exactly at ``t``)."""
        cuts = self.cuts
        i = bisect.bisect_left(cuts, t)
        best: float | None = None
        for j in (i - 1, i):
            if 0 <= j < len(cuts) and (best is None or abs(cuts[j] - t) < abs(best - t)):
                best = cuts[j]
        if best is None or abs(best - t) < 1e-6 or abs(best - t) >= self.window - 1e-6:
            return None
        return best

    def clear(self, t: float, *, out: bool, lim: Limits) -> bool:
        """Does an edge at ``t`` keep the rule: on a cut (an in-time), 2 frames before one (an
        out-time), or a window away from every cut?"""
        near = self.nearest(t)
        return near is None or (out and abs(near - self.gap(lim) - t) < 1e-6)


def snap(cues: list[Cue], lim: Limits, shots: Shots, end_limit: float) -> None:
    """Move the cue edges near a cut as the module docstring says (in place)."""
    g = shots.gap(lim)
    for i, cue in enumerate(cues):
        cut = shots.nearest(cue.start)
        if cut is None:
            continue
        prev = cues[i - 1] if i else None
        if cut >= cue.end - 0.04 or (prev is not None and cut - g <= prev.start + 0.04):
            continue
        if prev is not None and prev.end > cut - g:
            prev.end = cut - g
        cue.start = cut
        need = needed(cue.lines, lim)
        if cue.end - cue.start < need:
            room = cues[i + 1].start - lim.gap if i + 1 < len(cues) else end_limit
            cue.end = max(cue.end, min(cue.start + need, room, cue.start + lim.max_dur, end_limit))
    for i, cue in enumerate(cues):
        cut = shots.nearest(cue.end)
        if cut is None or abs(cut - g - cue.end) < 1e-6:
            continue
        end = _out_time(cue, cues[i + 1].start if i + 1 < len(cues) else None, cut, lim, shots, end_limit)
        if end is not None:
            cue.end = end


def _out_time(cue: Cue, nxt: float | None, cut: float, lim: Limits, shots: Shots, end_limit: float) -> float | None:
    """Where an out-time near ``cut`` goes: 2 frames before it when the cue can still be read
    there; else past it, a window after it or chained to the next cue (its gap closed), wherever
    no other cut is near; else before it anyway. None: nowhere fits."""
    g = shots.gap(lim)
    limit = nxt - lim.gap if nxt is not None else end_limit
    before = cut - g
    options = [before, cut + shots.window] + ([nxt - g] if nxt is not None else [])
    fitting = [e for e in options if _fits(cue, e, nxt, limit, lim, shots)]
    need = needed(cue.lines, lim)
    for e in fitting:
        if e - cue.start >= need - 1e-9 or e >= cue.end:
            return e
    return before if before in fitting else None


def _fits(cue: Cue, end: float, nxt: float | None, limit: float, lim: Limits, shots: Shots) -> bool:
    """May ``cue`` end at ``end``: inside its room, clear of every cut, no gap left half closed?"""
    if not cue.start + 0.04 < end <= limit + 1e-9 or end - cue.start > max(lim.max_dur, cue.end - cue.start):
        return False
    if nxt is not None and lim.close_gap and lim.gap + 1e-3 < nxt - end < lim.close_gap:
        return False
    return shots.clear(end, out=True, lim=lim)
