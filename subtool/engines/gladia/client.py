"""The HTTP side of the Gladia client: what is read from the service's answers (Retry-After, its
times, a job as its own JSON) and the timings of waiting on it (retries, polls, the token search).
No SDK at import: the SDK is imported in the background (``prefetch_sdk``) while ffmpeg works."""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ...errors import ServiceError, SubtoolError

RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
# How long a Retry-After is honoured at most (longer ones: the retry window decides).
RETRY_AFTER_MAX_S = 300.0
# A GET that times out is asked again with this many times the timeout, up to the maximum.
TIMEOUT_GROWTH = 3.0
TIMEOUT_MAX_S = 600.0
# The token lookup: pages of this many jobs, at most this many pages, back to this long before
# the token was made (clocks differ).
SEARCH_PAGE = 50
SEARCH_PAGES = 20
SEARCH_MARGIN_S = 900.0
SEARCH_ATTEMPTS = 3  # a search that meets a 429/5xx/timeout is tried again (1 s, then 2 s later)
QUEUED_NOTE_S = 15.0


def retry_after(headers: Any) -> float | None:
    """The Retry-After header in seconds (it may be a number or an HTTP date), or None."""
    value = (headers or {}).get("retry-after")
    if not value:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return max(0.0, (parsedate_to_datetime(str(value)) - datetime.now(UTC)).total_seconds())
    return None


def iso_time(value: object) -> float | None:
    """An ISO 8601 time as the service writes it (``2025-06-22T15:04:37.431Z``), in epoch seconds."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def env_float(name: str) -> float | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise SubtoolError(f"{name}={value!r} is not a number of seconds") from None


_PREFETCH = threading.Event()


def prefetch_sdk() -> None:
    """Import the SDK (about half a second: it brings httpx and its live client) in the
    background, while ffprobe and ffmpeg run on the input, instead of after them."""
    if _PREFETCH.is_set():
        return
    _PREFETCH.set()

    def load() -> None:
        import contextlib

        with contextlib.suppress(Exception):
            import gladiaio_sdk  # noqa: F401

    threading.Thread(target=load, name="subtool-sdk-import", daemon=True).start()


def get_job(client: Any, job_id: str, timeout: float | None = None) -> dict[str, Any]:
    """The job as the service's own JSON, through the SDK's HTTP client (its auth, timeouts and
    errors). ``client.get`` would build the SDK's dataclasses and ``to_dict`` turn them back: that
    drops fields the service sends (``error_code``, ``custom_metadata``, ``file.source``), so
    ``--keep-raw`` would not be the service's JSON, and dataclasses_json re-resolves the type
    hints of every nested class on each call (about 25 ms of CPU per poll; three quarters of a
    batch's CPU at 25 slots)."""
    http = getattr(client, "_http_client", None)
    core = getattr(client, "_core", None)
    if http is None or core is None:  # another SDK layout: its public, slower way
        return dict(client.get(job_id).to_dict())
    timeout = timeout or client._options.prerecorded_timeouts.get
    body = http.get(core.build_job_endpoint(job_id), {"request_timeout": timeout}).json()
    if not isinstance(body, dict) or "status" not in body:
        raise ServiceError(f"unexpected answer from the service while checking job {job_id}: not a job")
    return body


POLL_MIN_S = 0.5
POLL_SHARE = 0.2


def poll_interval(waited: float, maximum: float) -> float:
    """The next wait between polls: a fifth of the time already waited, between 0.5 s and
    ``maximum``. A job's end is noticed at most about 20% (and 30 s) after it happens, and a long
    job is asked about rarely: a 1-hour job costs about 150 polls, a 5-second one about 9."""
    return min(maximum, max(POLL_MIN_S, waited * POLL_SHARE))


class ReportingFile(io.FileIO):
    """A file opened for an upload that tells ``on_read(bytes read so far)`` as the HTTP client
    reads it, chunk by chunk, to send it: the SDK's own multipart upload (its auth, timeouts and
    errors) with the bytes, rate and time left shown. It stays a real file (``fileno``), so the
    request still carries a Content-Length; a retry seeks back to 0 and counts again."""

    def __init__(self, path: str | os.PathLike[str], on_read: Callable[[int], None]) -> None:
        super().__init__(path, "rb")
        self._on_read = on_read
        self._sent = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        if chunk:
            self._sent += len(chunk)
            self._on_read(self._sent)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int:
        position = super().seek(offset, whence)
        if whence == os.SEEK_SET:
            self._sent = position
        return position


# The kernel's send buffer of the client's connections. Linux grows it up to 4 MB (tcp_wmem), so
# an upload of a programme's audio (about 1 MB for 6 minutes) was "read" at once and its progress
# said 100% before a byte had left: measured on loopback, 800 kB taken in 0.02 s by a server
# reading 150 kB/s. At 128 KiB (the kernel doubles it) what is shown as sent leads the wire by
# about 400 kB at most, and the buffer still carries 14 Mbit/s over a 150 ms round trip.
SEND_BUFFER = 128 * 1024


def bound_send_buffer(sdk_client: Any) -> None:
    """Give the SDK's HTTP client connections with a bounded send buffer (``SEND_BUFFER``), so
    that the upload's progress follows the bytes on the wire. Another SDK layout keeps its own."""
    import socket

    import httpx

    http = getattr(getattr(sdk_client, "_http_client", None), "_client", None)
    if isinstance(http, httpx.Client):
        http._transport = httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)])
