"""Online-platform URLs -> metadata and local media, through yt-dlp's Python API.

The flow is ``inspect`` (metadata only, no media body) -> ``expand`` (refuse or split playlists) ->
``check_duration`` (before anything is downloaded) -> ``download`` (a format the delivery can use
without re-encoding, written atomically into the destination folder). ``resolve`` does the first
three in one call; ``duration_limit`` says which limit applies (120 min for a YouTube URL the
service fetches itself, else 135).

Every failure becomes a ``SourceError`` (exit 3) with one line naming the URL, except a playlist
given without ``allow_playlist``, which is a ``UsageError`` (exit 2): the URL is fine, the options
are not. yt-dlp is imported inside the functions so that ``subtool --help`` stays fast.

Modules: ``urls`` (what is a URL, passwords in URLs), ``cookies`` (the --cookies file),
``ytdlp`` (yt-dlp's options, logger and errors), ``metadata`` (inspect, expand, resolve, the
duration limits, the URL the service may fetch), ``downloads`` (download, scratch folders),
``transfer`` (the bounds of a running download, watched from the caller's thread), ``worker``
(the process yt-dlp downloads in, so that it can be stopped wherever it is) and ``subtitles``
(the platform's own subtitles, offered and downloaded, for ``--reuse``).
"""

from __future__ import annotations

from .downloads import Prefer, download, scratch_folder
from .metadata import SourceInfo, check_duration, duration_limit, expand, inspect, resolve, service_url
from .subtitles import download_subtitles, offered
from .transfer import (
    ANNOUNCED_MARGIN,
    DEFAULT_MAX_DOWNLOAD,
    DISK_RESERVE,
    STALL_BYTES,
    STALL_ENV,
    STALL_TIMEOUT_S,
    ProgressCallback,
)
from .urls import has_credentials, is_url, redact, refuse_other_schemes
from .ytdlp import LOGIN_HINT
from .ytdlp import source_error as _source_error

__all__ = [
    "ANNOUNCED_MARGIN",
    "DEFAULT_MAX_DOWNLOAD",
    "DISK_RESERVE",
    "LOGIN_HINT",
    "STALL_BYTES",
    "STALL_ENV",
    "STALL_TIMEOUT_S",
    "Prefer",
    "ProgressCallback",
    "SourceInfo",
    "_source_error",
    "check_duration",
    "download",
    "download_subtitles",
    "duration_limit",
    "expand",
    "has_credentials",
    "inspect",
    "is_url",
    "offered",
    "redact",
    "refuse_other_schemes",
    "resolve",
    "scratch_folder",
    "service_url",
]
