"""Every fact about the Gladia pre-recorded service, in one place: its limits, the languages and
containers it takes, the platforms it fetches itself, its subtitle options' ranges, its plans.

Pure data and small functions over it: importing this loads neither the SDK nor the client, so
probe, sources, the transcription stage and the emulator (a separate implementation of the
service, which must not import the client it emulates) all ask it. Sources: the API's OpenAPI
description, Gladia's documentation pages "Supported formats" and "Limits and specifications",
and the types of gladiaio-sdk 2.2.1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_API_URL = "https://api.gladia.io"

# -- limits -----------------------------------------------------------------------------------
MAX_DURATION_S = 135 * 60.0  # one job's audio
MAX_DURATION_YOUTUBE_S = 120 * 60.0  # a YouTube link the service fetches itself
MAX_UPLOAD_BYTES = 1000 * 1000 * 1000  # 1000 MB of 10^6 bytes (the emulator counts the same way)
CHUNK_TARGET_S = 3600.0  # inputs over the limit are cut into pieces of about this length

# -- plans: jobs at once ------------------------------------------------------------------------
FREE_PLAN_JOBS = 3
PAID_PLAN_JOBS = 25
MAX_QUEUED_JOBS = 300  # over its concurrency limit the service queues jobs (a paid account: up to 300)

# -- containers and codecs it decodes (docs "supported formats") --------------------------------
AUDIO_CONTAINERS = frozenset({"aac", "ac3", "eac3", "flac", "m4a", "mp2", "mp3", "ogg", "opus", "wav"})
VIDEO_CONTAINERS = frozenset({"3g2", "3gp", "avi", "flv", "m4v", "matroska", "mkv", "mov", "mp4", "wmv"})
AUDIO_CODECS = frozenset({"aac", "mp3", "mp2", "opus", "vorbis", "flac", "ac3", "eac3", "pcm_s16le", "pcm_s24le", "pcm_f32le", "pcm_u8"})
# ffprobe's demuxer names for the containers above.
_DEMUXER_TO_CONTAINER = {
    "mov": "mov", "mp4": "mp4", "m4a": "m4a", "3gp": "3gp", "3g2": "3g2", "matroska": "matroska", "avi": "avi", "flv": "flv",
    "asf": "wmv", "wav": "wav", "mp3": "mp3", "ogg": "ogg", "flac": "flac", "aac": "aac", "ac3": "ac3", "eac3": "eac3", "mp2": "mp2",
}


def takes_container(format_names: Iterable[str]) -> bool:
    """Whether ffprobe's format names (``mov,mp4,m4a,...``) are among the service's containers."""
    return bool({_DEMUXER_TO_CONTAINER.get(n) for n in format_names} & (AUDIO_CONTAINERS | VIDEO_CONTAINERS))


# -- platforms whose page URLs it fetches itself (its documented online sources) ------------------
PLATFORMS = frozenset({"youtube", "tiktok", "instagram", "facebook", "vimeo", "dailymotion", "linkedin", "sharechat", "likee", "twitter"})


def duration_limit(platform: str | None = None, *, fetched_by_service: bool = False) -> float:
    """The longest audio one job takes: 120 min for a YouTube link the service fetches, else 135."""
    return MAX_DURATION_YOUTUBE_S if fetched_by_service and (platform or "").lower() == "youtube" else MAX_DURATION_S


# -- languages (language_config.languages, translation_config.target_languages) ------------------
TRANSCRIPTION_LANGUAGES = frozenset(
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht hu hy id "
    "is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl ps pt ro ru sa sd "
    "si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo zh".split()
)
TRANSLATION_LANGUAGES = TRANSCRIPTION_LANGUAGES | {"wo"}  # the same plus Wolof
# Where the service's code is not the ISO 639-1 one langcodes gives.
CODE_ALIASES = {"jv": "jw", "nb": "no"}
TRANSLATION_MODELS = ("base", "batch", "enhanced")  # translation_config.model; subtool offers base and enhanced

# -- subtitles_config's ranges -------------------------------------------------------------------
SUBTITLE_DURATION_RANGE = (1.0, 30.0)  # maximum_duration
SUBTITLE_ROWS_RANGE = (1, 5)  # maximum_rows_per_caption
SUBTITLE_STYLES = ("default", "compliance")
SUBTITLE_FORMATS = ("srt", "vtt")  # what it writes itself


def subtitles_config(profile: Any) -> dict[str, object]:
    """A subtitle profile's limits as the service's ``subtitles_config`` fields, within its ranges."""
    low, high = SUBTITLE_DURATION_RANGE
    rows_low, rows_high = SUBTITLE_ROWS_RANGE
    return {
        "minimum_duration": round(max(0.0, profile.min_duration), 3),
        "maximum_duration": round(min(high, max(low, profile.max_duration)), 3),
        "maximum_characters_per_row": profile.max_chars_per_line,
        "maximum_rows_per_caption": min(rows_high, max(rows_low, profile.max_lines)),
        "style": profile.service_style,
    }
