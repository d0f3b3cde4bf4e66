"""The emulator's HTTP server: Gladia's pre-recorded v2 routes, jobs, faults and stats.

Choices where the public material is silent (see ../shared/reference/gladia-api.md §4-5):
- an upload ffprobe cannot decode (or without an audio stream), or in a container outside the
  documented list (AIFF, MPEG-TS...), is refused with 422 ``Invalid parameter``; a body without a
  multipart boundary gets 400; a chunked (streamed) upload is read like any other, and refused
  with 413 as soon as it passes the size limit;
- audio longer than the duration limit is accepted at upload (its duration is reported) and the
  job then ends ``status: "error"`` with ``error_code: 422`` (the docs say only "longer files give
  an error");
- a remote ``audio_url`` that cannot be fetched or decoded ends the job in error with
  ``error_code: 400`` (the callback's "Bad Request" example); an ``audio_url`` naming one of this
  emulator's own files that does not exist is refused at create with 422;
- 429 (concurrency, rate) uses the common error envelope and carries ``Retry-After`` (whole
  seconds: until the first running job is due to end, or until the rate window frees a request).

Kind by default, unkind on request (what the real service may do and subtool must survive):
- audio without speech (``has_speech``: silence, steady noise or tone; ``--no-speech-below DB``
  for a plain level threshold) gets the empty result the schema allows, not invented words;
- ``--queue``: creates beyond ``--max-concurrent`` are accepted and stay ``queued`` until a slot
  frees (Gladia's documented behaviour; a paid account queues up to 300), instead of 429;
- ``--rate-limit N/s`` (or ``N/min``): requests beyond that per key get 429 with Retry-After, on
  every endpoint, polling included;
- ``--delay ENDPOINT:SECONDS``: every answer of that endpoint is held back (the SDK gives up a GET
  after 10 s);
- ``--lose-reply ENDPOINT[:COUNT[:STATUS]]``: the request is carried out, then its answer is lost
  (the connection dropped, or STATUS sent instead), as after a timeout, a gateway 5xx or a reset;
- ``--messy-translations``: translations shaped like a real capture (see ``results``);
- ``--strict``: the list filter takes only the documented ``custom_metadata={"k":"v"}`` JSON form
  (the SDK's ``custom_metadata[k]=v`` is ignored, as an unknown parameter), list items carry no
  ``post_session_metadata``, and ``validation_errors`` appear only on 400 answers.
``GET /_emulator/log`` gives each API request's arrival and answer times and status, so a test can
time a client's waits from the server's side.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import shutil
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlencode, urlparse

from ...engines.gladia import service
from . import audio, results, spec

ENDPOINTS = ("upload", "create", "get", "list", "delete", "file")
FETCH_TIMEOUT = 30.0
CHUNK = 64 * 1024


def now_iso(t: float | None = None) -> str:
    dt = datetime.fromtimestamp(time.time() if t is None else t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass
class Config:
    keys: frozenset[str] = frozenset()
    latency: float = 0.0
    max_concurrent: int | None = None
    max_upload_bytes: int = service.MAX_UPLOAD_BYTES
    max_duration: float = service.MAX_DURATION_S
    transcriber: str = "placeholder"
    samples: Path | None = None
    upload_bandwidth: float | None = None
    queue: int | None = None  # with max_concurrent: how many jobs may wait queued (None: 429 instead)
    rate_limit: tuple[int, float] | None = None  # (requests, per seconds), per key
    delays: dict[str, float] = field(default_factory=dict)  # endpoint -> seconds before answering
    no_speech_below: float | None = None  # dBFS; None: judged from the content
    messy_translations: bool = False
    strict: bool = False


@dataclass
class StoredFile:
    id: str
    path: Path
    filename: str
    size: int
    info: audio.Probed | None
    source: str | None = None
    digest: str = ""


@dataclass
class Job:
    id: str
    created: float
    body: dict[str, Any]
    params: dict[str, Any]
    file: StoredFile | None
    status: str = "queued"
    completed: float | None = None
    error_code: int | None = None
    result: dict[str, Any] | None = None
    forced_error: tuple[int, str] | None = None
    file_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float | None = None  # when it left the queue

    def to_dict(self, *, trimmed: bool = False, strict: bool = False) -> dict[str, Any]:
        f = self.file
        source = self.body["audio_url"] if f is None or f.source else None
        file_obj = {
            "id": f.id if f else self.file_id,
            "filename": f.filename if f else _name_from_url(self.body["audio_url"]),
            "source": f.source if f else source,
            "audio_duration": round(f.info.duration, 2) if f and f.info else None,
            "number_of_channels": f.info.channels if f and f.info else None,
        }
        result = self.result
        if trimmed and result is not None:
            result = {"metadata": result["metadata"]}
        out = {
            "id": self.id,
            "request_id": "G-" + self.id.replace("-", "")[:8],
            "version": 2,
            "status": self.status,
            "created_at": now_iso(self.created),
            "completed_at": now_iso(self.completed) if self.completed else None,
            "custom_metadata": self.body.get("custom_metadata"),
            "error_code": self.error_code,
            "kind": "pre-recorded",
            "post_session_metadata": {},
            "file": file_obj,
            "request_params": self.params,
            "result": result,
        }
        if trimmed and strict:
            del out["post_session_metadata"]  # the list items of the hiring-case sample have none
        return out


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def _name_from_url(url: str) -> str:
    name = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
    return name or "audio"


class Faults:
    """Pending one-shot faults: per endpoint a queue of HTTP statuses or drops (before the request
    is carried out), a queue of lost replies (after it is); job errors."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.http: dict[str, list[int | None]] = {}  # None = drop the connection
        self.retry_after: dict[str, list[int | None]] = {}  # the Retry-After of each queued status
        self.lost: dict[str, list[int | None]] = {}  # None = drop the connection after acting
        self.job_errors: list[tuple[int, str]] = []

    def add_http(self, endpoint: str, status: int | None, count: int, retry_after: int | None = None) -> None:
        with self.lock:
            self.http.setdefault(endpoint, []).extend([status] * count)
            self.retry_after.setdefault(endpoint, []).extend([retry_after] * count)

    def add_lost(self, endpoint: str, status: int | None, count: int) -> None:
        with self.lock:
            self.lost.setdefault(endpoint, []).extend([status] * count)

    def take_lost(self, endpoint: str) -> tuple[bool, int | None]:
        with self.lock:
            queue = self.lost.get(endpoint)
            if queue:
                return True, queue.pop(0)
            return False, None

    def add_job_error(self, code: int, count: int, message: str) -> None:
        with self.lock:
            self.job_errors.extend([(code, message)] * count)

    def take_http(self, endpoint: str) -> tuple[bool, int | None, int | None]:
        with self.lock:
            queue = self.http.get(endpoint)
            if queue:
                waits = self.retry_after.get(endpoint) or [None]
                return True, queue.pop(0), waits.pop(0)
            return False, None, None

    def take_job_error(self) -> tuple[int, str] | None:
        with self.lock:
            return self.job_errors.pop(0) if self.job_errors else None

    def clear(self) -> None:
        with self.lock:
            self.http.clear()
            self.retry_after.clear()
            self.lost.clear()
            self.job_errors.clear()


