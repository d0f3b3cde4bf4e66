"""Subtitle files handed to ffmpeg: validated first, and made UTF-8 when they are not.

ffmpeg's subtitle demuxers guess little: a Windows-1252 SRT comes out as mojibake and a broken
file fails halfway through a long mux. So every subtitle input is read here before ffmpeg runs;
an unreadable one is refused (exit 3) and a legacy-encoded one is copied to a UTF-8 temp file,
byte for byte otherwise, so nothing else about it changes.

Reading goes through ``subtool.subtitles.read_subtitles`` (the robust third-party reader): a file
it had to fix (cues out of order or overlapping, WebVTT blocks pysubs2 would take for text) is
handed to ffmpeg as the fixed version; an ASS file is never rewritten, only re-encoded.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_BLOCK = re.compile(r"\{([^}]*)\}")
# Override tags mov_text and WebVTT keep (italic, bold, underline, strike-out); any other tag
# (position, alignment, colour, font, size...) is lost in those containers.
_KEPT_TAG = re.compile(r"^(?:[ibus][01]?)?$")


def _is_styled(text: str) -> bool:
    return any(not _KEPT_TAG.match(tag.strip()) for block in _BLOCK.findall(text) for tag in block.split("\\"))


@dataclass
class SubtitleInput:
    """A subtitle file that ffmpeg can read: ``path`` is the original or a UTF-8 copy."""

    source: Path
    path: Path
    format: str  # "srt" | "ass" | "ssa" | "vtt" (others are converted to srt)
    encoding: str
    cues: int
    styled: bool  # carries positioning/colour that mov_text and WebVTT drop
    ssa: Any  # the parsed pysubs2.SSAFile
    trimmed: int = 0  # overlapping cues trimmed for a target that cannot show them together
    warnings: list[str] = field(default_factory=list)  # what the delivery must say (a guessed code page, blocks left out)


@contextlib.contextmanager
def prepared(paths: list[Path], *, no_overlaps: bool = False, encoding: str | None = None) -> Iterator[list[SubtitleInput]]:
    """Validate every file, yield ffmpeg-ready inputs; temporary UTF-8 copies are removed after.
    ``no_overlaps``: the target (mov_text) cannot show cues together, so a WebVTT file's
    overlapping cues are trimmed in the copy handed to ffmpeg (``trimmed`` counts them).
    ``encoding``: the code page of the files that are not UTF-8 (guessed otherwise).

    The temporary folder is made only when a copy is needed: removing it, even empty, after
    ffmpeg has written a large output waits for the file system journal to flush that output
    (2 s after a 2 GB mux, measured), which the common all-UTF-8 case should not pay."""
    folder: Path | None = None

    def scratch() -> Path:
        nonlocal folder
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="subtool-subs-"))
        return folder

    try:
        yield [_prepare(Path(path), scratch, i, no_overlaps, encoding) for i, path in enumerate(paths)]
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _prepare(path: Path, scratch: Callable[[], Path], index: int, no_overlaps: bool = False, encoding: str | None = None) -> SubtitleInput:
    from ..subtitles import read_subtitles, trim_overlaps

    doc = read_subtitles(path, encoding=encoding)
    fmt, encoding, ssa = (doc.format or "").lower(), doc.encoding, doc.ssa
    trimmed = 0
    if no_overlaps and fmt == "vtt" and doc.overlaps:  # WebVTT's overlaps are kept when read
        ssa.events, cut, _merged = trim_overlaps(list(ssa.events))
        trimmed = len(cut)
        doc.notes.append("overlapping cues trimmed for the target")
    events = [e for e in ssa if not e.is_comment]
    styled = fmt in {"ass", "ssa"} or any(_is_styled(e.text) for e in events)
    utf8 = encoding.replace("_", "-").lower() in {"utf-8", "utf8", "ascii", "utf-8-sig"}
    target = path
    if fmt in {"ass", "ssa"}:
        if not utf8:
            # Byte-faithful: only the encoding changes (pysubs2 would drop sections it does not know).
            target = scratch() / f"{index}.{fmt}"
            target.write_text(path.read_bytes().decode(encoding, errors="replace").lstrip("\ufeff"), encoding="utf-8")
    elif fmt in {"srt", "vtt"}:
        if doc.notes:  # legacy encoding, BOM, CRLF, disorder, overlaps: give ffmpeg the fixed cues
            target = scratch() / f"{index}.{fmt}"
            ssa.save(str(target), format_=fmt, encoding="utf-8")
    else:
        # A format ffmpeg may not read (microdvd, sami, ttml...): give it SRT.
        target = scratch() / f"{index}.srt"
        ssa.save(str(target), format_="srt", encoding="utf-8")
        fmt = "srt"
    return SubtitleInput(source=path, path=target, format=fmt, encoding=encoding, cues=len(events), styled=styled, ssa=ssa, trimmed=trimmed,
                         warnings=list(doc.warnings))
