"""ffprobe -> MediaInfo, and the verdict against the transcription service's limits."""

from __future__ import annotations

import json
import os
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..engines.gladia import service
from ..errors import MediaError
from ..models import MediaInfo, Problem, Stream
from .ffmpeg import binary, file_arg, run_ffprobe

# ffprobe's confidence below which a guess without an audio or video stream is not believed
# (AVPROBE_SCORE_MAX / 4: the extension alone gives 50, a real signature more).
PROBE_SCORE_GUESS = 25
# Demuxers of text formats (subtitles, lyrics, text shown as video): never media to transcribe.
TEXT_DEMUXERS = frozenset({
    "lrc", "srt", "ass", "webvtt", "microdvd", "subviewer", "subviewer1", "sami", "realtext", "jacosub", "mpl2", "pjs",
    "vplayer", "stl", "scc", "tty", "aqtitle", "mpsub",
})

# Leading bytes of containers: a file that starts like media but cannot be read is corrupt or
# truncated, not "not media".
_SIGNATURES: list[tuple[int, bytes]] = [
    (4, b"ftyp"), (4, b"moov"), (4, b"mdat"), (4, b"free"), (4, b"wide"), (0, b"\x1a\x45\xdf\xa3"),
    (0, b"RIFF"), (0, b"OggS"), (0, b"fLaC"), (0, b"ID3"), (0, b"FLV"), (0, b"\x30\x26\xb2\x75"),
]