class State:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.files: dict[str, StoredFile] = {}
        self.jobs: dict[str, Job] = {}
        self.faults = Faults()
        # Clients upload the same audio again and again (tests, retries): what ffprobe and the
        # envelope say of a content is kept by its hash.
        self.probes: dict[str, audio.Probed | None] = {}
        self.envelopes: dict[str, list[float]] = {}
        self.folder = Path(tempfile.mkdtemp(prefix="gladia-emulator-"))
        self.samples = audio.SampleLibrary(config.samples)
        self.base_url = ""
        self.recent: dict[str, deque[float]] = {}  # per key: accepted request times (rate limit)
        self.reset_stats()

    def reset_stats(self) -> None:
        with self.lock:
            self.uploads = 0
            self.upload_bytes = 0
            self.jobs_created = 0
            self.jobs_done = 0
            self.jobs_failed = 0
            self.max_running = self.running()
            self.max_processing = self.processing()
            self.max_queued = self.queued()
            self.requests: Counter[str] = Counter()
            self.answers: Counter[str] = Counter()
            self.log: deque[dict[str, Any]] = deque(maxlen=20_000)

    def running(self) -> int:
        return sum(1 for j in self.jobs.values() if j.status in ("queued", "processing"))

    def processing(self) -> int:
        return sum(1 for j in self.jobs.values() if j.status == "processing")

    def queued(self) -> int:
        return sum(1 for j in self.jobs.values() if j.status == "queued")

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "uploads": self.uploads,
                "upload_bytes": self.upload_bytes,
                "jobs_created": self.jobs_created,
                "jobs_done": self.jobs_done,
                "jobs_failed": self.jobs_failed,
                "max_concurrent_jobs": self.max_running,
                "running_jobs": self.running(),
                "max_processing_jobs": self.max_processing,
                "processing_jobs": self.processing(),
                "max_queued_jobs": self.max_queued,
                "queued_jobs": self.queued(),
                "requests": {e: self.requests.get(e, 0) for e in ENDPOINTS},
                "answers": dict(self.answers),
            }

    def rate_wait(self, key: str) -> int | None:
        """None when a request with ``key`` may go on (it is counted), else the whole seconds until
        the rate limit's window frees one (Retry-After)."""
        limit = self.config.rate_limit
        if limit is None:
            return None
        count, window = limit
        now = time.monotonic()
        with self.lock:
            times = self.recent.setdefault(key, deque())
            while times and now - times[0] >= window:
                times.popleft()
            if len(times) >= count:
                return max(1, math.ceil(times[0] + window - now))
            times.append(now)
            return None

    def busy_wait(self) -> int:
        """Retry-After for a create refused at the concurrency limit: until the first running
        job is due to end (its latency), at least a second."""
        due = [(j.started or j.created) + self.config.latency for j in self.jobs.values() if j.status in ("queued", "processing")]
        return max(1, math.ceil(min(due, default=0.0) - time.time()))

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def store(self, data_path: Path, filename: str, size: int, source: str | None) -> StoredFile:
        file_id = str(uuid.uuid4())
        digest = file_digest(data_path)
        with self.lock:
            known = self.probes.get(digest, False)
        if known is False:
            try:
                known = audio.probe(data_path)
            except audio.AudioUnreadable:
                known = None
            with self.lock:
                self.probes[digest] = known
        info = known if isinstance(known, audio.Probed) else None
        stored = StoredFile(file_id, data_path, filename, size, info, source, digest)
        with self.lock:
            self.files[file_id] = stored
        return stored

    def own_file(self, url: str) -> tuple[bool, StoredFile | None]:
        """Whether ``url`` is one of this emulator's file URLs, and the file if it exists."""
        mine = urlparse(self.base_url)
        other = urlparse(url)
        same_host = other.port == mine.port and other.hostname in (mine.hostname, "localhost", "127.0.0.1", "::1")
        m = re.fullmatch(r"/file/([^/]+)/?", other.path)
        if not same_host or not m:
            return False, None
        return True, self.files.get(m.group(1))


