"""Transcription results kept under the user's cache folder, so a rerun costs no API call.

An entry is keyed by the sha256 of the audio actually sent (or of the URL, when a URL is sent),
the options that change the result, and the engine (with its model). The API key is never part
of the key nor of an entry. Entries are written atomically; a corrupt entry counts as a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .errors import SubtoolError
from .models import Transcript
from .outputs import write_text

SCHEMA = "subtool.cache/1"


def cache_dir() -> Path:
    """``SUBTOOL_CACHE_DIR``, else the platform's user cache folder for subtool."""
    env = os.environ.get("SUBTOOL_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("subtool")) / "transcripts"


def file_digest(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_key(source: str | Path, options: dict[str, Any], engine: str) -> str:
    """The entry name for ``source`` (a local file, hashed by content, or a URL) sent to
    ``engine`` with ``options`` (only what changes the result; no secrets)."""
    text = str(source)
    content = f"url:{text}" if text.startswith(("http://", "https://")) else f"sha256:{file_digest(source)}"
    # subtool's version too: a newer release may turn the same audio into a different transcript
    # (word timing, decoding settings), and must not be served an older one.
    from . import __version__

    doc = json.dumps({"audio": content, "options": options, "engine": engine, "subtool": __version__}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / key[:2] / f"{key}.json"


def load(key: str) -> tuple[Transcript, list[dict[str, Any]]] | None:
    """The cached transcript and the service's raw answers, or None."""
    path = _path(key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA:
            return None
        return Transcript.from_dict(data["transcript"]), list(data.get("raw") or [])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: str, transcript: Transcript, raw: list[dict[str, Any]] | None = None) -> Path | None:
    """Save an entry; a cache that cannot be written is not an error (the result is in hand)."""
    doc = {"schema": SCHEMA, "transcript": transcript.to_dict(), "raw": raw or []}
    with contextlib.suppress(OSError, SubtoolError):  # a full disk, a folder that cannot be made
        return write_text(_path(key), json.dumps(doc, ensure_ascii=False), force=True)
    return None
