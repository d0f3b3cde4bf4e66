"""A copy of a video that browsers play, for the preview page, or none when they play it as it is.

What Chrome, Firefox and Safari all play (the page must open anywhere): MP4/MOV holding H.264
(8-bit 4:2:0) with AAC or MP3, WebM holding VP8/VP9 with Opus/Vorbis, and the common audio files.
Anything else (Matroska, AVI, HEVC, ProRes, 10-bit or 4:2:2 H.264, AC-3, PCM in a MOV) gets a
proxy beside the page:

- ``remux``: the codecs play but the container does not (H.264 and AAC in an MKV, the usual
  ``mkv-multi`` delivery): the video is copied into an MP4, the audio too when it is AAC or MP3
  (encoded to AAC otherwise). Nothing is lost, and it takes seconds rather than an encode's
  minutes. Only up to 1080 lines: a 4K H.264 copy would not be the small file a review needs.
- ``encode``: H.264 at 480 lines at most (the short side, so vertical video stays sharp),
  x264 ``veryfast`` CRF 28 and AAC stereo at 96 kb/s: a review copy, a few MB per minute.
  ``veryfast`` rather than ``fast``: 4.8 s of CPU against 7.6 s for 30 s of 720p HEVC scaled to
  480p (of which decoding and scaling took 1.9 s), measured on a test pattern; a review copy
  needs to be ready more than it needs the last few percent of size. The proxy costs what a
  plain ffmpeg command with the same arguments costs, plus a fixed read-back (BENCHMARKS.md,
  "Preview").

Both write ``+faststart`` MP4 (the index first, so the page plays before the file is read), through
``write_verified``: read back, streams and duration checked, renamed into place only when whole.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from ..models import MediaInfo, Stream
from ..outputs import atomic_path
from .ffmpeg import ProgressCallback, file_arg, run_ffprobe, write_verified

MAX_LINES = 480  # the proxy's short side
MAX_REMUX_LINES = 1080  # above this an H.264 source is encoded down, not copied
PRESET = "veryfast"
CRF = 28
AUDIO_BITRATE = "96k"

_MP4_FAMILY = {"mov", "mp4", "m4a", "3gp", "3g2", "mj2"}  # ffprobe's "mov,mp4,m4a,3gp,3g2,mj2"
_MP4_AUDIO = {"aac", "mp3"}
_WEBM_VIDEO = {"vp8", "vp9"}
_WEBM_AUDIO = {"opus", "vorbis"}
_AUDIO_FILES = {"mp3": {"mp3"}, "wav": {"pcm_s16le", "pcm_u8"}, "ogg": {"vorbis", "opus"}, "flac": {"flac"}}
_PLAIN_H264 = {"yuv420p", "yuvj420p"}


@dataclass(frozen=True)
class ProxyChoice:
    """What the page needs of a media file: ``none`` (played as it is), ``remux`` or ``encode``
    (see the module docstring), why, and the streams the proxy takes."""

    kind: str
    reason: str
    video: Stream | None = None
    audio: Stream | None = None


def _pix_fmt(info: MediaInfo, stream: Stream) -> str:
    """The pixel format of one video stream (the probe's model does not keep it)."""
    res = run_ffprobe(["-v", "error", "-select_streams", str(stream.index), "-show_entries", "stream=pix_fmt",
                       "-print_format", "json", file_arg(info.path)])
    try:
        streams = json.loads(res.stdout or "{}").get("streams") or [{}]
        return str(streams[0].get("pix_fmt") or "")
    except ValueError:
        return ""


def _audio(info: MediaInfo) -> Stream | None:
    streams = info.audio_streams
    return next((s for s in streams if s.default), streams[0] if streams else None)


def choose(info: MediaInfo) -> ProxyChoice:
    """Whether browsers play ``info``'s file as it is, and if not what proxy it needs."""
    video = info.video_streams[0] if info.video_streams else None
    audio = _audio(info)
    vcodec, acodec = (video.codec or "") if video else "", (audio.codec or "") if audio else ""
    names = set(info.format_names)
    suffix = Path(info.path).suffix.lower()
    plain = video is not None and vcodec == "h264" and _pix_fmt(info, video) in _PLAIN_H264
    if names & _MP4_FAMILY and (video is None or plain) and (audio is None or acodec in _MP4_AUDIO):
        return ProxyChoice("none", "browsers play it as it is", video, audio)
    if suffix == ".webm" and (video is None or vcodec in _WEBM_VIDEO) and (audio is None or acodec in _WEBM_AUDIO):
        return ProxyChoice("none", "browsers play it as it is", video, audio)
    if video is None:
        fmt = next((f for f in _AUDIO_FILES if f in names), None)
        if fmt is not None and acodec in _AUDIO_FILES[fmt]:
            return ProxyChoice("none", "browsers play it as it is", None, audio)
        if audio is None:
            return ProxyChoice("none", "it has neither video nor audio", None, None)
        return ProxyChoice("encode", f"browsers do not play {acodec or 'its'} audio in {_container(info)}", None, audio)
    what = f"{vcodec or 'unknown'} video" + (f" and {acodec} audio" if audio is not None else "") + f" in {_container(info)}"
    if plain and (video.height or 0) <= MAX_REMUX_LINES:
        return ProxyChoice("remux", f"browsers do not play {what}: copied into MP4", video, audio)
    return ProxyChoice("encode", f"browsers do not play {what}: encoded to H.264 at {MAX_LINES} lines at most", video, audio)


def _container(info: MediaInfo) -> str:
    suffix = Path(info.path).suffix.lower().lstrip(".")
    return suffix.upper() if suffix else info.format_long_name or ",".join(info.format_names) or "its container"


def proxy_args(source: Path, choice: ProxyChoice) -> list[str]:
    """ffmpeg's arguments for the proxy of ``source``, without the output (``write_verified``
    adds it)."""
    args = ["-y", "-i", file_arg(source)]
    if choice.video is not None:
        args += ["-map", f"0:{choice.video.index}"]
    if choice.audio is not None:
        args += ["-map", f"0:{choice.audio.index}"]
    if choice.video is not None:
        if choice.kind == "remux":
            args += ["-c:v", "copy"]
        else:
            # The short side at most MAX_LINES, even (4:2:0), the other side kept in proportion.
            short = f"trunc(min({MAX_LINES},%s)/2)*2"
            scale = f"scale='if(gte(iw,ih),-2,{short % 'iw'})':'if(gte(iw,ih),{short % 'ih'},-2)'"
            args += ["-vf", scale, "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p"]
    if choice.audio is not None:
        if choice.kind == "remux" and (choice.audio.codec or "") in _MP4_AUDIO:
            args += ["-c:a", "copy"]
        else:
            args += ["-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2"]
    return [*args, "-sn", "-dn", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4"]


def make_proxy(
    source: Path,
    target: Path,
    choice: ProxyChoice,
    *,
    duration: float | None,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Write ``choice``'s proxy of ``source`` to ``target`` atomically; raises ``FFmpegError``
    (read back short or unreadable), ``DiskFullError``, ``Interrupted``."""
    streams = {"video": 1 if choice.video is not None else 0, "audio": 1 if choice.audio is not None else 0}
    with atomic_path(target, force=force) as part:
        part.unlink()  # ffmpeg creates it (media.output explains why)
        write_verified([*proxy_args(source, choice), file_arg(part)], part, target, streams={k: n for k, n in streams.items() if n},
                       duration=duration, on_progress=on_progress, what="the preview's proxy", cancel=cancel)
    return target