# -- job processing ------------------------------------------------------------------------------


def run_job(state: State, job: Job) -> None:
    """queued -> processing -> done|error, taking ``latency`` seconds from create to the end.
    With ``queue``, a job waits queued while ``max_concurrent`` jobs are processing, and its
    latency counts from when it leaves the queue.

    The latency is read again while waiting, so a runtime change (``{"latency": 0}``) also
    releases the jobs already waiting."""
    _wait_until(state, job, lambda: min(state.config.latency * 0.1, 0.5))
    while True:
        with state.lock:
            if job.status != "queued":
                return
            cfg = state.config
            if cfg.queue is None or cfg.max_concurrent is None or state.processing() < cfg.max_concurrent:
                job.status = "processing"
                if time.time() - job.created > min(cfg.latency * 0.1, 0.5) + 0.05:  # it waited for a slot
                    job.started = time.time() - min(cfg.latency * 0.1, 0.5)
                state.max_processing = max(state.max_processing, state.processing())
                break
        time.sleep(0.02)
    error: int | None = None
    result: dict[str, Any] | None = None
    try:
        if job.forced_error is not None:
            error = job.forced_error[0]
        else:
            if job.file is None:
                job.file = fetch(state, job.body["audio_url"])
            info = job.file.info if job.file else None
            if job.file is None or info is None:
                error = 400
            elif info.duration > state.config.max_duration:
                error = 422
            else:
                result = transcribe(state, job, job.file, info)
    except Exception:  # noqa: BLE001 - any failure of ours is a job in error, as a service would report
        error = 500
    _wait_until(state, job, lambda: state.config.latency)
    with state.lock:
        job.completed = time.time()
        if error is None:
            job.status, job.result = "done", result
            state.jobs_done += 1
        else:
            job.status, job.error_code = "error", error
            state.jobs_failed += 1


def _wait_until(state: State, job: Job, offset: Callable[[], float]) -> None:
    while (left := (job.started or job.created) + offset() - time.time()) > 0:
        time.sleep(min(left, 0.1))


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
    stored = state.store(target, _name_from_url(url), size, source=url)
    return stored if stored.info else None


