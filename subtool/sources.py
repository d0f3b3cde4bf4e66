"""Online-platform URLs -> metadata and local media, through yt-dlp's Python API.

The flow is ``inspect`` (metadata only, no media body) -> ``expand`` (refuse or split playlists) ->
``check_duration`` (before anything is downloaded) -> ``download`` (a format the delivery can use
without re-encoding, written atomically into the destination folder). ``resolve`` does the first
three in one call; ``duration_limit`` says which limit applies (120 min for a YouTube URL the
service fetches itself, else 135).

Every failure becomes a ``SourceError`` (exit 3) with one line naming the URL, except a playlist
given without ``allow_playlist``, which is a ``UsageError`` (exit 2): the URL is fine, the options
are not. yt-dlp is imported inside the functions so that ``subtool --help`` stays fast.

A download is bounded: a server that streams without end once filled 35 GB of a temporary folder
in 80 s, and one that trickled 16 bytes every 2 s kept a run waiting for hours. So ``download``
stops at ``max_bytes`` (``DEFAULT_MAX_DOWNLOAD``, 8 GB: eight times the service's 1000 MB upload
limit, room for its 135-minute limit of video at about 8 Mbit/s, a high 1080p bitrate), at the
size the site announced plus ``ANNOUNCED_MARGIN`` (sizes computed from bitrates are that far off),
when the disk holding it gets down to ``DISK_RESERVE``, and when less than ``STALL_BYTES`` arrived in
``stall_timeout`` seconds (60 s, or ``SUBTOOL_DOWNLOAD_STALL_TIMEOUT``). yt-dlp reads in blocks
and calls its progress hook only when a block is full, so a trickle never reaches the hook: the
download runs in its own thread, watched from the caller's, which gives up on it (and raises an
exception inside it to end it) when it stalls. ``socket_timeout`` alone covers a dead socket, not
a trickle. A download the caller keeps (the video a mux reads) goes to a ``scratch_folder`` on the
outputs' disk, whose free space was checked, not into the temporary folder.

A URL may carry a password (``http://user:pass@host/...``; yt-dlp sends it as HTTP basic
authentication). ``redact`` hides it wherever a URL is shown or stored, and ``service_url`` never
hands such a URL to the service: its media are downloaded here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from .errors import Interrupted, OutputExistsError, SourceError, UsageError
from .outputs import TEMP_MARK, safe_filename
from .redaction import has_credentials, redact

log = logging.getLogger(__name__)

Prefer = Literal["mkv", "mp4", "webm", "any"]
ProgressCallback = Callable[[float, float | None], None]

# Gladia fetches YouTube URLs itself only up to 120 minutes; files it receives, up to 135.

LOGIN_HINT = "Pass --cookies FILE (cookies.txt exported from a browser where you are logged in)"

# Download bounds (see the module docstring for the reasons and the figures).
DEFAULT_MAX_DOWNLOAD = 8 * 1000**3
ANNOUNCED_MARGIN = (1.5, 10 * 1000**2)  # x1.5 + 10 MB over the size the site announced
DISK_RESERVE = 64 * 1000**2
STALL_TIMEOUT_S = 60.0
STALL_ENV = "SUBTOOL_DOWNLOAD_STALL_TIMEOUT"
STALL_BYTES = 64 * 1024


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


def is_url(text: str) -> bool:
    """True for an http(s) URL with a host (what yt-dlp is asked about); paths are not URLs."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


# The userinfo of a URL: up to the last "@" of its authority (a password may hold a raw "@").
def refuse_other_schemes(text: str) -> None:
    """``ftp://...``, ``rtmp://...``, ``s3://...``: say so, rather than "file not found"."""
    scheme, sep, _rest = text.partition("://")
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) and not is_url(text) and not Path(text).exists():
        raise SourceError(f"{scheme}:// links are not supported", path=text, hint="Give an http(s) URL, or download the file first")


# -- yt-dlp plumbing ---------------------------------------------------------------------------


