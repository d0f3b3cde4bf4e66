"""The cookies file given with ``--cookies`` (a Netscape cookies.txt): checked before any request,
and read into the cookie lines ffprobe sends when it reads a media header.

yt-dlp only prints warnings on stderr for the bad lines of a cookies file, then goes on without
them, so a file exported in the wrong format would fail later as "login required"; it is refused
here with the line that is wrong.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import SourceError

log = logging.getLogger(__name__)

_FORMAT_HINT = "Export the cookies again in Netscape cookies.txt format (a browser extension such as 'Get cookies.txt')"


def check_cookies(cookies: str | Path | None) -> str | None:
    """The path of a readable Netscape cookies.txt (as yt-dlp's ``cookiefile`` takes it), or None."""
    if cookies is None:
        return None
    path = Path(cookies)
    if not path.is_file():
        raise SourceError("cookies file not found", path=path, hint="Check the path given to --cookies")
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        raise SourceError(f"cannot read the cookies file ({exc.strerror})", path=path, hint="Check its permissions") from exc
    if text.lstrip().startswith(("{", "[")):
        raise SourceError("is a JSON cookies export, not a Netscape cookies.txt file", path=path, hint=_FORMAT_HINT)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or (line.startswith("#") and not line.startswith("#HttpOnly_")):
            continue
        if len(line.split("\t")) != 7:
            raise SourceError(f"line {number} is not a Netscape cookies.txt entry (7 tab-separated fields)", path=path, hint=_FORMAT_HINT)
    return str(path)


def cookie_lines(cookiefile: str | None, url: str) -> str:
    """The cookies of ``cookiefile`` that apply to ``url``, as ffmpeg's ``-cookies`` option takes
    them (scoped by domain and path, as yt-dlp's ffmpeg downloader does)."""
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
