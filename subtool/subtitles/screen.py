"""Cue blocks screened before pysubs2 parses them: SubRip and WebVTT timing lines, WebVTT's own
blocks, and lines that are only a number.

A cue block whose timing line is malformed or missing is set aside (a ``BadBlock``) instead of
being glued, timing line and all, into the cue before, as pysubs2 would. A WebVTT file's header,
NOTE, STYLE and REGION blocks, cue identifiers, inline timestamps and cue settings are removed for
pysubs2 (which would read them as text), and the file is kept for ffmpeg with only what its
reader cannot take removed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .model import BadBlock

_SRT_TIME = r"\d{1,2}:\d{1,2}:\d{1,2}[.,]\d{1,3}"  # what pysubs2 and ffmpeg's SubRip reader take
_VTT_TIME = r"(?:\d+:)?\d{2}:\d{2}\.\d{3}"  # the WebVTT spec's; ffmpeg misreads fewer millisecond digits
_TIMING = {
    "srt": re.compile(rf"\s*{_SRT_TIME}\s*-->\s*{_SRT_TIME}(?:\s.*)?"),
    "vtt": re.compile(rf"\s*{_VTT_TIME}\s*-->\s*{_VTT_TIME}(?:\s.*)?"),
}
# A line meant as a timing line: an arrow, or a time at its start ("00:00:05,000 -> ...").
_TIMING_LIKE = re.compile(r"\s*(?:.*-->|\d+(?::\d+)+(?:[.,]\d+)?\s*(?:\S*>|\d)|\d+(?:[.,]\d+)?\s*-+>)")
_VTT_BLOCKS = re.compile(r"(NOTE|STYLE|REGION)(?:[ \t].*)?")
_NUMBER_LINE = re.compile(r"[ \t]*\d+[ \t]*")


def _timing_problem(line: str, fmt: str) -> str:
    """What is wrong with a line meant as a timing line."""
    shown = line.strip()
    if "-->" not in line:
        arrow = re.search(r"\s(-+>|—>|–>|=>)\s", line)
        if arrow:
            return f"'{shown}' is not a timing line: the arrow is '{arrow.group(1)}', not '-->'"
        return f"'{shown}' is not a timing line: no '-->' between the times"
    times = [t for t in (part.strip().split(" ")[0] for part in line.split("-->", 1)) if t]
    form = "HH:MM:SS,mmm" if fmt == "srt" else "HH:MM:SS.mmm"
    if len(times) < 2:
        return f"'{shown}' is not a timing line: it has no {'end' if times and line.strip().startswith(times[0]) else 'start'} time"
    if fmt == "vtt" and any("," in t for t in times):
        return f"'{shown}' is not a timing line: WebVTT times take '.' before the milliseconds, not ','"
    return f"'{shown}' is not a timing line: the times must read {form}"


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines with the 1-based line number of their first line."""
    out: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not current:
                start = n
            current.append(line)
        elif current:
            out.append((start, current))
            current = []
    if current:
        out.append((start, current))
    return out


def screen_srt(text: str) -> tuple[str, list[BadBlock]]:
    """SubRip text without the cue blocks whose timing line is malformed or missing (pysubs2 would
    glue them, timing line included, into the cue before), and those blocks."""
    bad: list[BadBlock] = []
    keep: list[str] = []
    in_bad = False
    for start, lines in _blocks(text):
        numbered = len(lines) > 1 and _NUMBER_LINE.fullmatch(lines[0]) is not None
        head = lines[1] if numbered else lines[0]
        if _TIMING["srt"].fullmatch(head) or any(_TIMING["srt"].fullmatch(line) for line in lines[:3]):
            in_bad = False
        elif _TIMING_LIKE.match(head):
            bad.append(BadBlock(start + numbered, head, _timing_problem(head, "srt")))
            in_bad = True
            continue
        elif numbered and not any("-->" in line for line in lines):
            bad.append(BadBlock(start + 1, head, f"cue {lines[0].strip()} has no timing line"))
            in_bad = True
            continue
        elif in_bad:  # more text of the cue left out
            continue
        keep.append("\n".join(lines))
    return ("\n\n".join(keep) + "\n" if bad else text), bad


@dataclass
class ScreenedVtt:
    clean: str  # what pysubs2 reads: the cues only, inline timestamps removed
    source: str  # the file with only what must be fixed for ffmpeg (see screen_vtt)
    bad: list[BadBlock]
    lacks: list[str]  # what the file had that ``source`` does not carry


