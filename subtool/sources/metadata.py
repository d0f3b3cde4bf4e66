"""What a URL points at, before a byte of media is downloaded: ``inspect`` (metadata only) ->
``expand`` (refuse or split playlists) -> ``check_duration``; ``resolve`` does the three in one
call. ``duration_limit`` says which limit applies (120 min for a YouTube URL the service fetches
itself, else 135), ``service_url`` which URL, if any, the service may fetch by itself.

When yt-dlp knows no duration (a direct media link, a page with a ``<video>`` tag), the media's
header is read with ffprobe, so that the limit is still checked before a download.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import Interrupted, SourceError, UsageError
from ..outputs import safe_filename
from .cookies import check_cookies, cookie_lines
from .urls import has_credentials, is_url, redact, require_url
from .ytdlp import Logger, options, source_error

log = logging.getLogger(__name__)


@dataclass
class SourceInfo:
    """What a URL points at, before anything is downloaded."""

    url: str
    title: str
    stem: str
    duration: float | None
    extractor: str
    platform: str
    is_playlist: bool
    webpage_url: str
    direct_media_url: str | None
    ext: str | None
    id: str
    entries: list[SourceInfo] = field(default_factory=list)
    # yt-dlp's own info dict, so that download() need not ask the site a second time.
    raw: dict[str, Any] | None = field(default=None, repr=False, compare=False)


def inspect(url: str, *, cookies: str | Path | None = None, timeout: float = 30, retries: int = 3) -> SourceInfo:
    """Metadata of ``url`` (title, duration, playlist entries), without downloading the media.

    When yt-dlp knows no duration (a direct media link, a page with a ``<video>`` tag), the media's
    header is read with ffprobe so that the duration limit can still be checked before a download.
    """
    require_url(url)
    cookiefile = check_cookies(cookies)
    import yt_dlp

    opts = {**options(cookies=cookiefile, timeout=timeout, retries=retries), "logger": Logger()}
    # Playlists are listed, not resolved: one request for the list, none per entry.
    opts["extract_flat"] = "in_playlist"
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            raw = ydl.extract_info(url, download=False, process=True)
            raw = ydl.sanitize_info(raw)
    except KeyboardInterrupt:
        raise Interrupted(f"{url}: interrupted while reading its metadata") from None
    except Exception as exc:  # yt-dlp raises many types; each becomes one line
        if isinstance(exc, SourceError):
            raise
        raise source_error(url, exc) from exc
    if not isinstance(raw, dict):
        raise SourceError("no video found at this URL", path=url, hint="Check the address")
    info = to_info(raw, url)
    if info.duration is None and not info.is_playlist:
        info.duration = _probe_duration(raw, cookiefile=cookiefile, timeout=timeout)
    return info


def to_info(raw: dict[str, Any], url: str, *, entry: bool = False) -> SourceInfo:
    """A ``SourceInfo`` from yt-dlp's info dict ``raw`` for ``url`` (``entry``: one of a list's)."""
    is_playlist = raw.get("_type") in ("playlist", "multi_video")
    extractor = str(raw.get("extractor_key") or raw.get("ie_key") or raw.get("extractor") or "Generic")
    vid = str(raw.get("id") or _basename(url) or "video")
    title = str(raw.get("title") or "").strip()
    fallback = safe_filename(_basename(str(raw.get("url") or url)) or vid, fallback="video")
    media_url = str(raw.get("url")) if raw.get("url") else None
    if extractor == "HTML5MediaEmbed" and not entry:
        # One <video> on a page: yt-dlp numbers it "(1)" as if it were an entry of a list.
        title = re.sub(r" \(1\)$", "", title)
    entries: list[SourceInfo] = []
    if is_playlist:
        for item in raw.get("entries") or []:
            if isinstance(item, dict):
                # A flat entry's "url" is its own page; a resolved <video> entry's is the media.
                item_url = str(item.get("url") or item.get("webpage_url") or "")
                if item_url:
                    entries.append(to_info(item, item_url, entry=True))
    return SourceInfo(
        url=url,
        title=title or vid,
        stem=safe_filename(title, fallback=fallback) if title else fallback,
        duration=float(raw["duration"]) if isinstance(raw.get("duration"), int | float) else None,
        extractor=extractor,
        platform=_platform(extractor),
        is_playlist=is_playlist,
        webpage_url=str(raw.get("webpage_url") or url),
        direct_media_url=media_url if raw.get("direct") else None,
        ext=str(raw["ext"]) if raw.get("ext") and not is_playlist else None,
        id=vid,
        entries=entries,
        raw=raw,
    )


def _basename(url: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name.rsplit(".", 1)[0] if "." in name else name


def _platform(extractor: str) -> str:
    key = extractor.lower()
    if key.startswith("youtube"):
        return "youtube"
    return key.split(":")[0]


def _probe_duration(raw: dict[str, Any], *, cookiefile: str | None, timeout: float) -> float | None:
    """Duration from the media's header (ffprobe reads the head, not the body)."""
    from ..media.ffmpeg import run_ffprobe

    fmts = raw.get("requested_formats") or [raw]
    durations: list[float] = []
    for fmt in fmts:
        media_url = str(fmt.get("url") or "")
        if not is_url(media_url) or fmt.get("protocol", "https") not in ("http", "https"):
            return None
        args = ["-v", "error", "-rw_timeout", str(int(timeout * 1_000_000))]
        headers = {k: str(v) for k, v in (fmt.get("http_headers") or raw.get("http_headers") or {}).items()}
        if headers:
            args += ["-headers", "".join(f"{k}: {v}\r\n" for k, v in headers.items() if "\r" not in v and "\n" not in v)]
        cookies = cookie_lines(cookiefile, media_url)
        if cookies:
            args += ["-cookies", cookies]  # scoped by domain and path, as yt-dlp's ffmpeg downloader does
        args += ["-show_entries", "format=duration", "-of", "json", media_url]
        try:
            out = run_ffprobe(args, timeout=timeout)
            durations.append(float(json.loads(out.stdout)["format"]["duration"]))
        except Exception as exc:  # noqa: BLE001 - an unknown duration is checked again after the download
            log.debug("ffprobe found no duration for %s: %s", redact(media_url), redact(str(exc)))
            return None
    return max(durations) if durations else None


