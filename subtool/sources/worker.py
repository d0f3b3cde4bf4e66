"""The download's own process: yt-dlp run on one request, everything it does reported to the
parent (``transfer``), which decides when to stop it.

Run as ``python -P -m subtool.sources.worker``. It reads one JSON request on stdin (``url``,
yt-dlp's ``options``, the ``raw`` info dict ``inspect`` got, the parent's ``log_level``) and writes
one JSON object per line on its stdout: ``ready`` (yt-dlp imported), ``progress`` (each call of
yt-dlp's progress hook), ``busy`` (yt-dlp's ffmpeg merging streams), ``restart`` (signed media
links expired: asking the site again), ``log`` (yt-dlp's messages), then ``done`` (yt-dlp's
sanitized info dict) or ``error`` (one clear line). Nothing else may reach that stdout: fd 1 is
pointed at stderr once the channel has its own copy of it.

The worker holds nothing the parent needs cleaned up: it writes only into the work folder the
parent removes. When the parent goes away without stopping it (killed outright), its stdin
closes, and the worker ends its process group (itself, and an ffmpeg yt-dlp may be running).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from ..errors import SourceError
from .ytdlp import error_chain, source_error

Send = Callable[[dict[str, Any]], None]


class _ForwardingLogger:
    """yt-dlp's messages, sent to the parent, which logs them (-v shows them); only those its
    log level shows."""

    def __init__(self, send: Send, level: int) -> None:
        self.send = send
        self.level = level

    def _forward(self, level: int, msg: str) -> None:
        if level >= self.level:
            self.send({"log": [level, msg]})

    def debug(self, msg: str) -> None:
        self._forward(logging.DEBUG, msg)

    def info(self, msg: str) -> None:
        self._forward(logging.DEBUG, msg)

    def warning(self, msg: str) -> None:
        self._forward(logging.INFO, msg)

    def error(self, msg: str) -> None:
        self._forward(logging.DEBUG, msg)


def _progress_hook(send: Send) -> Callable[[dict[str, Any]], None]:
    def hook(status: dict[str, Any]) -> None:
        fmt = status.get("info_dict") or {}
        length = status.get("total_bytes")  # the server's Content-Length: the HTTP layer holds to it
        announced = length or fmt.get("filesize") or fmt.get("filesize_approx") or status.get("total_bytes_estimate")
        send(
            {
                "progress": {
                    "file": str(status.get("tmpfilename") or status.get("filename") or ""),
                    "got": float(status.get("downloaded_bytes") or 0),
                    "status": status.get("status"),
                    "length": length if isinstance(length, int | float) else None,
                    "announced": announced if isinstance(announced, int | float) else None,
                }
            }
        )

    return hook


def download(request: dict[str, Any], send: Send) -> Any:
    """yt-dlp's download of ``request["url"]``; its info dict when it is done."""
    import yt_dlp
    from yt_dlp.networking.exceptions import HTTPError
    from yt_dlp.utils import DownloadError

    send({"ready": True})
    url = str(request["url"])
    raw = request.get("raw")
    opts = {
        **request["options"],
        "logger": _ForwardingLogger(send, int(request.get("log_level", logging.WARNING))),
        "progress_hooks": [_progress_hook(send)],
        "postprocessor_hooks": [lambda status: send({"busy": status.get("status") in ("started", "processing")})],
    }
    if raw is not None and raw.get("_type", "video") == "video":
        # Formats in hand: no site is asked again, so yt-dlp's ~1800 extractors need not be
        # registered (a quarter of a second saved).
        try:
            with yt_dlp.YoutubeDL(opts, auto_init=False) as ydl:
                return ydl.process_ie_result(dict(raw), download=True)
        except DownloadError as exc:
            expired = any(isinstance(e, HTTPError) and e.status in (403, 410) for e in error_chain(exc))
            if not expired:
                raise
            # Signed media links (YouTube's) expire: fall through to a fresh extraction.
            send({"restart": str(exc)})
    with yt_dlp.YoutubeDL(opts) as ydl:
        if raw is not None and raw.get("_type") == "url":
            return ydl.process_ie_result(dict(raw), download=True)
        return ydl.extract_info(url, download=True)


def _channel() -> IO[str]:
    """The parent's channel: a copy of fd 1, with fd 1 itself sent to stderr."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return channel


def _end_with_parent() -> None:
    """Stop this process group once the parent has gone (its end of stdin closed)."""
    sys.stdin.read()
    os.killpg(os.getpgrp(), signal.SIGKILL)


def main() -> None:
    channel = _channel()
    lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        line = json.dumps(message, default=str)
        with lock:
            channel.write(line + "\n")
            channel.flush()

    request = json.loads(sys.stdin.readline())
    threading.Thread(target=_end_with_parent, daemon=True).start()
    url = str(request["url"])
    try:
        import yt_dlp

        done = download(request, send)
        send({"done": yt_dlp.YoutubeDL.sanitize_info(done) if isinstance(done, dict) else None})
    except Exception as exc:  # noqa: BLE001 - yt-dlp raises many types; each becomes one line
        err = exc if isinstance(exc, SourceError) else source_error(url, exc)
        send({"error": {"message": err.message, "path": err.path, "hint": err.hint}})


if __name__ == "__main__":
    main()