def screen_vtt(text: str, notes: list[str]) -> ScreenedVtt:
    """Screen a WebVTT file's blocks: the cues for pysubs2 (header, NOTE, STYLE and REGION
    blocks, cue identifiers, inline timestamps and cue settings are things it would otherwise read
    as text), and ``source``, the file as it is but for what ffmpeg 5.1's WebVTT reader cannot
    take: it stops reading at a STYLE or REGION block, at a malformed or untimed block and at an
    empty cue, dropping every cue after it. Blocks whose timing is malformed or missing (players
    drop them) are returned, not read."""
    clean = ["WEBVTT", ""]
    source: list[str] = []
    bad: list[BadBlock] = []
    skipped = settings = empty = 0
    dropped: dict[str, int] = {}
    blocks = _blocks(text)
    _take_header(blocks, source)
    for start, lines in blocks:
        kind = _VTT_BLOCKS.fullmatch(lines[0])
        if kind and not any("-->" in line for line in lines):
            skipped += 1
            if kind.group(1) == "NOTE":
                source.append("\n".join(lines))
            else:
                dropped[kind.group(1)] = dropped.get(kind.group(1), 0) + 1
            continue
        at, problem = _vtt_timing(start, lines)
        if problem is not None:
            bad.append(problem)
            continue
        head = lines[at]
        body = [re.sub(r"<\d[\d:.]*>", "", line) for line in lines[at + 1:]]
        if not html.unescape(re.sub(r"<[^>]*>", "", "".join(body))).strip():
            empty += 1
            continue
        if re.search(r"-->\s*\S+\s+\S", head):
            settings += 1
        clean += [head, *body, ""]
        source.append("\n".join(lines))
    if skipped:
        notes.append(f"{skipped} WebVTT NOTE/STYLE/REGION block(s) skipped")
    if settings:
        notes.append(f"cue settings (position, alignment) of {settings} cue(s) ignored")
    if empty:
        notes.append(f"{empty} empty cue(s) dropped")
    lacks = [f"{count} {name} block(s)" for name, count in sorted(dropped.items())]
    return ScreenedVtt("\n".join(clean), "\n\n".join(source) + "\n", bad, lacks)


def _take_header(blocks: list[tuple[int, list[str]]], source: list[str]) -> None:
    """Move the WEBVTT header block from ``blocks`` to ``source``, leaving in ``blocks`` a cue
    written right under it (with no blank line between, it is a cue all the same)."""
    if not blocks or not blocks[0][1][0].lstrip().startswith("WEBVTT"):
        return
    start, header = blocks.pop(0)
    at = next((i for i, line in enumerate(header) if "-->" in line), len(header))
    at -= at > 1 and not _TIMING_LIKE.match(header[at - 1]) and ":" not in header[at - 1]  # its identifier
    source.append("\n".join(header[:at]))
    if at < len(header):
        blocks.insert(0, (start + at, header[at:]))


def _vtt_timing(start: int, lines: list[str]) -> tuple[int, BadBlock | None]:
    """Where a WebVTT cue block's timing line is (after its identifier, if any), and what is
    wrong with it (None when it is a timing line)."""
    at = 0 if "-->" in lines[0] or _TIMING_LIKE.match(lines[0]) or len(lines) == 1 else 1
    head = lines[at]
    if _TIMING["vtt"].fullmatch(head):
        return at, None
    if "-->" in head or _TIMING_LIKE.match(head):
        return at, BadBlock(start + at, head, _timing_problem(head, "vtt"))
    return at, BadBlock(start, lines[0], f"'{lines[0].strip()[:40]}' begins a block without a timing line")


def clean_vtt(text: str, notes: list[str]) -> str:
    return screen_vtt(text, notes).clean


_MARKS = "\ue000\ue001\ue002\ue003"  # private-use characters: never meaningful in subtitles


def keep_number_lines(text: str) -> tuple[str, str]:
    """Mark cue lines that are only a number so pysubs2 keeps them; returns the text and the mark
    to remove from the parsed cues ("" when nothing was marked).

    pysubs2 (1.8.1, the latest; no option for it) strips a trailing line of digits from every cue,
    taking it for the next cue's index: "The answer is / 42" lost its "42" at the end of a file
    and in every WebVTT file (whose cues have no index). A line of digits is an index only when
    a timing line follows it; anywhere else inside a cue it is text."""
    if "[Script Info]" in text or "[V4" in text:
        return text, ""
    mark = next((m for m in _MARKS if m not in text), "")
    if not mark:
        return text, ""
    lines = text.split("\n")
    in_cue = changed = False
    for i, line in enumerate(lines):
        if "-->" in line:  # a timing line (SRT, or WebVTT with or without hours)
            in_cue = True
        elif not line.strip():
            in_cue = False
        elif in_cue and _NUMBER_LINE.fullmatch(line):
            if i + 1 == len(lines) or "-->" not in lines[i + 1]:
                lines[i] = line.rstrip() + mark
                changed = True
    return ("\n".join(lines), mark) if changed else (text, "")
