"""The languages of a page: each subtitle file read as ``subtool check`` reads it, checked against
the profile, and made WebVTT for the page's ``<track>``.

Every file goes the same road, whoever wrote it: ``subtitles.read_subtitles`` (code pages, CRLF,
bad blocks, overlaps: the robust reader), then ``subtitles.check_cues``. The page's marks, its
problems table and the WebVTT its video shows all come from that one reading, so the page shows
the cues the check judged. The WebVTT is written by pysubs2 from the cues with ``&``, ``<`` and
``>`` escaped first: a cue reading ``<script>`` or ``--> 00:00`` is shown as the text it is, not
taken for a tag or a timing line, and italics (ASS ``{\\i1}``, SRT ``<i>``) are kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pysubs2

from .. import languages
from ..errors import UsageError
from ..models import PreviewTrack, Profile, SubtitleTrack
from ..subtitles import SubtitleDoc, Violation, check_cues, read_subtitles

# The worst problem first: what a cue's mark is coloured by.
SEVERITY = ("bad_timing", "overlap", "too_fast", "too_many_lines", "line_too_long", "too_short", "too_long", "gap_too_small")
NAMES = {
    "bad_timing": "bad timing", "overlap": "overlap", "too_fast": "too fast", "too_many_lines": "too many lines",
    "line_too_long": "line too long", "too_short": "too short", "too_long": "too long", "gap_too_small": "gap too small",
    "bad_block": "unreadable block",
}


@dataclass
class PageCue:
    index: int  # 1-based, as the check and players count
    start: float
    end: float
    text: str
    problems: list[Violation] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return sorted({v.code for v in self.problems}, key=_rank)

    @property
    def worst(self) -> str | None:
        codes = self.codes
        return codes[0] if codes else None


@dataclass
class PageTrack:
    """One language as the page shows it: its summary (``PreviewTrack``), its cues with their
    problems, the blocks that could not be read, and its WebVTT."""

    summary: PreviewTrack
    cues: list[PageCue]
    bad_blocks: list[Violation]
    vtt: str
    warnings: list[str] = field(default_factory=list)

    @property
    def end(self) -> float:
        return max((c.end for c in self.cues), default=0.0)


def _rank(code: str) -> int:
    return SEVERITY.index(code) if code in SEVERITY else len(SEVERITY)


def label(language: str | None, path: str | Path) -> str:
    """What the track menu shows: the language's own name (``Français``), else the file's name."""
    return languages.native_name(language) if language else Path(path).name


def read_track(source: SubtitleTrack, profile: Profile, *, encoding: str | None = None) -> PageTrack:
    """``source`` read and checked; raises ``SubtitleReadError`` for a file that is not subtitles."""
    doc = read_subtitles(source.path, encoding=encoding, language=source.language)
    language = source.language
    violations = check_cues(doc, profile, language=language)
    cues = [PageCue(i, e.start / 1000, e.end / 1000, e.plaintext) for i, e in enumerate(doc.ssa.events, 1)]
    for v in violations:
        if v.code != "bad_block" and 1 <= v.index <= len(cues):
            cues[v.index - 1].problems.append(v)
    bad = [v for v in violations if v.code == "bad_block"]
    counts = Counter(v.code for v in violations)
    summary = PreviewTrack(path=str(source.path), language=language, label=label(language, source.path), format=doc.format,
                           cues=len(cues), problems=dict(sorted(counts.items(), key=lambda kv: _rank(kv[0]))), notes=list(doc.notes))
    warnings = [f"{source.path}: {w}" for w in doc.warnings]
    if not cues:
        warnings.append(f"{source.path}: has no cues")
    return PageTrack(summary, cues, bad, to_vtt(doc), warnings)


def to_vtt(doc: SubtitleDoc) -> str:
    """The cues of ``doc`` as WebVTT, one per cue in the same order (the page's marks and the
    video's cues are the same ones), text escaped (see the module docstring)."""
    out = pysubs2.SSAFile()
    out.styles = doc.ssa.styles
    for e in doc.ssa.events:
        text = e.text if not e.is_drawing else e.plaintext.replace("\n", "\\N")
        # pysubs2 collapses repeated line breaks: no empty line ends a cue early.
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.events.append(pysubs2.SSAEvent(start=e.start, end=e.end, text=text, style=e.style))
    return out.to_string("vtt")


def read_tracks(sources: Sequence[SubtitleTrack], profile: Profile, *, spoken: str | None, encoding: str | None = None) -> list[PageTrack]:
    """Every file read and checked, the spoken language first, then in the order given. Two
    files in one language are refused: the page has one track per language."""
    seen: dict[str, str] = {}
    for s in sources:
        if s.language is None:
            continue
        if s.language in seen:
            raise UsageError(f"two subtitle files in {s.language}: {seen[s.language]} and {s.path}",
                             hint="Give one file per language (append :LANG to a file whose name does not say its language)")
        seen[s.language] = str(s.path)
    ordered = sorted(sources, key=lambda s: 0 if spoken is not None and s.language == spoken else 1)
    return [read_track(s, profile, encoding=encoding) for s in ordered]