def transcribe(state: State, job: Job, stored: StoredFile, info: audio.Probed) -> dict[str, Any]:
    started = time.time()
    languages = job.params["language_config"]["languages"]
    found: str | None
    if state.config.transcriber == "local":
        utterances, found = local_transcript(stored.path, languages)
    else:
        with state.lock:
            env = state.envelopes.get(stored.digest)
        if env is None:
            env = audio.envelope(stored.path)
            with state.lock:
                state.envelopes[stored.digest] = env
        below = state.config.no_speech_below
        if not audio.has_speech(env, below=below):
            utterances, found = [], None
        else:
            sample = state.samples.match(env)
            if sample is not None:
                tokens = sample.text.split()
                detected = sample.language
            else:
                tokens = results.placeholder_words(info.duration)
                detected = "en"
            regions = audio.voiced_regions(env, floor_db=below) if below is not None else audio.voiced_regions(env)
            timed = results.time_words(tokens, regions, info.duration)
            language = pick_language(languages, detected, known=sample is not None)
            utterances = results.utterances_from_words(timed, language, max_words=0 if sample else results.PLACEHOLDER_UTTERANCE)
            found = language
    spelling = (job.params.get("custom_spelling_config") or {}).get("spelling_dictionary") if job.params.get("custom_spelling") else None
    if spelling:
        apply_spelling(utterances, spelling)
    return results.build_result(
        utterances, found if utterances else None, job.params, audio_duration=info.duration,
        transcription_time=time.time() - started + state.config.latency, messy=state.config.messy_translations,
    )


def pick_language(requested: list[str], detected: str, *, known: bool) -> str:
    """One requested language is forced; several restrict detection; none means detection."""
    if len(requested) == 1:
        return requested[0]
    if requested and detected not in requested:
        return requested[0]
    if not known and requested:
        return requested[0]
    return detected


def apply_spelling(utterances: list[dict[str, Any]], dictionary: dict[str, list[str]]) -> None:
    variants = {v.lower(): correct for correct, vs in dictionary.items() for v in vs}
    for u in utterances:
        for w in u["words"]:
            m = re.match(r"^(\s*)(.*?)([.,;:!?…]*)$", w["word"])
            if m and m.group(2).lower() in variants:
                w["word"] = m.group(1) + variants[m.group(2).lower()] + m.group(3)
        u["text"] = "".join(w["word"] for w in u["words"]).strip()


def local_transcript(path: Path, languages: list[str]) -> tuple[list[dict[str, Any]], str | None]:
    """The embedded offline engine's transcript, in the API's shape."""
    from ...engines.base import TranscribeOptions
    from ...engines.local import LocalEngine  # type: ignore[import-not-found, unused-ignore]

    transcript = LocalEngine().transcribe(path, TranscribeOptions(languages=list(languages), use_cache=False))
    utterances = []
    for u in transcript.utterances:
        words = [
            {"word": (w.text.strip() if i == 0 else " " + w.text.strip()), "start": round(w.start, 3), "end": round(w.end, 3),
             "confidence": round(w.confidence if w.confidence is not None else 0.9, 2)}
            for i, w in enumerate(u.words)
        ] or [{"word": u.text.strip(), "start": u.start, "end": u.end, "confidence": 0.9}]
        utterances.append(results.make_utterance(words, u.language or transcript.language or "en", channel=u.channel or 0))
    return utterances, transcript.language if utterances else None


# -- HTTP ------------------------------------------------------------------------------------------