class _Logger:
    """yt-dlp writes nothing on stdout: its messages go to our logger (-v shows them)."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", redact(msg))

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", redact(msg))

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", redact(msg))

    def error(self, msg: str) -> None:
        self.errors.append(msg)
        log.debug("yt-dlp: %s", redact(msg))


def _check_cookies(cookies: str | Path | None) -> str | None:
    """A readable Netscape cookies.txt, checked before any request (yt-dlp would only print
    warnings on stderr for bad lines, then go on without them)."""
    if cookies is None:
        return None
    path = Path(cookies)
    hint = "Export the cookies again in Netscape cookies.txt format (a browser extension such as 'Get cookies.txt')"
    if not path.is_file():
        raise SourceError("cookies file not found", path=path, hint="Check the path given to --cookies")
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        raise SourceError(f"cannot read the cookies file ({exc.strerror})", path=path, hint="Check its permissions") from exc
    if text.lstrip().startswith(("{", "[")):
        raise SourceError("is a JSON cookies export, not a Netscape cookies.txt file", path=path, hint=hint)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or (line.startswith("#") and not line.startswith("#HttpOnly_")):
            continue
        if len(line.split("\t")) != 7:
            raise SourceError(f"line {number} is not a Netscape cookies.txt entry (7 tab-separated fields)", path=path, hint=hint)
    return str(path)


def _options(*, cookies: str | None, timeout: float, retries: int) -> dict[str, Any]:
    return {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": _Logger(),
        "socket_timeout": timeout,
        "retries": retries,
        "fragment_retries": retries,
        "extractor_retries": retries,
        "file_access_retries": 0,
        "cookiefile": cookies,
        # Only the URL itself: no cache of player code, no user config, no extra files.
        "cachedir": False,
        "noplaylist": False,
        "color": {"stdout": "no_color", "stderr": "no_color"},
    }


def _clean_message(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    text = re.sub(r"^(ERROR|WARNING):\s*", "", text.strip())
    text = re.sub(r"^\[[^\]]+\]\s*", "", text)  # "[generic] "
    text = re.sub(r"\s*\(caused by .*\)\s*$", "", text)
    text = text.split("; please report this issue")[0]
    return " ".join(text.split()).rstrip(".")


def _error_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        exc_info = getattr(cur, "exc_info", None)
        if isinstance(exc_info, tuple) and len(exc_info) > 1 and isinstance(exc_info[1], BaseException):
            todo.append(exc_info[1])
        cause = getattr(cur, "cause", None)
        if isinstance(cause, BaseException):
            todo.append(cause)
        todo.extend([cur.__cause__, cur.__context__])


_LOGIN = re.compile(r"--cookies|sign in|log ?in|registered users|private video|members[- ]only|age[- ]restricted", re.I)


def _source_error(url: str, exc: BaseException) -> SourceError:
    """One clear line for whatever yt-dlp raised."""
    from yt_dlp.networking.exceptions import HTTPError, TransportError
    from yt_dlp.utils import UnsupportedError

    chain = list(_error_chain(exc))
    for cur in chain:
        if isinstance(cur, UnsupportedError):
            return SourceError(
                "no video found at this URL", path=url, hint="Check the address: it must be a page with a video, or a media file"
            )
        if isinstance(cur, HTTPError):
            status = cur.status
            if status == 401 and has_credentials(url):
                return SourceError("access refused (HTTP 401)", path=url, hint="Check the user name and password in the URL")
            if status in (401, 403):
                return SourceError(f"access refused (HTTP {status})", path=url, hint=LOGIN_HINT)
            if status == 404:
                return SourceError("not found (HTTP 404)", path=url, hint="Check the address")
            return SourceError(f"the site answered HTTP {status} {cur.reason or ''}".strip(), path=url, hint="Try again later")
    # yt-dlp's own words without its "[site] id: " prefix, when an extractor raised.
    orig = next((getattr(cur, "orig_msg", None) for cur in chain if getattr(cur, "orig_msg", None)), None)
    message = _clean_message(str(orig or exc))
    if _LOGIN.search(message):
        return SourceError(f"login required ({message})", path=url, hint=LOGIN_HINT)
    for cur in chain:
        if isinstance(cur, TimeoutError) or "timed out" in str(cur).lower():
            return SourceError("the site did not answer in time", path=url, hint="Check the network, or try again later")
        if isinstance(cur, ConnectionRefusedError) or "connection refused" in str(cur).lower():
            return SourceError("cannot reach the host (connection refused)", path=url, hint="Check the address and the network")
        if "name or service not known" in str(cur).lower() or "name resolution" in str(cur).lower():
            return SourceError("cannot reach the host (unknown host name)", path=url, hint="Check the address and the network")
    for cur in chain:
        if isinstance(cur, TransportError):
            return SourceError(f"cannot reach the host ({_clean_message(str(cur))})", path=url, hint="Check the address and the network")
    if "cookie" in message.lower():
        return SourceError(f"cannot use the cookies file ({message})", hint="Export it again in Netscape cookies.txt format")
    return SourceError(f"cannot get the video ({message})", path=url)


# -- inspect ----------------------------------------------------------------------------------


def inspect(url: str, *, cookies: str | Path | None = None, timeout: float = 30, retries: int = 3) -> SourceInfo:
    """Metadata of ``url`` (title, duration, playlist entries), without downloading the media.

    When yt-dlp knows no duration (a direct media link, a page with a ``<video>`` tag), the media's
    header is read with ffprobe so that the duration limit can still be checked before a download.
    """
    if not is_url(url):
        raise SourceError("not an http(s) URL", path=url, hint="Give a web address starting with https://")
    cookiefile = _check_cookies(cookies)
    import yt_dlp

    opts = _options(cookies=cookiefile, timeout=timeout, retries=retries)
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
        raise _source_error(url, exc) from exc
    if not isinstance(raw, dict):
        raise SourceError("no video found at this URL", path=url, hint="Check the address")
    info = _to_info(raw, url)
    if info.duration is None and not info.is_playlist:
        info.duration = _probe_duration(raw, cookiefile=cookiefile, timeout=timeout)
    return info


def _to_info(raw: dict[str, Any], url: str, *, entry: bool = False) -> SourceInfo:
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
                    entries.append(_to_info(item, item_url, entry=True))
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
    from .media.ffmpeg import run_ffprobe

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
        cookies = _cookie_lines(cookiefile, media_url)
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


def _cookie_lines(cookiefile: str | None, url: str) -> str:
    if not cookiefile:
        return ""
    from yt_dlp.cookies import YoutubeDLCookieJar

    jar = YoutubeDLCookieJar(cookiefile)
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except Exception as exc:  # noqa: BLE001 - yt-dlp already read this file; be lenient here
        log.debug("cannot read cookies %s: %s", cookiefile, exc)
        return ""
    return "".join(f"{c.name}={c.value}; path={c.path}; domain={c.domain};\r\n" for c in jar.get_cookies_for_url(url))


# -- checks -----------------------------------------------------------------------------------




def service_url(info: SourceInfo) -> str | None:
    """The URL the transcription service can fetch for ``info`` by itself: the page of a platform
    it knows, or the media file's own URL (a direct link, a ``<video>`` on a page). None when only
    yt-dlp can get at the media, or when the URL (or the page's) carries a password, which is
    never handed to a third party: the media are then downloaded here."""
    if has_credentials(info.url) or has_credentials(info.webpage_url):
        return None
    found: str | None = None
    media = (info.raw or {}).get("url")
    from .engines.gladia import service

    if info.platform in service.PLATFORMS:
        found = info.webpage_url or info.url
    elif info.direct_media_url:
        found = info.direct_media_url
    elif info.extractor == "HTML5MediaEmbed" and isinstance(media, str) and is_url(media):
        found = media
    return None if has_credentials(found) else found


def duration_limit(info: SourceInfo, *, service_fetches_url: bool) -> float:
    """The longest media the service takes: 120 min for a YouTube URL it fetches, else 135."""
    from .engines.gladia import service

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
            entry.duration = _probe_duration(entry.raw, cookiefile=_check_cookies(cookies), timeout=timeout)
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


# -- download ---------------------------------------------------------------------------------


def _format_options(prefer: str, audio_only: bool) -> dict[str, Any]:
    """Formats the delivery can use as they are (stream copy), best first."""
    if audio_only:
        return {"format": "ba/b", "format_sort": ["acodec:opus", "abr"] if prefer in ("mkv", "webm") else ["acodec:aac", "abr"]}
    if prefer == "mp4":
        return {
            "format": "bv*[ext=mp4]+ba[ext=m4a]/b[ext=mp4]/bv*+ba/b",
            "format_sort": ["vcodec:h264", "acodec:aac", "ext:mp4:m4a"],
            "merge_output_format": "mp4/mkv",
        }
    if prefer == "webm":
        return {
            "format": "bv*[ext=webm]+ba[ext=webm]/b[ext=webm]/bv*+ba/b",
            "format_sort": ["vcodec:vp9", "acodec:opus", "ext:webm:webm"],
            "merge_output_format": "webm/mkv",
        }
    if prefer == "mkv":
        return {"format": "bv*+ba/b", "merge_output_format": "mkv"}
    if prefer == "any":
        return {"format": "bv*+ba/b"}
    raise UsageError(f"unknown download preference {prefer!r}", hint="Use mkv, mp4, webm or any")


def download(
    info_or_url: SourceInfo | str,
    dest_dir: str | Path,
    *,
    prefer: Prefer | str = "mkv",
    audio_only: bool = False,
    cookies: str | Path | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    timeout: float = 30,
    retries: int = 3,
    force: bool = False,
    max_bytes: int | None = None,
    stall_timeout: float | None = None,
) -> Path:
    """Download the media into ``dest_dir`` as ``<stem>.<ext>`` and return its path.

    yt-dlp works in a hidden folder inside ``dest_dir``; the finished file is renamed into place,
    and the folder (``.part`` files, fragments) is removed whatever happens, so a failed or
    interrupted download leaves nothing behind. ``on_progress(done_bytes, total_bytes|None)``,
    called from the download's own thread. ``max_bytes`` (default ``DEFAULT_MAX_DOWNLOAD``) and
    ``stall_timeout`` (seconds; default ``SUBTOOL_DOWNLOAD_STALL_TIMEOUT`` or 60) bound it: past
    them it stops with a ``SourceError`` saying which.
    """
    fmt_opts = _format_options(prefer, audio_only)
    stall_s = stall_timeout if stall_timeout is not None else _stall_timeout()
    cookiefile = _check_cookies(cookies)
    info = info_or_url if isinstance(info_or_url, SourceInfo) else None
    url = info.url if info else str(info_or_url)
    if info is not None and info.is_playlist:
        raise UsageError("is a playlist", path=url, hint="Download each entry of expand(info, allow_playlist=True)")
    if info is None and not is_url(url):
        raise SourceError("not an http(s) URL", path=url, hint="Give a web address starting with https://")
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    if info is not None:
        _refuse_existing(dest, info.stem, force=force)

    from yt_dlp.utils import DownloadCancelled

    with _work_dir(dest) as work:
        transfer = _Transfer(
            url, work, max_bytes=DEFAULT_MAX_DOWNLOAD if max_bytes is None else max_bytes, stall_s=stall_s, cancel=cancel, on_progress=on_progress,
        )
        opts = _options(cookies=cookiefile, timeout=timeout, retries=retries)
        opts.update(fmt_opts)
        opts.update(
            {
                "noplaylist": True,
                "paths": {"home": str(work), "temp": str(work)},
                "outtmpl": {"default": "media.%(ext)s"},
                "progress_hooks": [transfer.hook],
                "postprocessor_hooks": [transfer.postprocessor_hook],
                "overwrites": True,
                "continuedl": False,
            }
        )
        try:
            done = transfer.run(lambda: _run_download(opts, info, url, transfer))
        except KeyboardInterrupt:
            raise Interrupted(f"{url}: download interrupted") from None
        except (DownloadCancelled, _Stop):
            if transfer.problem is not None:
                raise transfer.problem from None
            raise Interrupted(f"{url}: download cancelled") from None
        except Exception as exc:  # yt-dlp raises many types; each becomes one line
            if transfer.problem is not None:
                raise transfer.problem from None
            if cancel is not None and cancel.is_set():
                raise Interrupted(f"{url}: download cancelled") from None
            if isinstance(exc, SourceError):
                raise
            raise _source_error(url, exc) from exc
        produced = _produced_file(done, work)
        if produced is None:
            raise SourceError("the download produced no file", path=url)
        if info is None:
            info = _to_info(done if isinstance(done, dict) else {}, url)
        target = dest / f"{info.stem}{produced.suffix}"
        if target.exists() and not force:
            raise OutputExistsError(target)
        os.replace(produced, target)
    return target


def _stall_timeout() -> float:
    text = os.environ.get(STALL_ENV, "").strip()
    if not text:
        return STALL_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{STALL_ENV}={text!r} is not a number of seconds", hint="Unset it, or give e.g. 60") from None
    if not value > 0:
        raise UsageError(f"{STALL_ENV}={text!r} must be more than 0 seconds", hint="Unset it, or give e.g. 60")
    return value


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n < 1e9 else f"{n / 1e9:.2f} GB"


class _Stop(BaseException):
    """Raised inside the download's thread to end it (a BaseException, so that yt-dlp's
    ``except Exception`` clauses let it through)."""


class _Transfer:
    """One download, run in its own thread and watched from the caller's: its size against the
    limits, the free disk, its progress against the stall timeout, Ctrl-C and ``cancel``."""

    def __init__(
        self, url: str, work: Path, *, max_bytes: int, stall_s: float, cancel: threading.Event | None, on_progress: ProgressCallback | None
    ) -> None:
        self.url = url
        self.work = work
        self.max_bytes = max_bytes
        self.stall_s = stall_s
        self.cancel = cancel
        self.on_progress = on_progress
        self.problem: SourceError | None = None
        self.stopping = False
        self.lock = threading.Lock()
        self.files: dict[str, float] = {}  # bytes per file (a video and an audio stream: two)
        self.received = 0.0
        self.mark = 0.0  # bytes received when progress was last seen
        self.last = time.monotonic()
        self.busy_locally = False  # yt-dlp's ffmpeg is merging: no bytes to expect
        self.disk_checked = 0.0

    # in the download's thread ---------------------------------------------------------------

    def touch(self) -> None:
        with self.lock:
            self.last = time.monotonic()
            self.mark = self.received

    def hook(self, status: dict[str, Any]) -> None:
        from yt_dlp.utils import DownloadCancelled

        if self.stopping or (self.cancel is not None and self.cancel.is_set()):
            raise DownloadCancelled("cancelled")
        name = str(status.get("tmpfilename") or status.get("filename") or "")
        got = float(status.get("downloaded_bytes") or 0)
        now = time.monotonic()
        with self.lock:
            self.files[name] = got
            self.received = sum(self.files.values())
            if self.received - self.mark >= STALL_BYTES or status.get("status") == "finished":
                self.last, self.mark = now, self.received
        if status.get("status") != "downloading":
            return
        fmt = status.get("info_dict") or {}
        length = status.get("total_bytes")  # the server's Content-Length: the HTTP layer holds to it
        announced = length or fmt.get("filesize") or fmt.get("filesize_approx") or status.get("total_bytes_estimate")
        if isinstance(length, int | float) and length > self.max_bytes:
            self._fail(f"the server announces {_mb(length)}, more than the --max-download limit of {_mb(self.max_bytes)}", limit=True)
        if self.received > self.max_bytes:
            self._fail(f"the download passed the --max-download limit of {_mb(self.max_bytes)}; stopped", limit=True)
        if not length and isinstance(announced, int | float) and announced > 0:
            allowed = announced * ANNOUNCED_MARGIN[0] + ANNOUNCED_MARGIN[1]
            if got > allowed:
                self._fail(f"the download passed {_mb(got)}, far more than the {_mb(announced)} the site announced; stopped")
        if now - self.disk_checked >= 1.0:
            self.disk_checked = now
            free = shutil.disk_usage(self.work).free
            if free < DISK_RESERVE:
                self._fail(
                    f"the disk holding {self.work.parent} is nearly full ({_mb(free)} left) after {_mb(self.received)} of the download; stopped",
                    hint="Free some space, or write elsewhere with -d",
                )
        if self.on_progress is not None:
            size = length or announced
            self.on_progress(got, float(size) if isinstance(size, int | float) and size > 0 else None)

    def postprocessor_hook(self, status: dict[str, Any]) -> None:
        # yt-dlp's ffmpeg merges the video and audio streams: no bytes arrive meanwhile.
        with self.lock:
            self.busy_locally = status.get("status") in ("started", "processing")
            self.last = time.monotonic()

    def _fail(self, message: str, *, limit: bool = False, hint: str | None = None) -> None:
        from yt_dlp.utils import DownloadCancelled

        if limit and hint is None:
            hint = "Pass --max-download SIZE if the video really is that large"
        self.problem = SourceError(message, path=self.url, hint=hint)
        self.stopping = True
        raise DownloadCancelled(message)

    # in the caller's thread -------------------------------------------------------------------

    def run(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` in a thread of its own; its result, or what it raised, or the reason it was
        stopped (``problem``)."""
        box: dict[str, Any] = {}
        gate = threading.Lock()

        def target() -> None:
            try:
                try:
                    box["result"] = fn()
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    box["error"] = exc
                with gate:
                    box["finished"] = True
            except _Stop as exc:  # the stop landed after fn returned
                box.setdefault("error", exc)

        thread = threading.Thread(target=target, name="subtool-download", daemon=True)
        self.touch()
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)
                if not thread.is_alive():
                    break
                if self.cancel is not None and self.cancel.is_set():
                    self._end(thread, gate, box)
                    break
                with self.lock:
                    idle = 0.0 if self.busy_locally else time.monotonic() - self.last
                    received = self.received
                if idle > self.stall_s:
                    self.problem = SourceError(
                        f"the download stalled: less than {STALL_BYTES // 1024} KB arrived in {self.stall_s:g} s "
                        f"({_mb(received)} received); stopped",
                        path=self.url,
                        hint="Check the network, or try again later",
                    )
                    self._end(thread, gate, box)
                    break
        except KeyboardInterrupt:
            self._end(thread, gate, box)
            raise
        if self.problem is not None:
            raise self.problem
        if "error" in box:
            raise box["error"]
        if "result" not in box:  # stopped (cancel) before it finished
            from yt_dlp.utils import DownloadCancelled

            raise DownloadCancelled("cancelled")
        return box["result"]

    def _end(self, thread: threading.Thread, gate: threading.Lock, box: dict[str, Any]) -> None:
        """Stop the download's thread: its next progress call raises, and ``_Stop`` is raised in
        it now (it lands as soon as its blocked read returns). Waited for a moment only: a read
        on a dead socket ends with the socket timeout, and the work folder goes anyway."""
        import ctypes

        self.stopping = True
        with gate:
            if not box.get("finished") and thread.ident is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Stop))
        thread.join(5)
        if thread.is_alive():
            log.debug("%s: the download's thread is still in a read; left to end with its socket timeout", redact(self.url))


