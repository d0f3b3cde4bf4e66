"""Output containers: which codecs each carries as they are, and how to re-encode what it cannot.

The tables are ffmpeg 5.1's own rules (checked by stream-copying one tiny file of each codec):
WebM takes only VP8/VP9/AV1 and Opus/Vorbis; MP4 takes the codecs of the MP4 registration table
(not PCM, WMV/WMA, FLV's Sorenson, Theora, ProRes, FFV1, VP8; FLAC and TrueHD only as
"experimental"); MOV takes nearly anything except the codecs ffmpeg writes "only in MP4" (VP9,
AV1, Opus, FLAC) and VP8; Matroska takes everything. Asking ffmpeg up front, before a long pass,
is what lets the refusal name the stream and a container that would work.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Stream

# Output extension -> (container name, ffmpeg muxer).
CONTAINERS: dict[str, tuple[str, str]] = {
    ".mkv": ("mkv", "matroska"),
    ".mka": ("mkv", "matroska"),
    ".mp4": ("mp4", "mp4"),
    ".m4v": ("mp4", "mp4"),
    ".mov": ("mov", "mov"),
    ".webm": ("webm", "webm"),
}
DISPLAY = {"mkv": "MKV", "mp4": "MP4", "mov": "MOV", "webm": "WebM"}
EXTENSIONS = {"mkv": ".mkv", "mp4": ".mp4", "mov": ".mov", "webm": ".webm"}

WEBM_VIDEO = frozenset({"vp8", "vp9", "av1"})
WEBM_AUDIO = frozenset({"opus", "vorbis"})
MP4_VIDEO = frozenset({"h264", "hevc", "av1", "vp9", "mpeg4", "mpeg2video", "mpeg1video", "mjpeg", "png", "jpeg2000", "vc1", "dirac"})
MP4_AUDIO = frozenset({"aac", "mp3", "mp2", "ac3", "eac3", "dts", "opus", "vorbis", "alac", "mp4als", "qcelp", "evrc"})
MOV_REFUSES = frozenset({"vp8", "vp9", "av1", "opus", "flac"})

# What a stream becomes when its container cannot carry it (container -> kind -> encoder).
REENCODE_TO = {
    "webm": {"video": "VP9", "audio": "Opus"},
    "mp4": {"video": "H.264", "audio": "AAC"},
    "mov": {"video": "H.264", "audio": "AAC"},
    "mkv": {"video": "H.264", "audio": "AAC"},
}


def carries(container: str, stream: Stream) -> bool:
    """Whether ``container`` can hold ``stream`` (video or audio) stream-copied."""
    codec = (stream.codec or "").lower()
    if stream.type not in {"video", "audio"} or container == "mkv":
        return True
    if container == "webm":
        return codec in (WEBM_VIDEO if stream.type == "video" else WEBM_AUDIO)
    if container == "mp4":
        return codec in (MP4_VIDEO if stream.type == "video" else MP4_AUDIO)
    return codec not in MOV_REFUSES


def uncarried(container: str, streams: Iterable[Stream]) -> list[Stream]:
    return [s for s in streams if not carries(container, s)]


def describe(streams: Iterable[Stream]) -> str:
    """``video wmv2, audio wmav2``."""
    return ", ".join(f"{s.type} {s.codec or 'unknown'}" for s in streams)


def working_containers(streams: Iterable[Stream], exclude: str = "") -> list[str]:
    """The extensions (best first) of the containers that carry every one of ``streams``."""
    streams = list(streams)
    return [EXTENSIONS[c] for c in ("mkv", "mp4", "mov", "webm") if c != exclude and not uncarried(c, streams)]


def vp9_crf(x264_crf: int) -> int:
    """The libvpx-vp9 CRF giving about the quality of an x264 CRF: VP9's scale is 0-63, and
    x264's default 23 sits near VP9's recommended 31-33 for HD (Google's VOD settings)."""
    return max(0, min(63, round(x264_crf * 1.25 + 5)))


# x264 -preset -> (libvpx deadline, cpu-used): the same trade, slow and good to fast and rough.
_VP9_SPEED = {
    "ultrafast": ("realtime", 8), "superfast": ("realtime", 7), "veryfast": ("good", 5), "faster": ("good", 5),
    "fast": ("good", 4), "medium": ("good", 3), "slow": ("good", 2), "slower": ("good", 1), "veryslow": ("good", 0),
    "placebo": ("best", 0),
}


def video_encoder_args(container: str, codec: str, crf: int, speed: str, spec: str = "v") -> list[str]:
    """Encoder options for one re-encoded video stream (``spec``: ``v`` or ``v:0``...).

    ``codec`` is what the caller asked for (a burn style's ``video_codec``); a WebM output gets
    VP9 whatever it is, since WebM takes nothing else this project writes."""
    if container == "webm" and not codec.startswith("libvpx") and codec != "libaom-av1":
        codec, crf = "libvpx-vp9", vp9_crf(crf)  # the style's CRF is on x264's scale
    args = [f"-c:{spec}", codec]
    if codec.startswith("libvpx"):
        deadline, cpu = _VP9_SPEED.get(speed, ("good", 3))
        # -b:v 0 makes CRF the only target (constant quality); row-mt lets VP9 use both cores
        args += [f"-crf:{spec}", str(crf), f"-b:{spec}", "0", f"-row-mt:{spec}", "1", f"-deadline:{spec}", deadline,
                 f"-cpu-used:{spec}", str(cpu)]
    else:
        args += [f"-crf:{spec}", str(crf)]
        if codec in {"libx264", "libx265"}:
            args += [f"-preset:{spec}", speed]
    return [*args, f"-pix_fmt:{spec}", "yuv420p"]


def audio_encoder_args(container: str, spec: str = "a") -> list[str]:
    """Encoder options for one re-encoded audio stream: Opus for WebM, AAC elsewhere."""
    if container == "webm":
        return [f"-c:{spec}", "libopus", f"-b:{spec}", "128k"]
    return [f"-c:{spec}", "aac", f"-b:{spec}", "192k"]