def _looks_like_media(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return any(head[off : off + len(sig)] == sig for off, sig in _SIGNATURES)


def _fps(rate: str | None) -> float | None:
    try:
        value = Fraction(rate or "0/0") if rate and not rate.endswith("/0") else Fraction(0)
    except (ValueError, ZeroDivisionError):
        return None
    return round(float(value), 3) if value else None


def _num(value: Any, kind: type = float) -> Any:
    try:
        return kind(value) if value not in (None, "N/A", "") else None
    except (TypeError, ValueError):
        return None


def _hms_tag(value: str | None) -> float | None:
    """Matroska keeps stream durations as a ``DURATION`` tag such as ``00:00:03.007000000``."""
    try:
        h, m, sec = (value or "").split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    except ValueError:
        return None


def _stream(raw: dict[str, Any]) -> Stream:
    tags = {k.lower(): v for k, v in (raw.get("tags") or {}).items()}
    disp = raw.get("disposition") or {}
    return Stream(
        index=int(raw.get("index", 0)),
        type=str(raw.get("codec_type") or "data"),
        codec=raw.get("codec_name"),
        language=tags.get("language"),
        title=tags.get("title") or tags.get("handler_name") if raw.get("codec_type") == "subtitle" else tags.get("title"),
        channels=_num(raw.get("channels"), int),
        sample_rate=_num(raw.get("sample_rate"), int),
        width=_num(raw.get("width"), int),
        height=_num(raw.get("height"), int),
        fps=_fps(raw.get("avg_frame_rate")) or _fps(raw.get("r_frame_rate")) if raw.get("codec_type") == "video" else None,
        duration=_num(raw.get("duration")) or _hms_tag(tags.get("duration")),
        default=bool(disp.get("default")),
        forced=bool(disp.get("forced")),
        attached_pic=bool(disp.get("attached_pic")),
    )


# "Output file is empty" alone is not damage: the seek may land after a short audio track.
_DAMAGE_MARKERS = ("partial file", "invalid data", "truncat", "error while decoding", "corrupt", "end of file", "ended prematurely")


def damaged(stderr: str) -> bool:
    """Whether ffmpeg's messages while decoding say the input is truncated or corrupt."""
    text = stderr.lower()
    return any(marker in text for marker in _DAMAGE_MARKERS)


def _tail_is_damaged(path: Path, duration: float) -> bool:
    """Decode the last seconds of audio: a truncated file may read fine in its header (an MP4 with
    its index first) but its end is missing; ffmpeg says so only as warnings."""
    cmd = [binary("ffmpeg"), "-hide_banner", "-nostdin", "-v", "warning", "-ss", f"{max(0.0, duration - 2.0):.3f}",
           "-i", file_arg(path), "-map", "0:a:0?", "-f", "null", "-"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False
    return out.returncode != 0 or damaged(out.stderr)


def probe(path: str | Path, *, platform: str | None = None, deep: bool = True) -> MediaInfo:
    """Describe ``path`` and list its problems; never raises for a bad input (see ``require``).

    ``platform="youtube"`` applies the lower duration limit of YouTube links; ``deep`` also
    decodes the file's last seconds to catch truncation that the header hides.
    """
    p = Path(path)
    info = MediaInfo(path=str(path))
    problem = _file_problem(p)
    if problem is None:
        info.size = p.stat().st_size
        data = _ffprobe(p)
        problem = data if isinstance(data, Problem) else _describe(info, data)
    if problem is not None:
        info.problems.append(problem)
        return info
    check_limits(info, platform=platform)
    if deep:
        check_tail(info)
    return info


def _file_problem(p: Path) -> Problem | None:
    """Why ``p`` cannot be probed at all (missing, not a file, unreadable, empty), or None."""
    if not p.exists():
        return Problem("missing", "file not found; check the path")
    if not p.is_file():
        return Problem("unreadable", "not a regular file")
    if not os.access(p, os.R_OK):
        return Problem("unreadable", "cannot be read (permission denied)")
    if p.stat().st_size == 0:
        return Problem("empty", "file is empty (0 bytes)")
    return None


def _ffprobe(p: Path) -> dict[str, Any] | Problem:
    """ffprobe's description of ``p`` (format and streams), or why it cannot read it."""
    result = run_ffprobe(["-v", "error", "-print_format", "json", "-show_format", "-show_streams", file_arg(p)])
    data: dict[str, Any] = {}
    if result.returncode == 0:
        try:
            data = json.loads(result.stdout or "{}")
        except json.JSONDecodeError:
            data = {}
    fmt = data.get("format") or {}
    if result.returncode != 0 or not fmt or not data.get("streams"):
        reason = (result.stderr.strip().splitlines() or ["no streams found"])[-1]
        reason = reason.replace(f"file:{p}: ", "").replace(f"{p}: ", "")
        if _looks_like_media(p):
            return Problem("corrupt", f"media file is truncated or corrupt ({reason}); re-export or re-download it")
        return Problem("not_media", f"not a media file ffmpeg can read ({reason})")
    return data


def _describe(info: MediaInfo, data: dict[str, Any]) -> Problem | None:
    """Fill ``info`` from ffprobe's ``data``; a Problem when that is not media to transcribe."""
    fmt = data["format"]
    info.format_names = [n for n in str(fmt.get("format_name", "")).split(",") if n]
    info.format_long_name = fmt.get("format_long_name")
    score = _num(fmt.get("probe_score"), int)
    has_av = any(s.get("codec_type") in ("audio", "video") for s in data.get("streams", []))
    if set(info.format_names) & TEXT_DEMUXERS or (not has_av and score is not None and score < PROBE_SCORE_GUESS):
        # ffmpeg reads nearly anything as something: lyrics or subtitle text, or random bytes
        # guessed (score 5-25) to be raw H.263 or LRC. None of that is media to transcribe.
        what = info.format_long_name or ",".join(info.format_names)
        return Problem("not_media", f"not a media file (ffmpeg could only read it as {what})")
    info.duration = _num(fmt.get("duration"))
    info.bit_rate = _num(fmt.get("bit_rate"), int)
    info.streams = [_stream(s) for s in data.get("streams", [])]
    if info.duration is None:
        durations = [_num(s.get("duration")) for s in data.get("streams", [])]
        info.duration = max((d for d in durations if d), default=None)
    return None


def check_tail(info: MediaInfo) -> MediaInfo:
    """Decode the end of the audio of an already probed file (``probe``'s ``deep``): a truncated
    file may read fine in its header. Adds a ``corrupt`` problem when the end cannot be decoded."""
    if info.audio_streams and info.duration and not any(p_.code == "corrupt" for p_ in info.problems):
        # Seek near the end of the audio itself: a video's audio may stop well before the picture.
        audio_end = info.audio_streams[0].duration or info.duration
        if _tail_is_damaged(Path(info.path), min(audio_end, info.duration)):
            info.problems.append(Problem("corrupt", "media file is truncated or corrupt (its end cannot be decoded); re-export or re-download it"))
    return info


def check_limits(info: MediaInfo, *, platform: str | None = None) -> None:
    """Append the service-limit problems and notes for an already probed file."""
    if not info.audio_streams:
        info.problems.append(Problem("no_audio", "has no audio stream, so there is nothing to transcribe"))
    limit = service.duration_limit(platform, fetched_by_service=True)
    if info.duration is not None and info.duration > limit:
        info.problems.append(Problem(
            "too_long",
            f"duration {hms(info.duration)} is over the service's {limit / 60:.0f}-minute limit"
            + (" for YouTube links" if limit == service.MAX_DURATION_YOUTUBE_S else "")
            + " for one request (transcribe and run send such files in chunks)",
        ))
    if info.size > service.MAX_UPLOAD_BYTES:
        info.problems.append(Problem(
            "too_large", f"size {info.size / 1e6:.0f} MB is over the service's 1000 MB upload limit; only the audio is sent", fatal=False,
        ))
    suffix = Path(info.path).suffix.lower().lstrip(".")
    if suffix == "webm" or not service.takes_container(info.format_names):
        name = "WebM" if suffix == "webm" else info.format_long_name or ",".join(info.format_names)
        info.problems.append(Problem(
            "format_converted", f"container {name} is not one the service takes; its audio is converted on the way", fatal=False,
        ))
    odd = sorted({s.codec or "unknown" for s in info.audio_streams if (s.codec or "") not in service.AUDIO_CODECS})
    if odd:
        info.problems.append(Problem(
            "codec_converted", f"audio codec {', '.join(odd)} is not one the service decodes; it is converted on the way", fatal=False,
        ))


def require(info: MediaInfo) -> MediaInfo:
    """Raise ``MediaError`` for the first fatal problem (exit 3)."""
    for problem in info.problems:
        if problem.fatal:
            raise MediaError(problem.message, path=info.path, code=problem.code)
    return info


def hms(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    total = round(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