def _run_download(opts: dict[str, Any], info: SourceInfo | None, url: str, transfer: _Transfer) -> Any:
    import yt_dlp
    from yt_dlp.networking.exceptions import HTTPError
    from yt_dlp.utils import DownloadError

    raw = info.raw if info is not None else None
    if raw is not None and raw.get("_type", "video") == "video":
        # Formats in hand: no site is asked again, so yt-dlp's ~1800 extractors need not be
        # registered (a quarter of a second saved).
        try:
            with yt_dlp.YoutubeDL(opts, auto_init=False) as ydl:
                return ydl.process_ie_result(dict(raw), download=True)
        except DownloadError as exc:
            expired = any(isinstance(e, HTTPError) and e.status in (403, 410) for e in _error_chain(exc))
            if not expired:
                raise
            log.debug("%s: media links from the metadata expired (%s); asking the site again", redact(url), redact(str(exc)))
        # Signed media links (YouTube's) expire: fall through to a fresh extraction.
        transfer.touch()
    with yt_dlp.YoutubeDL(opts) as ydl:
        if raw is not None and raw.get("_type") == "url":
            return ydl.process_ie_result(dict(raw), download=True)
        return ydl.extract_info(url, download=True)


_MEDIA_EXTS = (".mkv", ".mp4", ".webm", ".m4a", ".mp3", ".opus", ".ogg", ".wav", ".mov", ".flac", ".aac")


