"""A URL's own subtitles: which languages the platform offers (``offered``), and those files
downloaded by yt-dlp (``download_subtitles``), for ``--reuse``.

The platform's subtitles are its ``subtitles``; its machine captions (``automatic_captions``) are
offered only when asked (``--reuse-auto``). Only the formats subtool reads as they are count
(WebVTT, SRT, ASS), WebVTT first: it is what most platforms serve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Interrupted, SourceError
from .cookies import check_cookies
from .metadata import SourceInfo
from .ytdlp import Logger, options, source_error

READABLE = ("vtt", "srt", "ass")


def offered(info: SourceInfo, *, auto: bool) -> dict[str, tuple[str, str, bool]]:
    """The platform's subtitle tracks yt-dlp knows for ``info``: its language key -> (key, the
    format subtool would take, whether they are machine captions). Own subtitles win over captions."""
    raw = info.raw or {}
    out: dict[str, tuple[str, str, bool]] = {}
    kinds: list[tuple[Any, bool]] = [(raw.get("subtitles"), False)] + ([(raw.get("automatic_captions"), True)] if auto else [])
    for table, is_auto in kinds:
        for key, formats in (table or {}).items():
            exts = [f.get("ext") for f in formats or [] if isinstance(f, dict)]
            fmt = next((e for e in READABLE if e in exts), None)
            if fmt is not None and key not in out:
                out[key] = (key, fmt, is_auto)
    return out


def download_subtitles(info: SourceInfo, keys: dict[str, str], folder: Path, *, cookies: str | Path | None = None,
                       timeout: float = 30, retries: int = 3) -> dict[str, Path]:
    """Download the platform's subtitles ``keys`` (subtool's language -> the platform's key) into
    ``folder`` with yt-dlp (no media); the files by language. One that could not be downloaded is
    a ``SourceError``: the run counted on it instead of paying for it."""
    import yt_dlp

    cookiefile = check_cookies(cookies)
    opts = {
        **options(cookies=cookiefile, timeout=timeout, retries=retries), "logger": Logger(), "skip_download": True,
        "writesubtitles": True, "writeautomaticsub": True, "subtitleslangs": sorted(set(keys.values())),
        "subtitlesformat": "/".join(READABLE), "paths": {"home": str(folder), "temp": str(folder)},
        "outtmpl": {"default": "subtitles.%(ext)s"}, "noplaylist": True,
    }
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            done = ydl.process_ie_result(dict(info.raw or {}), download=True)
    except KeyboardInterrupt:
        raise Interrupted(f"{info.url}: interrupted while downloading its subtitles") from None
    except Exception as exc:  # yt-dlp raises many types; each becomes one line
        if isinstance(exc, SourceError):
            raise
        raise source_error(info.url, exc) from exc
    written = (done or {}).get("requested_subtitles") or {}
    out = {}
    for lang, key in keys.items():
        path = (written.get(key) or {}).get("filepath")
        if not path or not Path(path).is_file():
            raise SourceError(f"the platform's {key} subtitles could not be downloaded", path=info.webpage_url or info.url,
                              hint="Run again, or pass --no-reuse to transcribe that language instead")
        out[lang] = Path(path)
    return out
