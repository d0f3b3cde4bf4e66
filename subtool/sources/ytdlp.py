"""yt-dlp's plumbing: the options every call starts from, its messages routed to our logger, and
whatever it raises turned into one clear line (a ``SourceError``, exit 3, naming the URL).

yt-dlp is imported inside the functions, never at the top of a module: ``subtool --help`` and
``import subtool.sources`` stay fast (importing yt-dlp costs about 0.16 s, registering its
extractors more).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from ..errors import SourceError
from .urls import has_credentials, redact

log = logging.getLogger(__name__)

LOGIN_HINT = "Pass --cookies FILE (cookies.txt exported from a browser where you are logged in)"


class Logger:
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


def options(*, cookies: str | None, timeout: float, retries: int) -> dict[str, Any]:
    """yt-dlp's parameters for one call, without the logger (``Logger()``: added by the caller,
    since these must also travel to the download's process as JSON)."""
    return {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
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


def error_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception behind it (causes, contexts, and those yt-dlp keeps in its own
    ``exc_info`` and ``cause`` attributes), each once."""
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


def source_error(url: str, exc: BaseException) -> SourceError:
    """One clear line for whatever yt-dlp raised."""
    chain = list(error_chain(exc))
    found = _refusal(url, chain)
    if found is not None:
        return found
    # yt-dlp's own words without its "[site] id: " prefix, when an extractor raised.
    orig = next((getattr(cur, "orig_msg", None) for cur in chain if getattr(cur, "orig_msg", None)), None)
    message = _clean_message(str(orig or exc))
    if _LOGIN.search(message):
        return SourceError(f"login required ({message})", path=url, hint=LOGIN_HINT)
    found = _network_error(url, chain)
    if found is not None:
        return found
    if "cookie" in message.lower():
        return SourceError(f"cannot use the cookies file ({message})", hint="Export it again in Netscape cookies.txt format")
    return SourceError(f"cannot get the video ({message})", path=url)


def _refusal(url: str, chain: list[BaseException]) -> SourceError | None:
    """The first page without a video or HTTP error status in ``chain``, said in words."""
    from yt_dlp.networking.exceptions import HTTPError
    from yt_dlp.utils import UnsupportedError

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
    return None


def _network_error(url: str, chain: list[BaseException]) -> SourceError | None:
    """A host that did not answer, refused the connection or does not exist."""
    from yt_dlp.networking.exceptions import TransportError

    for cur in chain:
        text = str(cur).lower()
        if isinstance(cur, TimeoutError) or "timed out" in text:
            return SourceError("the site did not answer in time", path=url, hint="Check the network, or try again later")
        if isinstance(cur, ConnectionRefusedError) or "connection refused" in text:
            return SourceError("cannot reach the host (connection refused)", path=url, hint="Check the address and the network")
        if "name or service not known" in text or "name resolution" in text:
            return SourceError("cannot reach the host (unknown host name)", path=url, hint="Check the address and the network")
    for cur in chain:
        if isinstance(cur, TransportError):
            return SourceError(f"cannot reach the host ({_clean_message(str(cur))})", path=url, hint="Check the address and the network")
    return None
