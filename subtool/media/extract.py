"""Subtitle streams out of a video: what each is, and a text stream written as a file.

Text streams (SubRip, ASS/SSA, WebVTT, MP4's mov_text) are copied out as they are when the file
format takes the codec (SubRip to .srt, ASS to .ass, WebVTT to .vtt: the cues byte for byte), else
converted by ffmpeg's own subtitle encoders (mov_text has no file format of its own: SRT).
Image streams (Blu-ray PGS, DVB, DVD VobSub) hold pictures of text: they are named and refused,
since reading them needs OCR. Every file is written atomically (``outputs.atomic_path``), all of
them in one ffmpeg pass (a 2-hour MKV is read once, not once per stream).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError, UsageError
from ..models import MediaInfo, Stream
from ..outputs import atomic_path
from .ffmpeg import ProgressCallback, file_arg, run_ffmpeg
from .language_tags import existing_language

# A text codec -> the file format that keeps it as it is.
TEXT_CODECS = {"subrip": "srt", "srt": "srt", "ass": "ass", "ssa": "ass", "webvtt": "vtt", "mov_text": "srt", "text": "srt"}
# An image codec -> what people call it (the line that refuses it names it so).
IMAGE_CODECS = {"hdmv_pgs_subtitle": "PGS (Blu-ray)", "dvd_subtitle": "VobSub (DVD)", "dvb_subtitle": "DVB",
                "xsub": "XSUB", "dvb_teletext": "DVB teletext"}
_ENCODER = {"srt": "srt", "vtt": "webvtt", "ass": "ass"}
_MUXER = {"srt": "srt", "vtt": "webvtt", "ass": "ass"}
FORMATS = ("srt", "vtt", "ass")


def natural_format(stream: Stream) -> str | None:
    """The file format a text stream is extracted to as it is; None for an image or unknown codec."""
    return TEXT_CODECS.get(stream.codec or "")


def image_kind(stream: Stream) -> str | None:
    """What an image-based stream is ("PGS (Blu-ray)"); None for text streams."""
    codec = stream.codec or ""
    return IMAGE_CODECS.get(codec) or (None if codec in TEXT_CODECS else f"'{codec}'" if codec else "an unknown codec")


def stream_language(stream: Stream) -> str | None:
    """The stream's language as BCP 47 (``fre``/``fra`` -> ``fr``); None for ``und`` or none."""
    return existing_language(stream)


def text_streams(info: MediaInfo) -> list[Stream]:
    return [s for s in info.subtitle_streams if natural_format(s) is not None]


def _args(stream: Stream, fmt: str | None) -> tuple[str, list[str]]:
    """The format and ffmpeg's output options for ``stream`` written in ``fmt`` (default: its own)."""
    own = natural_format(stream)
    if own is None:
        raise InputError(f"stream #{stream.index} is {image_kind(stream)} subtitles, pictures of text that cannot be extracted as text (that needs OCR)",
                         hint="Extract its text streams, or OCR it with another tool (e.g. Subtitle Edit)")
    fmt = fmt or own
    if fmt not in _ENCODER:
        raise UsageError(f"unknown subtitle format '{fmt}'", hint="Use srt, vtt or ass")
    codec = "copy" if fmt == own and stream.codec != "mov_text" else _ENCODER[fmt]
    return fmt, ["-map", f"0:{stream.index}", "-c:s", codec, "-f", _MUXER[fmt]]


def extract_streams(video: Path, wanted: Sequence[tuple[Stream, Path, str | None]], *, force: bool = False, duration: float | None = None,
                    on_progress: ProgressCallback | None = None) -> list[Path]:
    """Write each ``(stream, target, fmt)`` of ``video`` (``fmt`` None: the stream's own format) in
    one ffmpeg pass (the file is read once), each target atomically; an existing one is refused
    unless ``force``. ``on_progress(done, total)`` in seconds of the input."""
    outputs: list[str] = []
    with contextlib.ExitStack() as stack:
        for stream, target, fmt in wanted:
            _, options = _args(stream, fmt)
            tmp = stack.enter_context(atomic_path(target, force=force))
            outputs += [*options, file_arg(tmp)]
        run_ffmpeg(["-y", "-i", file_arg(video), *outputs], duration=duration, on_progress=on_progress, what="the extraction")
    return [target for _, target, _ in wanted]


def extract_stream(video: Path, stream: Stream, target: Path, fmt: str | None = None, *, force: bool = False) -> Path:
    """Write subtitle ``stream`` of ``video`` to ``target`` in ``fmt`` (default: its own format)."""
    [path] = extract_streams(video, [(stream, target, fmt)], force=force)
    return path
