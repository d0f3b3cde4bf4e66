"""What counts as a URL, and the passwords URLs may carry.

A URL may carry a password (``http://user:pass@host/...``; yt-dlp sends it as HTTP basic
authentication). ``redact`` (``subtool.redaction``, re-exported here) hides it wherever a URL is
shown or stored (every ``SubtoolError`` passes its message through it), and ``service_url``
(``metadata``) never hands such a URL to the service: its media are downloaded here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import SourceError
from ..redaction import has_credentials, redact

__all__ = ["has_credentials", "is_url", "redact", "refuse_other_schemes", "require_url"]


def is_url(text: str) -> bool:
    """True for an http(s) URL with a host (what yt-dlp is asked about); paths are not URLs."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def refuse_other_schemes(text: str) -> None:
    """``ftp://...``, ``rtmp://...``, ``s3://...``: say so, rather than "file not found"."""
    scheme, sep, _rest = text.partition("://")
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) and not is_url(text) and not Path(text).exists():
        raise SourceError(f"{scheme}:// links are not supported", path=text, hint="Give an http(s) URL, or download the file first")


def require_url(url: str) -> None:
    """Refuse anything but an http(s) URL, before yt-dlp is asked about it."""
    if not is_url(url):
        raise SourceError("not an http(s) URL", path=url, hint="Give a web address starting with https://")