def _refuse_existing(dest: Path, stem: str, *, force: bool) -> None:
    """Before downloading: the extension is only known afterwards, so any media under that stem
    counts (checked again at the rename)."""
    if force:
        return
    for ext in _MEDIA_EXTS:
        if (dest / f"{stem}{ext}").exists():
            raise OutputExistsError(dest / f"{stem}{ext}")


@contextlib.contextmanager
def scratch_folder(near: str | Path) -> Iterator[Path]:
    """A hidden folder in ``near`` for a download that is needed after ``download`` returns (the
    video a mux reads): on the disk the outputs go to, whose free space was checked, rather than
    in the temporary folder (often a small tmpfs). Removed afterwards, with the folders it had to
    make when they stayed empty."""
    from .outputs import make_folder

    folder = Path(near).absolute()
    made: list[Path] = []  # deepest first
    cur = folder
    while not cur.exists() and cur != cur.parent:
        made.append(cur)
        cur = cur.parent
    make_folder(folder)
    work = Path(tempfile.mkdtemp(prefix=".download.", suffix=TEMP_MARK, dir=folder))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for path in made:
            try:
                path.rmdir()
            except OSError:
                break


@contextlib.contextmanager
def _work_dir(dest: Path) -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix=".download.", suffix=TEMP_MARK, dir=dest))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _produced_file(done: Any, work: Path) -> Path | None:
    if isinstance(done, dict):
        for item in done.get("requested_downloads") or []:
            path = item.get("filepath")
            if path and Path(path).is_file():
                return Path(path)
    files = [p for p in work.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl", ".temp"))]
    return files[0] if len(files) == 1 else None
