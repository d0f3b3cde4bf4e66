"""How audio reaches the emulator: request bodies read from the socket (with ``Content-Length``
or chunked), the multipart part holding the file, and remote ``audio_url`` downloads.

A body goes to disk as it arrives, so a large upload does not sit in memory; the file part of a
large multipart body (the SDK sends one part) is then copied out by offsets without loading it.
A chunked (streamed) upload is read like any other, and refused with 413 as soon as it passes
the size limit. ``--upload-bandwidth`` holds the reading back so the client sees that bandwidth.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol

from .records import StoredFile, name_from_url
from .state import State

FETCH_TIMEOUT = 30.0
CHUNK = 64 * 1024
IN_MEMORY_PARSE = 32 * 1024 * 1024


class Reader(Protocol):
    """A request's incoming stream (``BaseHTTPRequestHandler.rfile``)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...


def drain(rfile: Reader, length: int) -> None:
    """Read and drop ``length`` bytes (a body the answer does not need)."""
    left = length
    while left > 0:
        chunk = rfile.read(min(CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)


def copy_body(rfile: Reader, out: BinaryIO, length: int, bandwidth: float | None) -> None:
    """``length`` bytes of ``rfile`` into ``out``, at most ``bandwidth`` bytes a second."""
    got = 0
    started = time.monotonic()
    while got < length:
        chunk = rfile.read(min(CHUNK, length - got))
        if not chunk:
            break
        got += len(chunk)
        out.write(chunk)
        if bandwidth:
            # Hold the reading back so the client's upload sees the configured bandwidth.
            ahead = got / bandwidth - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)


def read_chunked(rfile: Reader, out: BinaryIO, limit: int) -> bool:
    """A chunked body (no Content-Length: a streamed upload) into ``out``; False when it passes
    ``limit`` bytes (the rest is not read: the connection is to be closed after the 413)."""
    got = 0
    while True:
        line = rfile.readline(1024)
        try:
            size = int(line.split(b";")[0].strip() or b"0", 16)
        except ValueError:
            return True  # malformed: what was read is judged as it is
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return True
        got += size
        if got > limit:
            return False
        out.write(rfile.read(size))
        rfile.readline(16)  # the CRLF after the chunk


def multipart_file(raw: bytes, boundary: bytes, field_name: str) -> tuple[str, bytes] | None:
    """(filename, bytes) of the multipart part named ``field_name``."""
    for part in raw.split(b"--" + boundary):
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        headers = head.decode("utf-8", errors="replace")
        name = re.search(r'name="([^"]*)"', headers)
        if not name or name.group(1) != field_name:
            continue
        fname = re.search(r'filename="([^"]*)"', headers)
        if data.endswith(b"\r\n"):
            data = data[:-2]
        return (fname.group(1) if fname else "audio"), data
    return None


def extract_part(raw_path: Path, boundary: bytes, field_name: str, target: Path) -> tuple[str, int] | None:
    """Write the multipart part ``field_name`` of the body in ``raw_path`` to ``target``; returns
    (filename, size). Small bodies are parsed whole; a large one whose first part is the file
    (what the SDK sends: one part) is copied by offsets without loading it."""
    size = raw_path.stat().st_size
    if size <= IN_MEMORY_PARSE:
        part = multipart_file(raw_path.read_bytes(), boundary, field_name)
        if part is None:
            return None
        target.write_bytes(part[1])
        return part[0], len(part[1])
    with raw_path.open("rb") as raw:
        head = raw.read(64 * 1024)
        delim = b"--" + boundary
        first = head.find(delim)
        header_end = head.find(b"\r\n\r\n", first)
        if first < 0 or header_end < 0:
            return None
        headers = head[first:header_end].decode("utf-8", errors="replace")
        name = re.search(r'name="([^"]*)"', headers)
        if not name or name.group(1) != field_name:
            return None
        fname = re.search(r'filename="([^"]*)"', headers)
        tail_at = max(0, size - 64 * 1024)
        raw.seek(tail_at)
        tail = raw.read()
        end = tail.rfind(b"\r\n" + delim + b"--")
        if end < 0:
            return None
        start, stop = header_end + 4, tail_at + end
        _copy_range(raw, start, stop, target)
        return (fname.group(1) if fname else "audio"), stop - start


def _copy_range(raw: BinaryIO, start: int, stop: int, target: Path) -> None:
    raw.seek(start)
    with target.open("wb") as out:
        left = stop - start
        while left > 0:
            chunk = raw.read(min(CHUNK * 16, left))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)


def fetch(state: State, url: str) -> StoredFile | None:
    """Download a remote audio_url as the service does; None when it cannot be had."""
    target = state.folder / f"fetch-{uuid.uuid4().hex}"
    req = urllib.request.Request(url, headers={"User-Agent": "gladia-emulator"})
    try:
        with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT) as resp, target.open("wb") as out:
            size = 0
            while chunk := resp.read(CHUNK):
                size += len(chunk)
                if size > state.config.max_upload_bytes:
                    return None
                out.write(chunk)
    except (OSError, urllib.error.URLError, ValueError):
        return None
    stored = state.store(target, name_from_url(url), size, source=url)
    return stored if stored.info else None
