"""The bounds of a download, watched while it runs: its size, the free disk, its progress.

A server that streams without end once filled 35 GB of a temporary folder in 80 s, and one that
trickled 16 bytes every 2 s kept a run waiting for hours. So a download stops at ``max_bytes``
(``DEFAULT_MAX_DOWNLOAD``, 8 GB: eight times the service's 1000 MB upload limit, room for its
135-minute limit of video at about 8 Mbit/s, a high 1080p bitrate), at the size the site announced
plus ``ANNOUNCED_MARGIN`` (sizes computed from bitrates are that far off), when the disk holding it
gets down to ``DISK_RESERVE``, and when less than ``STALL_BYTES`` arrived in ``stall_timeout``
seconds (60 s, or ``SUBTOOL_DOWNLOAD_STALL_TIMEOUT``).

yt-dlp reads in blocks and calls its progress hook only when a block is full, so a trickle never
reaches the hook: the download runs in its own thread, watched from the caller's, which gives up
on it (and raises an exception inside it to end it) when it stalls. ``socket_timeout`` alone
covers a dead socket, not a trickle.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import SourceError, UsageError
from .urls import redact

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, float | None], None]

# Download bounds (see the module docstring for the reasons and the figures).
DEFAULT_MAX_DOWNLOAD = 8 * 1000**3
ANNOUNCED_MARGIN = (1.5, 10 * 1000**2)  # x1.5 + 10 MB over the size the site announced
DISK_RESERVE = 64 * 1000**2
STALL_TIMEOUT_S = 60.0
STALL_ENV = "SUBTOOL_DOWNLOAD_STALL_TIMEOUT"
STALL_BYTES = 64 * 1024


def stall_timeout() -> float:
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


class Stop(BaseException):
    """Raised inside the download's thread to end it (a BaseException, so that yt-dlp's
    ``except Exception`` clauses let it through)."""


class Transfer:
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
            except Stop as exc:  # the stop landed after fn returned
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
        """Stop the download's thread: its next progress call raises, and ``Stop`` is raised in
        it now (it lands as soon as its blocked read returns). Waited for a moment only: a read
        on a dead socket ends with the socket timeout, and the work folder goes anyway."""
        import ctypes

        self.stopping = True
        with gate:
            if not box.get("finished") and thread.ident is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(Stop))
        thread.join(5)
        if thread.is_alive():
            log.debug("%s: the download's thread is still in a read; left to end with its socket timeout", redact(self.url))
