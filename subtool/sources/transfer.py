"""The bounds of a download, watched while it runs: its size, the free disk, its progress.

A server that streams without end once filled 35 GB of a temporary folder in 80 s, and one that
trickled 16 bytes every 2 s kept a run waiting for hours. So a download stops at ``max_bytes``
(``DEFAULT_MAX_DOWNLOAD``, 8 GB: eight times the service's 1000 MB upload limit, room for its
135-minute limit of video at about 8 Mbit/s, a high 1080p bitrate), at the size the site announced
plus ``ANNOUNCED_MARGIN`` (sizes computed from bitrates are that far off), when the disk holding it
gets down to ``DISK_RESERVE``, and when less than ``STALL_BYTES`` arrived in ``stall_timeout``
seconds (60 s, or ``SUBTOOL_DOWNLOAD_STALL_TIMEOUT``).

yt-dlp reads in blocks (up to 4 MB, sized from the speed of the previous ones) and calls its
progress hook only when a block is full, so a transfer that turns into a trickle never reaches the
hook again, and ``socket_timeout`` covers a dead socket, not a trickle: no rule inside yt-dlp can
bound it. So yt-dlp runs in a process of its own (``worker``), started with
``media.ffmpeg.child_process`` and watched from the caller's thread, which stops its process group
when a bound is passed, the download stalls, ``cancel`` is set or a stop signal comes. Stopping a
process ends whatever it is in: a read, a name lookup, yt-dlp's ffmpeg merging streams. (The
download used to run in a thread, ended by raising an exception inside it through
``ctypes.pythonapi.PyThreadState_SetAsyncExc``: that lands only when the blocked read returns,
in whatever code runs then, and a thread on a dead socket was left to run until its timeout.)
The process costs its start: ``download(info)`` of a 0.19 MB file on loopback took 0.04 s in a
thread and takes 0.30 s in the worker (best of 7; Python and yt-dlp imported again), small beside
any real download. ``download(url)`` pays more (0.10 -> 0.94 s), as the worker registers yt-dlp's
extractors again to ask the site: pass the ``SourceInfo`` ``inspect`` gave when there is one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..errors import Interrupted, SourceError, UsageError
from ..media.ffmpeg import child_process
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

_TICK = 0.2  # seconds between looks at the stall clock and at ``cancel``


def stall_timeout() -> float:
    """``SUBTOOL_DOWNLOAD_STALL_TIMEOUT`` in seconds, or the default."""
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


class Transfer:
    """One download, run by the worker process and watched from the caller's thread: its size
    against the limits, the free disk, its progress against the stall timeout, Ctrl-C and
    ``cancel``. ``on_progress`` is called from the caller's thread."""

    def __init__(
        self, url: str, work: Path, *, max_bytes: int, stall_s: float, cancel: threading.Event | None, on_progress: ProgressCallback | None
    ) -> None:
        self.url = url
        self.work = work
        self.max_bytes = max_bytes
        self.stall_s = stall_s
        self.cancel = cancel
        self.on_progress = on_progress
        self.files: dict[str, float] = {}  # bytes per file (a video and an audio stream: two)
        self.received = 0.0
        self.mark = 0.0  # bytes received when progress was last seen
        self.last = time.monotonic()
        self.busy_locally = False  # yt-dlp's ffmpeg is merging: no bytes to expect
        self.disk_checked = 0.0

    def run(self, options: dict[str, Any], raw: dict[str, Any] | None) -> Any:
        """yt-dlp's download of the URL with ``options`` (and ``inspect``'s info dict ``raw``),
        in the worker; yt-dlp's info dict when it is done. Raises ``SourceError`` (a bound passed,
        the download stalled or failed) or ``Interrupted`` (``cancel``); a ``KeyboardInterrupt``
        stops the worker on its way out."""
        request = {"url": self.url, "options": options, "raw": raw, "log_level": log.getEffectiveLevel()}
        messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        errors: list[str] = []
        with child_process(
            [sys.executable, "-P", "-m", "subtool.sources.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace", env=_worker_env(),
        ) as proc:
            assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
            stderr = proc.stderr
            self._touch()
            threading.Thread(target=_read_messages, args=(proc.stdout, messages), daemon=True).start()
            stderr_reader = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
            stderr_reader.start()
            try:
                # Kept open: its end tells the worker that this process has gone.
                proc.stdin.write(json.dumps(request, default=str) + "\n")
                proc.stdin.flush()
            except BrokenPipeError:
                pass  # the worker has ended already: its output says why
            while True:
                try:
                    message = messages.get(timeout=_TICK)
                except queue.Empty:
                    message = {}
                self._check_cancel()
                if message is None:  # its stdout closed: it has ended, or is ending
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(5)
                    break
                if "done" in message:
                    return message["done"]
                if "error" in message:
                    found = message["error"]
                    raise SourceError(found["message"], path=found.get("path"), hint=found.get("hint"))
                self._handle(message)
                self._check_stall()
        stderr_reader.join(5)
        said = "".join(errors).strip().splitlines()
        log.debug("%s: the download's process ended without a result: %s", redact(self.url), "\n".join(said))
        last = f": {said[-1].strip()}" if said else ""
        raise SourceError(f"the download stopped unexpectedly (its process ended with code {proc.returncode}{last})", path=self.url)

    def _touch(self) -> None:
        self.last = time.monotonic()
        self.mark = self.received

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Interrupted(f"{self.url}: download cancelled")

    def _check_stall(self) -> None:
        idle = 0.0 if self.busy_locally else time.monotonic() - self.last
        if idle > self.stall_s:
            raise SourceError(
                f"the download stalled: less than {STALL_BYTES // 1024} KB arrived in {self.stall_s:g} s "
                f"({_mb(self.received)} received); stopped",
                path=self.url,
                hint="Check the network, or try again later",
            )

    def _handle(self, message: dict[str, Any]) -> None:
        if "progress" in message:
            self._progress(message["progress"])
        elif "busy" in message:
            # yt-dlp's ffmpeg merges the video and audio streams: no bytes arrive meanwhile.
            self.busy_locally = bool(message["busy"])
            self.last = time.monotonic()
        elif "ready" in message:
            self._touch()  # Python and yt-dlp started: the stall clock starts now
        elif "restart" in message:
            log.debug("%s: media links from the metadata expired (%s); asking the site again", redact(self.url), redact(message["restart"]))
            self._touch()
        elif "log" in message:
            level, text = message["log"]
            log.log(int(level), "yt-dlp: %s", redact(str(text)))

    def _progress(self, status: dict[str, Any]) -> None:
        got = float(status["got"])
        now = time.monotonic()
        self.files[status["file"]] = got
        self.received = sum(self.files.values())
        if self.received - self.mark >= STALL_BYTES or status["status"] == "finished":
            self.last, self.mark = now, self.received
        if status["status"] != "downloading":
            return
        length, announced = status["length"], status["announced"]
        if length and length > self.max_bytes:
            self._fail(f"the server announces {_mb(length)}, more than the --max-download limit of {_mb(self.max_bytes)}")
        if self.received > self.max_bytes:
            self._fail(f"the download passed the --max-download limit of {_mb(self.max_bytes)}; stopped")
        if not length and announced and announced > 0:
            allowed = announced * ANNOUNCED_MARGIN[0] + ANNOUNCED_MARGIN[1]
            if got > allowed:
                raise SourceError(f"the download passed {_mb(got)}, far more than the {_mb(announced)} the site announced; stopped", path=self.url)
        if now - self.disk_checked >= 1.0:
            self.disk_checked = now
            free = shutil.disk_usage(self.work).free
            if free < DISK_RESERVE:
                raise SourceError(
                    f"the disk holding {self.work.parent} is nearly full ({_mb(free)} left) after {_mb(self.received)} of the download; stopped",
                    path=self.url,
                    hint="Free some space, or write elsewhere with -d",
                )
        if self.on_progress is not None:
            size = length or announced
            self.on_progress(got, float(size) if size and size > 0 else None)

    def _fail(self, message: str) -> None:
        raise SourceError(message, path=self.url, hint="Pass --max-download SIZE if the video really is that large")


def _worker_env() -> dict[str, str]:
    """The environment of the worker: this subtool first on its path, so that it runs the same
    code as the caller whatever the current folder or install."""
    root = str(Path(__file__).resolve().parents[2])
    paths = [root, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _read_messages(stream: IO[str] | None, messages: queue.Queue[dict[str, Any] | None]) -> None:
    """The worker's lines, parsed, then None when its stdout closes."""
    try:
        for line in stream or ():
            try:
                messages.put(json.loads(line))
            except ValueError:
                log.debug("the download's process said: %s", redact(line.strip()))
    except OSError as exc:
        log.debug("reading the download's process: %s", exc)
    finally:
        messages.put(None)
