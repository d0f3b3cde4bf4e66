"""HTML for the preview pages: one document, its style and script inline, every value escaped.

A page is one file a reviewer can mail or open from a share: its script and style are package
data (``assets/``) put inside the document, the WebVTT of each track is a ``data:`` URL (Chromium
refuses a ``<track>`` read from a ``file:`` URL, and a page opened from a share has no server).
Every value from outside (cue texts, file names, messages) goes through ``html.escape`` (text and
attributes) or ``json_block`` (``<``, ``>``, ``&`` as JSON escapes, so no ``</script>`` can end the
block). The document also carries a Content-Security-Policy that allows only its own script and
style (by their SHA-256), media from the page's own origin or ``data:``, and nothing else: even a
text that slipped through escaping could run no code and reach no network, and the page makes no
request beyond its video.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import string
import urllib.parse
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


def h(value: object) -> str:
    """``value`` as HTML text or a quoted attribute's value."""
    return html.escape(str(value), quote=True)


@cache
def asset(name: str) -> str:
    """One of the package's page assets (``assets/<name>``)."""
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def json_block(element_id: str, data: Any) -> str:
    """``data`` as a JSON data block the page (and ``read_json_block``) can read; never executed."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{h(element_id)}">{text}</script>'


def read_json_block(document: str, element_id: str) -> Any:
    """The data ``json_block`` wrote into ``document`` (None when it is not there or not JSON)."""
    start_tag = f'<script type="application/json" id="{h(element_id)}">'
    start = document.find(start_tag)
    if start < 0:
        return None
    end = document.find("</script>", start)
    try:
        return json.loads(document[start + len(start_tag):end])
    except ValueError:
        return None


def data_url(mime: str, text: str) -> str:
    return f"data:{mime};charset=utf-8;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def href(target: str | Path, folder: Path) -> str:
    """A link from a page in ``folder`` to ``target``: relative, each part percent-encoded (a
    ``#``, ``?`` or space in a file name is not a fragment, a query or a break)."""
    target_path = Path(target).absolute()
    try:
        rel = os.path.relpath(target_path, folder.absolute())
    except ValueError:  # another drive (Windows): an absolute file URL
        return target_path.as_uri()
    return "/".join(urllib.parse.quote(part, safe="") for part in Path(rel).parts)


def timestamp(seconds: float) -> str:
    """``01:02:03.456``, as the page shows cue times."""
    ms = max(0, round(seconds * 1000))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def document(*, title: str, body: str, style: str, script: str, media: bool = False, lang: str = "en") -> str:
    """The whole HTML document: ``body`` (already escaped), ``style`` and ``script`` inline,
    under a policy that allows only them (see the module docstring)."""
    policy = [
        "default-src 'none'",
        f"script-src {_sha256(script)}",
        f"style-src {_sha256(style)}",
        "img-src data:",
        *(["media-src 'self' data:"] if media else []),
        "base-uri 'none'",
        "form-action 'none'",
    ]
    page = string.Template(asset("document.html"))
    return page.substitute(lang=h(lang), title=h(title), policy=h("; ".join(policy)), style=style, body=body, script=script)
