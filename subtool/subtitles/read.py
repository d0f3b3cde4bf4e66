"""Reading subtitle files from any tool: SRT, WebVTT, ASS/SSA (and pysubs2's other formats).

The bytes become text (``decode``: byte order marks, UTF-8, ``--encoding`` or a legacy code page
chosen by its letters). Before pysubs2 parses the text, its cue blocks are screened (``screen``):
one whose timing line is malformed or missing is set aside (``bad_blocks``) instead of being
glued, timing line and all, into the cue before; ASS/SSA Style and Dialogue lines are put in the
field order pysubs2 assumes (``substation``: it ignores Format lines); its warnings become notes.
``source`` keeps a WebVTT or reordered ASS file's own text for ffmpeg, which keeps what pysubs2
would drop. Cues come back sorted by start, empty ones dropped, overlaps trimmed where the format
does not allow them, and every fix said in ``notes``.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pysubs2

from .. import languages
from ..errors import SubtitleReadError
from .decode import check_encoding, decode
from .model import BadBlock, SubtitleDoc
from .screen import clean_vtt, keep_number_lines, screen_srt, screen_vtt
from .substation import is_substation, read_substation, substation_cues

# Formats whose cues may overlap (shown together): WebVTT (its spec allows it) and ASS/SSA
# (where it is layout). SRT has no such rule and players disagree, so overlaps are trimmed.
OVERLAP_FORMATS = frozenset({"vtt", "ass", "ssa"})


def read_subtitles(path: str | Path, *, encoding: str | None = None, language: str | None = None) -> SubtitleDoc:
    """Read an SRT, WebVTT, ASS (or another pysubs2 format) file from any tool.

    Cues come sorted by start; overlaps are trimmed except in WebVTT and ASS/SSA, which allow
    them, and every fix is listed in ``notes``. ``encoding`` reads a file that is not UTF-8 in
    that code page instead of guessing it (UsageError when Python has no such codec).
    ``language`` (``FILE:LANG``, else the language the file's name carries) puts that language's
    code pages first when the file is not UTF-8. Anything that is not subtitles raises
    SubtitleReadError.
    """
    if encoding is not None:
        check_encoding(encoding)
    name = str(path)
    return _read(_read_bytes(path, name), name, encoding, language or languages.from_sidecar(name)[0])


def read_text(text: str, name: str) -> SubtitleDoc:
    """``text`` read as ``read_subtitles`` reads a file called ``name`` (the service's own subtitle
    files, checked against the profile before they are written)."""
    if not text.strip():
        raise SubtitleReadError("is empty", path=name)
    return _read(text.encode("utf-8"), name, "utf-8")


def _read(data: bytes, name: str, encoding: str | None, language: str | None = None) -> SubtitleDoc:
    text, encoding, notes, warnings = decode(data, name, encoding, language)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        notes.append("CRLF line ends read")
    text = text.lstrip("\ufeff")
    text, fmt, bad, source, lacks = _screen(text, notes, name)
    ssa, fmt, mark = _parse(text, fmt, notes, name)
    events = _cue_events(ssa.events, fmt, mark, notes, name, bad)
    events, overlaps = _in_time_order(events, fmt, notes)
    ssa.events = events
    return SubtitleDoc(path=name, format=fmt, encoding=encoding, ssa=ssa, notes=notes, overlaps=overlaps, warnings=warnings,
                       bad_blocks=bad, source=source, source_lacks=lacks)


def _read_bytes(path: str | Path, name: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise SubtitleReadError("is a folder, not a subtitle file", path=name) from None
    except FileNotFoundError:
        raise SubtitleReadError("does not exist", path=name, hint="Check the path") from None
    except OSError as exc:
        raise SubtitleReadError(f"cannot be read ({exc.strerror})", path=name) from None
    if not data.strip():
        raise SubtitleReadError("is empty", path=name, hint="Pass an SRT, WebVTT or ASS file with cues")
    return data


def _screen(text: str, notes: list[str], name: str) -> tuple[str, str | None, list[BadBlock], str | None, list[str]]:
    """(text for pysubs2, "vtt" or None when pysubs2 is to tell, blocks left out, the file for
    ffmpeg or None, what that file lacks)."""
    fmt: str | None = "vtt" if text.lstrip().startswith("WEBVTT") else None
    bad: list[BadBlock] = []
    source: str | None = None
    lacks: list[str] = []
    if fmt == "vtt":
        vtt = screen_vtt(text, notes)
        text, source, bad, lacks = vtt.clean, vtt.source, vtt.bad, vtt.lacks
    elif is_substation(text):
        text, source = read_substation(text, notes, name)
    elif "-->" in text:
        text, bad = screen_srt(text)
    if bad:
        notes.append(f"{len(bad)} cue block(s) with a malformed or missing timing line left out ({bad[0].describe()})")
    return text, fmt, bad, source, lacks


def _parse(text: str, fmt: str | None, notes: list[str], name: str) -> tuple[pysubs2.SSAFile, str, str]:
    """pysubs2's reading of the screened text, the format it read, and the mark to remove from
    its cues (see ``screen.keep_number_lines``)."""
    text, mark = keep_number_lines(text)
    try:
        with _parser_notes(notes):
            ssa = pysubs2.SSAFile.from_string(text, format_=fmt)
        return ssa, str(ssa.format or fmt or ""), mark
    except (pysubs2.Pysubs2Error, ValueError, KeyError, TypeError, IndexError) as exc:
        raise SubtitleReadError(
            "is not a subtitle file (no SRT, WebVTT or ASS cues found)" if isinstance(exc, pysubs2.FormatAutodetectionError)
            else f"cannot be parsed as subtitles ({type(exc).__name__})",
            path=name, hint="Pass an SRT, WebVTT or ASS file") from None


@contextmanager
def _parser_notes(notes: list[str]) -> Iterator[None]:
    """pysubs2's warnings (``warnings`` and ``logging``) while it parses become notes, never
    lines on stderr."""
    import logging
    import warnings

    seen: dict[str, int] = {}

    def keep(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and "pysubs2" in record.pathname:
            message = record.getMessage()
            seen[message] = seen.get(message, 0) + 1
            return False
        return True

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        root.removeFilter(keep)
    for w in caught:
        message = str(w.message)
        seen[message] = seen.get(message, 0) + 1
    for message, n in seen.items():
        notes.append(f"pysubs2: {message}" + (f" ({n} times)" if n > 1 else ""))


def _cue_events(events: list[pysubs2.SSAEvent], fmt: str, mark: str, notes: list[str], name: str,
                bad: list[BadBlock]) -> list[pysubs2.SSAEvent]:
    """The parsed events that are cues with text (not comments, drawings or empty cues), as the
    file wrote them; SubtitleReadError when there is none."""
    events = substation_cues(events, notes) if fmt in {"ass", "ssa"} else [e for e in events if e.is_text]
    if mark:
        for e in events:
            e.text = e.text.replace(mark, "")
    if not events:
        if bad:
            raise SubtitleReadError(f"has no readable subtitle cues: {bad[0].describe()}", path=name,
                                    hint="Fix the timing lines (HH:MM:SS,mmm --> HH:MM:SS,mmm)")
        raise SubtitleReadError(f"has no subtitle cues (read as {fmt or 'unknown'})", path=name, hint="Pass an SRT, WebVTT or ASS file with cues")
    if fmt == "vtt":
        for e in events:
            e.text = html.unescape(e.text)
    empty = [e for e in events if not e.plaintext.strip()]
    if empty:
        events = [e for e in events if e.plaintext.strip()]
        notes.append(f"{len(empty)} empty cue(s) dropped")
        if not events:
            raise SubtitleReadError("has only empty cues", path=name)
    return events


def _in_time_order(events: list[pysubs2.SSAEvent], fmt: str, notes: list[str]) -> tuple[list[pysubs2.SSAEvent], list[int]]:
    """The cues sorted by start, overlaps trimmed unless ``fmt`` shows them together; and which
    cues overlapped the next one."""
    if any(events[i].start > events[i + 1].start for i in range(len(events) - 1)):
        events.sort(key=lambda e: (e.start, e.end))
        notes.append("cues were out of order: sorted by start time")
    overlaps = [i for i in range(len(events) - 1) if events[i].end > events[i + 1].start]
    if overlaps and fmt in OVERLAP_FORMATS:
        notes.append(f"{len(overlaps)} overlapping cue(s) kept ({fmt.upper()} shows them together)")
    elif overlaps:
        events, overlaps, merged = trim_overlaps(events)
        text_note = f"{len(overlaps)} overlapping cue(s) trimmed to end where the next one starts"
        if merged:
            text_note += f"; {merged} starting at the same time as another merged into it"
        notes.append(text_note)
    return events, overlaps


def trim_overlaps(events: list[pysubs2.SSAEvent]) -> tuple[list[pysubs2.SSAEvent], list[int], int]:
    """Trim each cue to end where the next starts; returns the cues, which were trimmed, how many
    were merged (a cue starting with the one before: two lines meant to show together)."""
    out: list[pysubs2.SSAEvent] = []
    trimmed: set[int] = set()
    merged = 0
    for e in events:
        if out and e.start <= out[-1].start:
            out[-1].text = out[-1].text + r"\N" + e.text
            out[-1].end = max(out[-1].end, e.end)
            trimmed.add(len(out) - 1)
            merged += 1
            continue
        if out and out[-1].end > e.start:
            out[-1].end = e.start
            trimmed.add(len(out) - 1)
        out.append(e)
    return out, sorted(trimmed), merged


def normalize_service_subtitles(text: str, fmt: str) -> str:
    """The service's SRT/VTT text as a clean file: comma milliseconds in SRT, numbering from 1,
    ``\\n`` line ends (a pysubs2 round trip)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    notes: list[str] = []
    if fmt == "vtt" and text.lstrip().startswith("WEBVTT"):
        text = clean_vtt(text.lstrip(), notes)
    text, mark = keep_number_lines(text)
    ssa = pysubs2.SSAFile.from_string(text, format_=fmt)
    if mark:
        for e in ssa.events:
            e.text = e.text.replace(mark, "")
    if fmt == "vtt":
        for e in ssa.events:
            e.text = html.unescape(e.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return str(ssa.to_string(fmt))