def service_url(info: SourceInfo) -> str | None:
    """The URL the transcription service can fetch for ``info`` by itself: the page of a platform
    it knows, or the media file's own URL (a direct link, a ``<video>`` on a page). None when only
    yt-dlp can get at the media, or when the URL (or the page's) carries a password, which is
    never handed to a third party: the media are then downloaded here."""
    if has_credentials(info.url) or has_credentials(info.webpage_url):
        return None
    found: str | None = None
    media = (info.raw or {}).get("url")
    from ..engines.gladia import service

    if info.platform in service.PLATFORMS:
        found = info.webpage_url or info.url
    elif info.direct_media_url:
        found = info.direct_media_url
    elif info.extractor == "HTML5MediaEmbed" and isinstance(media, str) and is_url(media):
        found = media
    return None if has_credentials(found) else found


def duration_limit(info: SourceInfo, *, service_fetches_url: bool) -> float:
    """The longest media the service takes: 120 min for a YouTube URL it fetches, else 135."""
    from ..engines.gladia import service

    return service.duration_limit(info.platform, fetched_by_service=service_fetches_url)


def check_duration(info: SourceInfo, *, limit_s: float) -> None:
    """Refuse a video longer than ``limit_s`` before anything is downloaded. An unknown duration
    passes here; the probe of the downloaded file checks it again."""
    if info.duration is not None and info.duration > limit_s:
        raise SourceError(
            f"the video lasts {_hms(info.duration)}, longer than the {_hms(limit_s)} the service accepts",
            path=info.webpage_url or info.url,
            hint="Cut it into shorter parts first",
        )


def _hms(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def expand(info: SourceInfo, *, allow_playlist: bool, cookies: str | Path | None = None, timeout: float = 30) -> list[SourceInfo]:
    """The inputs a URL stands for: itself, or each entry of a playlist when ``allow_playlist``.
    A playlist without it is a usage error (exit 2): the URL is fine, the options are not.
    Entries whose duration the site did not give are probed (header only), with ``cookies``."""
    if not info.is_playlist:
        return [info]
    if not allow_playlist:
        raise UsageError(
            f"is a playlist of {len(info.entries)} videos",
            path=info.webpage_url or info.url,
            hint="Pass --playlist to process each video, or give the URL of one video",
            code="playlist",
        )
    if not info.entries:
        raise SourceError("the playlist is empty", path=info.webpage_url or info.url)
    for entry in info.entries:
        if entry.duration is None and entry.raw and entry.raw.get("_type", "video") == "video":
            entry.duration = _probe_duration(entry.raw, cookiefile=check_cookies(cookies), timeout=timeout)
    return list(info.entries)


def resolve(
    url: str,
    *,
    limit_s: float,
    allow_playlist: bool = False,
    cookies: str | Path | None = None,
    timeout: float = 30,
    retries: int = 3,
) -> list[SourceInfo]:
    """``inspect`` -> ``expand`` -> ``check_duration`` on each input: everything that can refuse a
    URL, done before a single byte of media is downloaded."""
    info = inspect(url, cookies=cookies, timeout=timeout, retries=retries)
    inputs = expand(info, allow_playlist=allow_playlist, cookies=cookies, timeout=timeout)
    for item in inputs:
        check_duration(item, limit_s=limit_s)
    return inputs
