"""Subtitle files handed to ffmpeg: validated first, and made UTF-8 when they are not.

ffmpeg's subtitle demuxers guess little: a Windows-1252 SRT comes out as mojibake and a broken
file fails halfway through a long mux. So every subtitle input is read here before ffmpeg runs;
an unreadable one is refused (exit 3), and what ffmpeg gets is the file itself, or a copy in
UTF-8 with only what must change, changed.

Reading goes through ``subtool.subtitles.read_subtitles`` (the robust third-party reader). A
WebVTT or ASS file is never re-serialised: pysubs2 would drop WebVTT cue settings, identifiers
and class spans (a real file's 1,345 cues became 1,145 in Matroska, cues that differed only by
position merging) and ASS sections it does not know. Their copy is the file's own text, in UTF-8,
without a BOM or CRLF, and (WebVTT) without what stops ffmpeg 5.1's reader: STYLE and REGION
blocks, malformed or untimed blocks and empty cues, each of which made it drop every later cue.
That ffmpeg reads as many cues as subtool did is checked (ffprobe, ~0.1 s for 1,500 cues); if
not, the cues are handed over re-written, and the user is told. An SRT file that had to be fixed
(cues out of order or overlapping, a legacy code page, malformed blocks) is re-written by pysubs2,
as is a WebVTT file for mov_text, which must not show cues together and keeps no settings anyway.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_BLOCK = re.compile(r"\{([^}]*)\}")
# Override tags mov_text and WebVTT keep (italic, bold, underline, strike-out); any other tag
# (position, alignment, colour, font, size...) is lost in those containers.
_KEPT_TAG = re.compile(r"^(?:[ibus][01]?)?$")
# WebVTT markup mov_text cannot carry: cue settings on the timing line, and spans.
_VTT_SETTINGS = re.compile(r"^[^\n]*-->[ \t]*\S+[ \t]+(\S.*)$", re.MULTILINE)
_VTT_SPANS = {"c": "class spans", "v": "voice spans", "lang": "language spans", "ruby": "ruby text"}
_VTT_SPAN = re.compile(r"<(c|v|lang|ruby)(?=[\s.>])[^>]*>")


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
    vtt_markup: list[str] = field(default_factory=list)  # WebVTT markup mov_text drops ("cue settings on 3 cues")


@contextlib.contextmanager
def prepared(paths: list[Path], *, no_overlaps: bool = False, encoding: str | None = None,
             languages: Sequence[str | None] = ()) -> Iterator[list[SubtitleInput]]:
    """Validate every file, yield ffmpeg-ready inputs; temporary UTF-8 copies are removed after.
    ``no_overlaps``: the target (mov_text) cannot show cues together, so a WebVTT file's
    overlapping cues are trimmed in the copy handed to ffmpeg (``trimmed`` counts them).
    ``encoding``: the code page of the files that are not UTF-8 (guessed otherwise, the code pages
    of each file's language in ``languages`` first).

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
        langs = list(languages) + [None] * (len(paths) - len(languages))
        yield [_prepare(Path(path), scratch, i, no_overlaps, encoding, langs[i]) for i, path in enumerate(paths)]
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _prepare(path: Path, scratch: Callable[[], Path], index: int, no_overlaps: bool = False, encoding: str | None = None,
             language: str | None = None) -> SubtitleInput:
    from ..subtitles import as_text, read_subtitles, trim_overlaps

    doc = read_subtitles(path, encoding=encoding, language=language if language != "und" else None)
    fmt, encoding, ssa = (doc.format or "").lower(), doc.encoding, doc.ssa
    warnings = list(doc.warnings)
    if doc.bad_blocks:
        listed = "; ".join(b.describe() for b in doc.bad_blocks[:3]) + ("; ..." if len(doc.bad_blocks) > 3 else "")
        warnings.append(f"{len(doc.bad_blocks)} cue block(s) with a malformed or missing timing line left out ({listed}); "
                        f"'subtool check' lists them")
    trimmed = 0
    if no_overlaps and fmt == "vtt" and doc.overlaps:  # WebVTT's overlaps are kept when read
        ssa.events, cut, _merged = trim_overlaps(list(ssa.events))
        trimmed = len(cut)
        doc.notes.append("overlapping cues trimmed for the target")
    events = [e for e in ssa if not e.is_comment]
    styled = fmt in {"ass", "ssa"} or any(_is_styled(e.text) for e in events)
    utf8 = encoding.replace("_", "-").lower() in {"utf-8", "utf8", "ascii", "utf-8-sig"}
    target = path
    markup: list[str] = []
    if fmt in {"ass", "ssa"}:
        if doc.source is not None:  # events in another field order: ffmpeg's ASS reader takes only the standard one
            target = _as_is(path, doc.source, scratch, index)
        elif not utf8:
            # Byte-faithful: only the encoding changes (pysubs2 would drop sections it does not know).
            target = scratch() / f"{index}.{fmt}"
            target.write_text(as_text(path.read_bytes(), encoding).lstrip("\ufeff"), encoding="utf-8")
    elif fmt == "vtt" and doc.source is not None:
        markup = _webvtt_markup(doc.source)
        if doc.source_lacks:
            warnings.append(f"its WebVTT {' and '.join(doc.source_lacks)} (styles, regions) cannot go into the track: left out")
        if trimmed:
            target = scratch() / f"{index}.vtt"
            ssa.save(str(target), format_="vtt", encoding="utf-8")
        else:
            target = _as_is(path, doc.source, scratch, index)
            read = _ffmpeg_cue_count(target)
            if read != len(events):
                # ffmpeg's reader disagrees: the cues re-written are at least all there.
                target = scratch() / f"{index}.rewritten.vtt"
                ssa.save(str(target), format_="vtt", encoding="utf-8")
                said = f"ffmpeg reads {read} of its {len(events)} cues as written" if read >= 0 else "ffmpeg cannot read it as written"
                warnings.append(f"{said}: handed over re-written, without cue settings, identifiers and spans")
    elif fmt == "srt":
        if doc.notes:  # legacy encoding, BOM, CRLF, disorder, overlaps, malformed blocks: give ffmpeg the fixed cues
            target = scratch() / f"{index}.{fmt}"
            ssa.save(str(target), format_=fmt, encoding="utf-8")
    else:
        # A format ffmpeg may not read (microdvd, sami, ttml...): give it SRT.
        target = scratch() / f"{index}.srt"
        ssa.save(str(target), format_="srt", encoding="utf-8")
        fmt = "srt"
    return SubtitleInput(source=path, path=target, format=fmt, encoding=encoding, cues=len(events), styled=styled, ssa=ssa, trimmed=trimmed,
                         warnings=warnings, vtt_markup=markup)


def _as_is(path: Path, text: str, scratch: Callable[[], Path], index: int) -> Path:
    """``path`` itself when its bytes are ``text`` in UTF-8, else a copy holding ``text``."""
    data = text.encode("utf-8")
    if path.read_bytes() == data:
        return path
    target = scratch() / f"{index}{path.suffix.lower() or '.txt'}"
    target.write_bytes(data)
    return target


def _ffmpeg_cue_count(path: Path) -> int:
    """How many cues ffmpeg's demuxer reads from a subtitle file (-1 when it cannot read it)."""
    from ..errors import FFmpegError
    from .ffmpeg import file_arg, run_ffprobe

    try:
        res = run_ffprobe(["-v", "error", "-count_packets", "-select_streams", "0", "-show_entries", "stream=nb_read_packets",
                           "-of", "csv=p=0", file_arg(path)])
    except FFmpegError:
        return -1
    out = res.stdout.strip()
    return int(out) if res.returncode == 0 and out.isdigit() else -1


def _webvtt_markup(text: str) -> list[str]:
    """What of a WebVTT file's markup mov_text cannot carry, each with how many cues have it."""
    out: list[str] = []
    settings = _VTT_SETTINGS.findall(text)
    if settings:
        names = sorted({s.split(":", 1)[0] for line in settings for s in line.split() if ":" in s})
        out.append(f"cue settings ({', '.join(names) or 'positions'}) of {len(settings)} cue(s)")
    spans: dict[str, list[str]] = {}
    for block in text.split("\n\n"):
        for kind in dict.fromkeys(m.group(1) for m in _VTT_SPAN.finditer(block)):
            spans.setdefault(kind, []).append(block)
    for kind, blocks in spans.items():
        example = _VTT_SPAN.search(blocks[0])
        out.append(f"{_VTT_SPANS[kind]} ({example.group(0) if example else kind}) in {len(blocks)} cue(s)")
    return out
