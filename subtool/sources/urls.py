"""What counts as a URL, and the passwords URLs may carry.

A URL may carry a password (``http://user:pass@host/...``; yt-dlp sends it as HTTP basic
authentication). ``redact`` hides it wherever a URL is shown or stored (every ``SubtoolError``
passes its message through it), and ``service_url`` (``metadata``) never hands such a URL to the
service: its media are downloaded here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import SourceError


def is_url(text: str) -> bool:
    """True for an http(s) URL with a host (what yt-dlp is asked about); paths are not URLs."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


# The userinfo of a URL: up to the last "@" of its authority (a password may hold a raw "@").
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^\s/?#]*)@")


def redact(text: str) -> str:
    """``text`` with the password of every URL in it hidden: ``http://user:***@host/...``. A
    userinfo without a password may be a token (``https://TOKEN@host``): hidden whole."""

    def hide(m: re.Match[str]) -> str:
        user, sep, _password = m["info"].partition(":")
        return f"{m['scheme']}{user}:***@" if sep else f"{m['scheme']}***@"

    return _USERINFO.sub(hide, text) if "@" in text else text


def has_credentials(url: str | None) -> bool:
    """True when ``url`` carries a user name or password."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def refuse_other_schemes(text: str) -> None:
    """``ftp://...``, ``rtmp://...``, ``s3://...``: say so, rather than "file not found"."""
    scheme, sep, _rest = text.partition("://")
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) and not is_url(text) and not Path(text).exists():
        raise SourceError(f"{scheme}:// links are not supported", path=text, hint="Give an http(s) URL, or download the file first")


def require_url(url: str) -> None:
    """Refuse anything but an http(s) URL, before yt-dlp is asked about it."""
    if not is_url(url):
        raise SourceError("not an http(s) URL", path=url, hint="Give a web address starting with https://")
