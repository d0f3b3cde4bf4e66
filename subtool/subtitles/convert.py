"""Subtitle files from one format to another (SRT, WebVTT, ASS) and retimed, through pysubs2.

The file is read as any tool's (``read``: code pages, damaged blocks, each fix noted), retimed
(``--fps FROM:TO`` first: every time multiplied by FROM/TO, 100 s -> 95.904 s for film at 23.976
fps played at PAL's 25; then ``--shift``), and saved atomically. What the target format cannot
carry is said, never dropped without a word: ASS styles, positions and colours in SRT or WebVTT
(italic, bold and underline survive), WebVTT cue settings (pysubs2 reads the cues without them),
milliseconds in ASS (its times are hundredths of a second: an SRT -> ASS -> SRT round trip keeps
times to the millisecond only when they fall on whole hundredths).
A shift that moves cues before zero clamps them to zero (a cue that would end before zero is
left out) and says how many.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pysubs2

from ..errors import UsageError
from ..outputs import atomic_path
from .read import read_subtitles
from .write import _ass_canvas

FORMATS = ("srt", "vtt", "ass")
_BLOCK = re.compile(r"\{([^}]*)\}")
_KEPT_TAG = re.compile(r"^(i|b|u|s)[01]?$|^$")
_VTT_SETTINGS = re.compile(r"^[^\n]*-->[ \t]*\S+[ \t]+\S.*$", re.MULTILINE)


@dataclass
class Converted:
    """What ``convert_file`` did: the cues written, and what the caller must say."""

    cues: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_fps(text: str) -> tuple[float, float]:
    """``23.976:25`` -> (23.976, 25.0); anything else is a ``UsageError``."""
    parts = text.split(":")
    try:
        fps = tuple(float(p) for p in parts)
    except ValueError:
        fps = ()
    if len(fps) != 2 or not all(0 < f < 1000 for f in fps):
        raise UsageError(f"--fps takes FROM:TO frame rates, not '{text}'", hint="E.g. --fps 23.976:25 for the PAL speed-up")
    return fps[0], fps[1]


def _styling_lost(ssa: pysubs2.SSAFile) -> bool:
    """Whether an ASS file has what SRT and WebVTT cannot carry: override tags other than italic,
    bold, underline and strike-out, or events in a style of their own."""
    tags = any(not _KEPT_TAG.match(tag.strip()) for e in ssa.events for block in _BLOCK.findall(e.text) for tag in block.split("\\"))
    return tags or len({e.style for e in ssa.events}) > 1


def _retime(ssa: pysubs2.SSAFile, shift: float, fps: tuple[float, float] | None, warnings: list[str], name: str) -> None:
    if fps is not None:
        ssa.transform_framerate(fps[0], fps[1])
    if not shift:
        return
    ssa.shift(ms=round(shift * 1000))
    early = [e for e in ssa.events if e.start < 0]
    if not early:
        return
    gone = [e for e in early if e.end <= 0]
    for e in early:
        e.start = 0
    ssa.events = [e for e in ssa.events if e not in gone]
    dropped = f"; {len(gone)} would have ended before it and were left out" if gone else ""
    warnings.append(f"{name}: --shift {shift:+g} moved {len(early)} cue(s) before 0:00: they start at 0{dropped}")


def convert_file(source: Path, target: Path, fmt: str, *, shift: float = 0.0, fps: tuple[float, float] | None = None,
                 force: bool = False, encoding: str | None = None) -> Converted:
    """``source`` written as ``target`` in ``fmt`` (see the module docstring)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown subtitle format '{fmt}'", hint="Use srt, vtt or ass")
    doc = read_subtitles(source, encoding=encoding)
    ssa, warnings = doc.ssa, list(doc.warnings)
    name = str(source)
    if doc.format in ("ass", "ssa") and fmt != "ass" and _styling_lost(ssa):
        warnings.append(f"{name}: {fmt.upper()} cannot carry ASS styles, positions and colours: they are dropped "
                        "(italic, bold and underline are kept)")
    if doc.format == "vtt" and fmt != "vtt" and _VTT_SETTINGS.search(doc.source or Path(source).read_text(encoding=doc.encoding, errors="replace")):
        warnings.append(f"{name}: the WebVTT cue settings (position, line, alignment) are dropped")
    _retime(ssa, shift, fps, warnings, name)
    rounded = sum(1 for e in ssa.events for t in (e.start, e.end) if t % 10) if fmt == "ass" else 0
    if rounded:  # ASS writes h:mm:ss.cc
        warnings.append(f"{name}: ASS keeps times to the hundredth of a second: {rounded} cue time(s) rounded by up to 5 ms")
    if fmt == "ass" and doc.format not in ("ass", "ssa"):
        _ass_canvas(ssa)  # the canvas and style subtool's own ASS files have
    with atomic_path(target, force=force) as tmp:
        ssa.save(str(tmp), format_=fmt, encoding="utf-8")
    return Converted(len(ssa.events), warnings, list(doc.notes))