class Dropped(Exception):
    """The connection is to be closed without an answer."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gladia-emulator"
    server: EmulatorServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    @property
    def state(self) -> State:
        return self.server.state

    # Every method goes through one dispatcher so faults, auth and stats apply the same way.
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        self._body_read = False
        self._lose: tuple[bool, int | None] = (False, None)
        self._answered: int | None = None
        self._retry_after: int | None = None
        arrived = time.time()
        parsed = urlparse(self.path)
        path = parsed.path.rstrip("/") or "/"
        self.route_path = parsed.path
        self.query = parse_qs(parsed.query, keep_blank_values=True)
        endpoint: str | None = None
        outcome = "answered"
        try:
            if path.startswith("/_emulator/"):
                self._control(method, path)
                return
            endpoint, handler, arg = self._route(method, path)
            if endpoint is None or handler is None:
                self._drain()
                self._error(404, f"Cannot {method} {parsed.path}" if arg is None else "Not found")
                return
            with self.state.lock:
                self.state.requests[endpoint] += 1
            hit, status, retry_after = self.state.faults.take_http(endpoint)
            if hit:
                self._drain()
                if status is None:
                    raise Dropped
                self._retry_after = retry_after
                self._error(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error")
                return
            if not self._authorized():
                self._drain()
                self._error(401, "gladia key not found")
                return
            wait = self.state.rate_wait((self.headers.get("x-gladia-key") or "").strip())
            if wait is not None:
                self._drain()
                self._retry_after = wait
                self._error(429, "Too many requests: the rate limit is reached")
                return
            delay = self.state.config.delays.get(endpoint)
            if delay:
                time.sleep(delay)
            self._lose = self.state.faults.take_lost(endpoint)
            handler(arg)
        except Dropped:
            outcome = "dropped"
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except (BrokenPipeError, ConnectionResetError):
            outcome = "client gone"
            self.close_connection = True
        finally:
            if endpoint is not None:
                entry = {"t": arrived, "t_end": time.time(), "method": method, "endpoint": endpoint, "path": parsed.path,
                         "status": self._answered if outcome == "answered" else None, "outcome": outcome}
                with self.state.lock:
                    self.state.log.append(entry)
                    self.state.answers[str(self._answered) if outcome == "answered" else outcome] += 1

    def _route(self, method: str, path: str) -> tuple[str | None, Any, str | None]:
        if path == "/v2/upload" and method == "POST":
            return "upload", self._upload, ""
        if path == "/v2/pre-recorded":
            if method == "POST":
                return "create", self._create, ""
            if method == "GET":
                return "list", self._list, ""
        m = re.fullmatch(r"/v2/pre-recorded/([^/]+)(/file)?", path)
        if m:
            if m.group(2) and method == "GET":
                return "file", self._job_file, m.group(1)
            if not m.group(2) and method == "GET":
                return "get", self._get, m.group(1)
            if not m.group(2) and method == "DELETE":
                return "delete", self._delete, m.group(1)
        m = re.fullmatch(r"/file/([^/]+)", path)
        if m and method == "GET":
            return "file", self._file, m.group(1)
        return None, None, None

    def _authorized(self) -> bool:
        key = (self.headers.get("x-gladia-key") or "").strip()
        if not key:
            return False
        return not self.state.config.keys or key in self.state.config.keys

    # -- bodies and answers --

    def _length(self) -> int:
        try:
            return max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            return 0

    def _drain(self) -> None:
        if self._body_read:
            return
        self._body_read = True
        left = self._length()
        while left > 0:
            chunk = self.rfile.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)

    def _read_body(self) -> bytes:
        buf = io.BytesIO()
        self._read_body_into(buf)
        return buf.getvalue()

    def _chunked(self) -> bool:
        return "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()

    def _read_chunked_into(self, out: BinaryIO, limit: int) -> bool:
        """A chunked body (no Content-Length: a streamed upload) into ``out``; False when it
        passes ``limit`` bytes (the rest is not read: the connection is closed after the 413)."""
        got = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                return True  # malformed: what was read is judged as it is
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return True
            got += size
            if got > limit:
                self.close_connection = True
                return False
            out.write(self.rfile.read(size))
            self.rfile.readline(16)  # the CRLF after the chunk

    def _read_body_into(self, out: BinaryIO) -> None:
        self._body_read = True
        length = self._length()
        bandwidth = self.state.config.upload_bandwidth
        got = 0
        started = time.monotonic()
        while got < length:
            chunk = self.rfile.read(min(CHUNK, length - got))
            if not chunk:
                break
            got += len(chunk)
            out.write(chunk)
            if bandwidth:
                # Hold the reading back so the client's upload sees the configured bandwidth.
                ahead = got / bandwidth - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json; charset=utf-8") -> None:
        lost, instead = self._lose
        if lost:
            # The request was carried out; its answer is lost on the way back.
            self._lose = (False, None)
            if instead is None:
                raise Dropped
            self._error(instead, HTTPStatus(instead).phrase if instead in HTTPStatus._value2member_map_ else "Error")
            return
        self._answered = status
        self.send_response(status)
        if body or status != 202:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-aipi-call-id", uuid.uuid4().hex[:12])
        if self._retry_after is not None:
            self.send_header("Retry-After", str(self._retry_after))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode())

    def _error(self, status: int, message: str, validation_errors: list[str] | None = None) -> None:
        body: dict[str, Any] = {
            "timestamp": now_iso(),
            "path": self.route_path,
            "request_id": "G-" + uuid.uuid4().hex[:8],
            "statusCode": status,
            "message": message,
        }
        if validation_errors is not None and (status == 400 or not self.state.config.strict):
            body["validation_errors"] = validation_errors
        self._json(status, body)

    def _json_body(self) -> tuple[bool, Any]:
        raw = self._read_body()
        try:
            return True, json.loads(raw.decode("utf-8") or "null")
        except json.JSONDecodeError as exc:
            self._error(400, f"Unexpected token in JSON at position {exc.pos}: {exc.msg}")
            return False, None
        except UnicodeDecodeError:
            self._error(400, "the JSON body is not valid UTF-8")
            return False, None

    # -- control endpoints (no key needed) --

    def _control(self, method: str, path: str) -> None:
        if path == "/_emulator/stats" and method == "GET":
            self._drain()
            self._json(200, self.state.stats())
        elif path == "/_emulator/log" and method == "GET":
            self._drain()
            with self.state.lock:
                entries = list(self.state.log)
            self._json(200, entries)
        elif path == "/_emulator/reset" and method == "POST":
            self._drain()
            self.state.faults.clear()
            self.state.reset_stats()
            self._json(200, {"ok": True})
        elif path == "/_emulator/faults" and method == "POST":
            ok, body = self._json_body()
            if not ok:
                return
            problem = apply_fault(self.state, body)
            if problem:
                self._error(400, problem)
            else:
                self._json(200, {"ok": True})
        else:
            self._drain()
            self._error(404, "Not found")

    # -- API endpoints --

    def _upload(self, _: str) -> None:
        ctype = self.headers.get("Content-Type") or ""
        cfg = self.state.config
        if ctype.startswith("application/json"):
            ok, body = self._json_body()
            if not ok:
                return
            url = body.get("audio_url") if isinstance(body, dict) else None
            if not spec.is_http_url(url):
                self._error(400, "Invalid parameter(s). See validation_errors for more details.", ["audio_url must be a URL address"])
                return
            assert isinstance(url, str)
            stored = fetch(self.state, url)
            if stored is None:
                self._error(422, "Invalid parameter", ["audio_url could not be downloaded or decoded"])
                return
            self._uploaded(stored)
            return
        m = re.search(r'boundary="?([^";]+)"?', ctype)
        if not ctype.startswith("multipart/form-data") or not m:
            self._drain()
            self._error(400, "Content-Type is missing Multipart Boundary.")
            return
        if self._length() > cfg.max_upload_bytes:
            self._drain()
            self._error(413, "payload too large")
            return
        # The body goes to disk as it arrives, so a large upload does not sit in memory.
        raw_path = self.state.folder / f"body-{uuid.uuid4().hex}"
        target = self.state.folder / f"upload-{uuid.uuid4().hex}"
        try:
            with raw_path.open("wb") as raw:
                if self._chunked():
                    self._body_read = True
                    if not self._read_chunked_into(raw, cfg.max_upload_bytes):
                        self._error(413, "payload too large")
                        return
                else:
                    self._read_body_into(raw)
            found = extract_part(raw_path, m.group(1).encode(), "audio", target)
        finally:
            raw_path.unlink(missing_ok=True)
        if found is None:
            self._error(400, "Invalid parameter(s). See validation_errors for more details.", ["audio should not be empty"])
            return
        filename, size = found
        stored = self.state.store(target, filename, size, source=None)
        if stored.info is None:
            self._error(422, "Invalid parameter", ["audio could not be decoded: unsupported or corrupt audio/video file"])
            return
        self._uploaded(stored)

    def _uploaded(self, stored: StoredFile) -> None:
        info = stored.info
        assert info is not None
        with self.state.lock:
            self.state.uploads += 1
            self.state.upload_bytes += stored.size
        meta: dict[str, Any] = {
            "id": stored.id,
            "filename": stored.filename,
            "extension": Path(stored.filename).suffix.lstrip(".") or info.extension,
            "size": stored.size,
            "audio_duration": round(info.duration, 6),
            "number_of_channels": info.channels,
        }
        if stored.source:
            meta["source"] = stored.source
        self._json(200, {"audio_url": f"{self.state.base_url}/file/{stored.id}", "audio_metadata": meta})

    def _create(self, _: str) -> None:
        ok, body = self._json_body()
        if not ok:
            return
        errors = spec.validate(body)
        if errors:
            self._error(400, "Invalid parameter(s). See validation_errors for more details.", errors)
            return
        mine, stored = self.state.own_file(body["audio_url"])
        if mine and stored is None:
            self._error(422, "Invalid parameter", ["audio_url does not name an uploaded file"])
            return
        state = self.state
        with state.lock:
            limit = state.config.max_concurrent
            queue = state.config.queue
            if limit is not None and state.running() >= limit + (queue or 0):
                refused = True
                self._retry_after = state.busy_wait()
            else:
                refused = False
                job = Job(str(uuid.uuid4()), time.time(), body, spec.echo(body), stored)
                job.forced_error = state.faults.take_job_error()
                state.jobs[job.id] = job
                state.jobs_created += 1
                state.max_running = max(state.max_running, state.running())
                state.max_queued = max(state.max_queued, state.queued())
        if refused:
            what = f"{limit} concurrent jobs and {queue} queued ones are" if queue else f"{limit} concurrent jobs is"
            self._error(429, f"Too many requests: the maximum of {what} reached")
            return
        threading.Thread(target=run_job, args=(state, job), name=f"job-{job.id[:8]}", daemon=True).start()
        self._json(201, {"id": job.id, "result_url": f"{state.base_url}/v2/pre-recorded/{job.id}"})

    def _get(self, job_id: str) -> None:
        self._drain()
        with self.state.lock:
            job = self.state.jobs.get(job_id)
            data = job.to_dict() if job else None
        if data is None:
            self._error(404, "Not found")
        else:
            self._json(200, data)

    def _delete(self, job_id: str) -> None:
        self._drain()
        with self.state.lock:
            job = self.state.jobs.get(job_id)
            if job is not None and job.status in ("done", "error"):
                del self.state.jobs[job_id]
                status = 202
            else:
                status = 404 if job is None else 403
        if status == 202:
            self._send(202)
        elif status == 403:
            self._error(403, "Forbidden: the job is not in a deletable state (queued or processing)")
        else:
            self._error(404, "Not found")

    def _job_file(self, job_id: str) -> None:
        self._drain()
        with self.state.lock:
            job = self.state.jobs.get(job_id)
        if job is None or job.file is None or not job.file.path.exists():
            self._error(404, "Not found")
            return
        self._send(200, job.file.path.read_bytes(), "application/octet-stream")

    def _file(self, file_id: str) -> None:
        self._drain()
        stored = self.state.files.get(file_id)
        if stored is None or not stored.path.exists():
            self._error(404, "Not found")
            return
        self._send(200, stored.path.read_bytes(), "application/octet-stream")

    def _list(self, _: str) -> None:
        self._drain()
        problems, page = list_jobs(self.state, self.query)
        if problems:
            self._error(400, "Invalid parameter(s). See validation_errors for more details.", problems)
        else:
            self._json(200, page)


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


IN_MEMORY_PARSE = 32 * 1024 * 1024


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
        raw.seek(start)
        with target.open("wb") as out:
            left = stop - start
            while left > 0:
                chunk = raw.read(min(CHUNK * 16, left))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
        return (fname.group(1) if fname else "audio"), stop - start


def _parse_date(value: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def list_jobs(state: State, query: dict[str, list[str]]) -> tuple[list[str], dict[str, Any]]:
    problems: list[str] = []

    def integer(name: str, default: int, low: int) -> int:
        raw = query.get(name, [str(default)])[-1]
        try:
            value = int(raw)
        except ValueError:
            problems.append(f"{name} must be an integer number")
            return default
        if value < low:
            problems.append(f"{name} must not be less than {low}")
        return value

    offset = integer("offset", 0, 0)
    limit = integer("limit", 20, 1)
    statuses = query.get("status", [])
    if any(s not in spec.JOB_STATUSES for s in statuses):
        problems.append(f"each value in status must be one of the following values: {', '.join(spec.JOB_STATUSES)}")
    day = query.get("date", [None])[-1]
    if day is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        problems.append("date must be a valid ISO 8601 date string (YYYY-MM-DD)")
    bounds: dict[str, datetime | None] = {}
    for name in ("before_date", "after_date"):
        raw = query.get(name, [None])[-1]
        bounds[name] = _parse_date(raw) if raw else None
        if raw and bounds[name] is None:
            problems.append(f"{name} must be a valid ISO 8601 date string")
    meta: dict[str, Any] = {}
    strict = state.config.strict
    for key, values in query.items():
        m = re.fullmatch(r"custom_metadata\[(.+)\]", key)
        if m and not strict:  # the SDK's form; the documented one is the JSON below
            meta[m.group(1)] = values[-1]
        elif key == "custom_metadata":
            try:
                parsed = json.loads(values[-1])
            except json.JSONDecodeError:
                parsed = None
            if not isinstance(parsed, dict):
                problems.append("custom_metadata must be an object")
            else:
                meta.update(parsed)
    if problems:
        return problems, {}

    def keep(job: Job) -> bool:
        created = datetime.fromtimestamp(job.created, UTC)
        if statuses and job.status not in statuses:
            return False
        if day and created.strftime("%Y-%m-%d") != day:
            return False
        if bounds["before_date"] and not created < bounds["before_date"]:
            return False
        if bounds["after_date"] and not created > bounds["after_date"]:
            return False
        have = job.body.get("custom_metadata") or {}
        return all(k in have and (have[k] == v or str(have[k]) == str(v)) for k, v in meta.items())

    with state.lock:
        jobs = sorted((j for j in state.jobs.values() if keep(j)), key=lambda j: j.created, reverse=True)
        items = [j.to_dict(trimmed=True, strict=strict) for j in jobs[offset : offset + limit]]
    filters = [(k, v) for k, vs in query.items() if k not in ("offset", "limit") for v in vs]

    def link(off: int) -> str:
        return f"{state.base_url}/v2/pre-recorded?" + urlencode([("offset", off), ("limit", limit), *filters])

    return [], {
        "first": link(0),
        "current": link(offset),
        "next": link(offset + limit) if offset + limit < len(jobs) else None,
        "items": items,
    }


def apply_fault(state: State, body: Any) -> str | None:
    """Install the faults of a ``POST /_emulator/faults`` body; a message when it is malformed."""
    if not isinstance(body, dict):
        return "fault body must be a JSON object"
    try:
        if "endpoint" in body:
            endpoint = body["endpoint"]
            if endpoint not in ENDPOINTS:
                return f"endpoint must be one of {', '.join(ENDPOINTS)}"
            if "lose_reply" in body:
                status = body.get("status")
                state.faults.add_lost(endpoint, int(status) if status is not None else None, int(body["lose_reply"]))
            elif "drop" in body:
                state.faults.add_http(endpoint, None, int(body["drop"]))
            else:
                wait = body.get("retry_after")
                state.faults.add_http(endpoint, int(body["status"]), int(body.get("count", 1)), int(wait) if wait is not None else None)
        if "job_error" in body:
            je = body["job_error"]
            state.faults.add_job_error(int(je.get("code", 500)), int(je.get("count", 1)), str(je.get("message", "Internal Server Error")))
        if "upload_bandwidth" in body:
            bw = body["upload_bandwidth"]
            state.config.upload_bandwidth = float(bw) if bw else None
        if "latency" in body:
            state.config.latency = float(body["latency"])
        cfg = state.config
        if "delay" in body:
            delays = body["delay"]
            if not isinstance(delays, dict) or any(k not in ENDPOINTS for k in delays):
                return f"delay must map endpoints ({', '.join(ENDPOINTS)}) to seconds"
            cfg.delays = {**cfg.delays, **{k: float(v) for k, v in delays.items() if v}}
            for k in [k for k, v in delays.items() if not v]:
                cfg.delays.pop(k, None)
        if "max_concurrent" in body:
            cfg.max_concurrent = int(body["max_concurrent"]) if body["max_concurrent"] else None
        if "queue" in body:
            q = body["queue"]
            cfg.queue = (300 if q is True else int(q)) if q else None
        if "rate_limit" in body:
            cfg.rate_limit = parse_rate(str(body["rate_limit"])) if body["rate_limit"] else None
        for name in ("messy_translations", "strict"):
            if name in body:
                setattr(cfg, name, bool(body[name]))
        if "no_speech_below" in body:
            cfg.no_speech_below = float(body["no_speech_below"]) if body["no_speech_below"] is not None else None
    except (KeyError, TypeError, ValueError) as exc:
        return f"malformed fault: {exc}"
    return None


def parse_rate(text: str) -> tuple[int, float]:
    """``"5/s"``, ``"30/min"`` (or a bare number, per second) -> (requests, window seconds)."""
    count, _, unit = text.partition("/")
    windows = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0}
    if unit not in windows or int(count) < 1:
        raise ValueError(f"expected N/s or N/min with N at least 1, got {text!r}")
    return int(count), windows[unit]


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, state: State, *, verbose: bool = False) -> None:
        self.state = state
        self.verbose = verbose
        if ":" in host:  # an IPv6 address such as ::1
            self.address_family = socket.AF_INET6
        super().__init__((host, port), Handler)
        shown = host if host not in ("", "0.0.0.0") else "127.0.0.1"
        if ":" in shown:
            shown = f"[{shown}]"
        state.base_url = f"http://{shown}:{self.server_address[1]}"
