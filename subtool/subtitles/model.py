"""The package's own data: a cue as built or read, a file as read, and what a check finds."""

from __future__ import annotations

from dataclasses import dataclass, field

import pysubs2


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]
    speaker: int | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Violation:
    index: int  # 1-based cue number, as players and editors count
    start: float
    end: float
    code: str  # line_too_long | too_many_lines | too_fast | too_short | too_long | overlap | gap_too_small | bad_timing | bad_block
    message: str
    line: int | None = None  # the file's line, for a bad_block (which is no cue: index 0, no times)


@dataclass
class BuiltTrack:
    """One language's cues as built, and every way they still break the profile (``check``'s
    code, cue numbers 1-based). ``template``: the language whose cue times the track follows."""

    language: str
    cues: list[Cue]
    violations: list[Violation] = field(default_factory=list)
    template: str | None = None


@dataclass
class BadBlock:
    """A cue block whose timing line is malformed or missing: reported, never shown as text."""

    line: int  # 1-based line of the file where the block's timing line is (or should be)
    text: str  # that line as written
    problem: str

    def describe(self) -> str:
        return f"line {self.line}: {self.problem}"


@dataclass
class SubtitleDoc:
    """A subtitle file as read: pysubs2 events sorted by start, and what was fixed on the way."""

    path: str
    format: str
    encoding: str
    ssa: pysubs2.SSAFile
    notes: list[str] = field(default_factory=list)
    overlaps: list[int] = field(default_factory=list)  # 0-based cues that overlapped the next one in the file
    # What a delivery made from the file must say, also in ``notes``: a code page another fits as well.
    warnings: list[str] = field(default_factory=list)
    bad_blocks: list[BadBlock] = field(default_factory=list)  # cue blocks left out: malformed or missing timing
    # The file as text with only what must be fixed for ffmpeg (WebVTT: see screen.screen_vtt;
    # ASS/SSA: events in the standard field order, None when they were; None for other formats),
    # and what the file had that it does not carry.
    source: str | None = None
    source_lacks: list[str] = field(default_factory=list)
