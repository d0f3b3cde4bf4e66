"""Secrets in URLs are never shown or stored: ``http://user:pass@host/...`` reads
``http://user:***@host/...`` in every error, note, report, state and transcript.

A foundation module (it imports nothing of subtool's): errors redact their message, path and hint
as they are made, so no line, report or state row can carry a URL's password.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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
