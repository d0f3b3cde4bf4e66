"""Output containers: which codecs each carries as they are, and how to re-encode what it cannot.

The tables are ffmpeg 5.1's own rules (checked by stream-copying one tiny file of each codec):
WebM takes only VP8/VP9/AV1 and Opus/Vorbis; MP4 takes the codecs of the MP4 registration table
(not PCM, WMV/WMA, FLV's Sorenson, Theora, ProRes, FFV1, VP8; FLAC and TrueHD only as
"experimental"); MOV takes nearly anything except the codecs ffmpeg writes "only in MP4" (VP9,
AV1, Opus, FLAC) and VP8; Matroska takes everything. Asking ffmpeg up front, before a long pass,
is what lets the refusal name the stream and a container that would work.

Subtitle streams: MP4 and MOV store text as mov_text, WebM as WebVTT (a WebVTT file is copied as
it is: ffmpeg's encoder would drop cue settings and spans), Matroska keeps the source format.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import UsageError
from ..models import MediaInfo, Stream

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


# Why a container refuses, in its muxer's own terms.
_RULE = {
    "webm": "WebM takes only VP8/VP9/AV1 video and Opus/Vorbis audio",
    "mp4": "MP4 takes H.264/HEVC/AV1/VP9/MPEG-4 video and AAC/MP3/AC-3/Opus audio, not PCM, WMV/WMA, FLV, Theora, ProRes or FLAC",
    "mov": "ffmpeg writes VP9, AV1, Opus and FLAC only in MP4, and VP8 not at all, in MOV",
}
# Re-encoding settings for streams a container cannot take: visually transparent, not tiny.
_REENCODE_VIDEO = {"webm": ("libvpx-vp9", 32, "fast"), "mp4": ("libx264", 20, "medium"), "mov": ("libx264", 20, "medium")}


def check_codecs(info: MediaInfo, container: str, reencode: bool) -> dict[str, list[str]]:
    """Per-stream codec options for the video (``"v"``) and audio (``"a"``) of ``info``: none
    (copied) unless ``container`` cannot carry a stream, which is refused naming the containers
    that can, or re-encoded when ``reencode``."""
    videos = [s for s in info.streams if s.type == "video"]
    audios = [s for s in info.streams if s.type == "audio"]
    opts: dict[str, list[str]] = {"v": [], "a": []}
    bad = uncarried(container, videos + audios)
    if not bad:
        return opts
    if not reencode:
        works = " or ".join(working_containers(videos + audios, exclude=container))
        target = REENCODE_TO[container]
        raise UsageError(
            f"{DISPLAY[container]} cannot carry this input's {describe(bad)} as it is ({_RULE[container]})",
            path=info.path, hint=f"Use {works} (keeps every stream as it is), or pass --reencode to re-encode to "
                                 f"{target['video']}/{target['audio']}",
        )
    codec, crf, speed = _REENCODE_VIDEO[container]
    for i, s in enumerate(videos):
        if s in bad:
            opts["v"] += video_encoder_args(container, codec, crf, speed, f"v:{i}")
            if (s.width or 0) % 2 or (s.height or 0) % 2:
                opts["v"] += [f"-filter:v:{i}", "pad=width=ceil(iw/2)*2:height=ceil(ih/2)*2"]  # 4:2:0 needs even sizes
    for i, s in enumerate(audios):
        if s in bad:
            opts["a"] += audio_encoder_args(container, f"a:{i}")
    return opts


TEXT_SUB_CODECS = {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}
# Matroska stores these as they are; anything else text-based becomes SRT.
MKV_SUB_CODECS = {"subrip", "ass", "ssa", "webvtt", "hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle"}
# The codec a subtitle file's format is stored as when copied.
SOURCE_CODEC = {"srt": "subrip", "ass": "ass", "ssa": "ass", "vtt": "webvtt"}


def sub_codec_for_existing(stream: Stream, container: str, video: Path) -> str:
    """The encoder (or ``copy``) for a subtitle stream the input has; one ``container`` cannot
    carry (a picture-based codec outside Matroska) is refused."""
    codec = stream.codec or ""
    if container == "mkv":
        return "copy" if codec in MKV_SUB_CODECS else ("srt" if codec in TEXT_SUB_CODECS else "copy")
    if codec not in TEXT_SUB_CODECS:
        raise UsageError(
            f"input subtitle stream #{stream.index} is {codec or 'an unknown codec'}, which {DISPLAY[container]} cannot carry",
            path=video, hint="Use .mkv, or pass --replace to drop the existing subtitle streams",
        )
    if container in {"mp4", "mov"}:
        return "copy" if codec == "mov_text" else "mov_text"
    return "copy" if codec == "webvtt" else "webvtt"


def sub_codec_for_file(fmt: str, container: str) -> str:
    """The encoder (or ``copy``) for a subtitle file of format ``fmt`` (srt, ass, ssa, vtt)."""
    if container in {"mp4", "mov"}:
        return "mov_text"
    if container == "webm" and fmt != "vtt":
        return "webvtt"  # WebVTT itself is copied: ffmpeg's encoder would drop cue settings and spans
    return "copy"


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
