"""Shot changes: where the picture cuts, found with ffmpeg's scene detection (``scdet``).

Subtitles are timed to shot changes (``subtitles.shots``), so the video is decoded once, every
frame scaled down to 160 pixels wide before ``scdet`` compares it with the one before (a cut
changes every part of the picture; a thumbnail shows it as well as the full frame and costs a
fraction of the comparison), with the H.264/HEVC loop filter skipped (the picture is only
compared, never shown). The scores above ``THRESHOLD`` (ffmpeg's default, 10 of 100) are printed
by ``metadata`` to a file rather than parsed from the log, so ffmpeg runs at ``-loglevel error``
like every other call. A cut within 12 frames after another one (a flash, a shot too short to
hold a subtitle) is dropped: the first cut of such a burst stays.

The decode is the cost: on this project's 2-core machine, 10 minutes of 12 Mbit/s 1080p H.264
took 78 s to look through against 3.2 s for its audio extraction (``benchmarks/bench_shots.py``,
the quietest round; skipping B-frames or decoding keyframes only was tried: x264 puts few
B-frames and no keyframe at every cut, so neither is both cheaper and frame-exact). The transcribe
stage therefore runs it beside the engine's work rather than inside the audio extraction, whose
upload it would otherwise hold back (see ``flow.shots``).
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import MediaError
from ..models import MediaInfo, Stream
from .ffmpeg import ProgressCallback, file_arg, run_ffmpeg

THRESHOLD = 10.0
WIDTH = 160
MIN_SHOT_FRAMES = 12


@dataclass(frozen=True)
class ShotChanges:
    """The cuts (seconds from the start of the file, the first frame of each new shot) and the
    video's frame rate."""

    cuts: list[float]
    fps: float


def video_stream(info: MediaInfo) -> Stream | None:
    """The video stream whose cuts subtitles follow: the default one, else the first (cover art aside)."""
    streams = info.video_streams
    return next((s for s in streams if s.default), streams[0] if streams else None)


def scene_graph(report: Path) -> str:
    """The filter chain that finds the cuts and prints their times to ``report``."""
    # metadata's file= option is itself filter syntax: the path is escaped for it.
    escaped = str(report).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
    return (f"scale={WIDTH}:-2:flags=fast_bilinear,scdet=threshold={THRESHOLD:g}:sc_pass=1,"
            f"metadata=mode=print:key=lavfi.scd.time:file='{escaped}'")


def parse_report(text: str, fps: float) -> list[float]:
    """The cut times of a ``metadata`` report, a burst of cuts thinned to its first."""
    found: list[float] = []
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "lavfi.scd.time":
            try:
                found.append(float(value))
            except ValueError:
                continue
    cuts: list[float] = []
    for t in sorted(found):
        if t > 0 and (not cuts or t - cuts[-1] >= MIN_SHOT_FRAMES / fps - 1e-6):
            cuts.append(round(t, 4))
    return cuts


def detect(
    src: str | Path,
    info: MediaInfo,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ShotChanges:
    """The cuts of ``src``'s video (``info``: its probe). Raises ``MediaError`` when it has no
    video, ``FFmpegError`` when it cannot be decoded, ``Interrupted`` when ``cancel`` is set."""
    stream = video_stream(info)
    if stream is None:
        raise MediaError("has no video stream, so it has no shot changes", path=str(src), code="no_video")
    fps = stream.fps if stream.fps and stream.fps > 0 else 25.0
    with tempfile.TemporaryDirectory(prefix="subtool-shots-") as tmp:
        report = Path(tmp) / "cuts.txt"
        run_ffmpeg(
            ["-skip_loop_filter", "all", "-i", file_arg(src), "-map", f"0:{stream.index}", "-an", "-sn", "-dn",
             "-vf", scene_graph(report), "-f", "null", "-"],
            duration=info.duration, on_progress=on_progress, what=f"looking for shot changes in {src}", cancel=cancel,
        )
        text = report.read_text(encoding="utf-8", errors="replace") if report.exists() else ""
    return ShotChanges(parse_report(text, fps), fps)
