"""The HTTP side: routing of Gladia's pre-recorded v2 routes and the control routes, the answers
and the common error envelope, and each endpoint's handling.

Every request goes through one dispatcher, so faults, the key check, the rate limit, delays and
the statistics apply the same way to every endpoint. Answers the public material is silent on:
- an upload ffprobe cannot decode (or without an audio stream), or in a container outside the
  documented list (AIFF, MPEG-TS...), is refused with 422 ``Invalid parameter``; a body without a
  multipart boundary gets 400; one over the size limit 413;
- an ``audio_url`` naming one of this emulator's own files that does not exist is refused at
  create with 422;
- 429 (concurrency, rate) uses the common error envelope and carries ``Retry-After``;
- ``--strict``: ``validation_errors`` appear only on 400 answers.
"""

from __future__ import annotations

import io
import json
import re
import socket
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qs, urlparse

from . import jobs, spec, uploads
from .listing import list_jobs
from .records import StoredFile, now_iso
from .state import State, apply_fault

if TYPE_CHECKING:
    from .server import EmulatorServer

Route = Callable[[str], None]
INVALID = "Invalid parameter(s). See validation_errors for more details."


class Dropped(Exception):
    """The connection is to be closed without an answer."""


def phrase(status: int) -> str:
    return HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"


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
            self._serve(endpoint, handler, arg or "")
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
                self._record(arrived, method, endpoint, parsed.path, outcome)

    def _serve(self, endpoint: str, handler: Route, arg: str) -> None:
        """An API request past its route: counted, then faults, key, rate limit, delay, and the
        endpoint's handling (whose answer may be lost)."""
        with self.state.lock:
            self.state.requests[endpoint] += 1
        if self._refused(endpoint):
            return
        delay = self.state.config.delays.get(endpoint)
        if delay:
            time.sleep(delay)
        self._lose = self.state.faults.take_lost(endpoint)
        handler(arg)

    def _refused(self, endpoint: str) -> bool:
        """Answer (or drop) the request before it is carried out: a queued fault, a missing or
        unknown key, the rate limit. False when it may go on."""
        hit, status, retry_after = self.state.faults.take_http(endpoint)
        if hit:
            self._drain()
            if status is None:
                raise Dropped
            self._retry_after = retry_after
            self._error(status, phrase(status))
            return True
        if not self._authorized():
            self._drain()
            self._error(401, "gladia key not found")
            return True
        wait = self.state.rate.wait((self.headers.get("x-gladia-key") or "").strip())
        if wait is not None:
            self._drain()
            self._retry_after = wait
            self._error(429, "Too many requests: the rate limit is reached")
            return True
        return False

    def _record(self, arrived: float, method: str, endpoint: str, path: str, outcome: str) -> None:
        answered = outcome == "answered"
        entry = {"t": arrived, "t_end": time.time(), "method": method, "endpoint": endpoint, "path": path,
                 "status": self._answered if answered else None, "outcome": outcome}
        with self.state.lock:
            self.state.log.append(entry)
            self.state.answers[str(self._answered) if answered else outcome] += 1

    def _route(self, method: str, path: str) -> tuple[str | None, Route | None, str | None]:
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
        uploads.drain(self.rfile, self._length())

    def _read_body(self) -> bytes:
        buf = io.BytesIO()
        self._read_body_into(buf)
        return buf.getvalue()

    def _chunked(self) -> bool:
        return "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()

    def _read_body_into(self, out: BinaryIO) -> None:
        self._body_read = True
        uploads.copy_body(self.rfile, out, self._length(), self.state.config.upload_bandwidth)

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json; charset=utf-8") -> None:
        lost, instead = self._lose
        if lost:
            # The request was carried out; its answer is lost on the way back.
            self._lose = (False, None)
            if instead is None:
                raise Dropped
            self._error(instead, phrase(instead))
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
        if path == "/_emulator/faults" and method == "POST":
            ok, body = self._json_body()
            if not ok:
                return
            problem = apply_fault(self.state, body)
            if problem:
                self._error(400, problem)
            else:
                self._json(200, {"ok": True})
            return
        self._drain()
        if path == "/_emulator/stats" and method == "GET":
            self._json(200, self.state.stats())
        elif path == "/_emulator/log" and method == "GET":
            with self.state.lock:
                entries = list(self.state.log)
            self._json(200, entries)
        elif path == "/_emulator/reset" and method == "POST":
            self.state.faults.clear()
            self.state.reset_stats()
            self._json(200, {"ok": True})
        else:
            self._error(404, "Not found")

    # -- API endpoints --

    def _upload(self, _: str) -> None:
        ctype = self.headers.get("Content-Type") or ""
        if ctype.startswith("application/json"):
            self._upload_from_url()
            return
        m = re.search(r'boundary="?([^";]+)"?', ctype)
        if not ctype.startswith("multipart/form-data") or not m:
            self._drain()
            self._error(400, "Content-Type is missing Multipart Boundary.")
            return
        if self._length() > self.state.config.max_upload_bytes:
            self._drain()
            self._error(413, "payload too large")
            return
        self._upload_multipart(m.group(1).encode())

    def _upload_from_url(self) -> None:
        ok, body = self._json_body()
        if not ok:
            return
        url = body.get("audio_url") if isinstance(body, dict) else None
        if not spec.is_http_url(url):
            self._error(400, INVALID, ["audio_url must be a URL address"])
            return
        assert isinstance(url, str)
        stored = uploads.fetch(self.state, url)
        if stored is None:
            self._error(422, "Invalid parameter", ["audio_url could not be downloaded or decoded"])
            return
        self._uploaded(stored)

    def _upload_multipart(self, boundary: bytes) -> None:
        # The body goes to disk as it arrives, so a large upload does not sit in memory.
        raw_path = self.state.folder / f"body-{uuid.uuid4().hex}"
        target = self.state.folder / f"upload-{uuid.uuid4().hex}"
        try:
            if not self._receive(raw_path):
                self._error(413, "payload too large")
                return
            found = uploads.extract_part(raw_path, boundary, "audio", target)
        finally:
            raw_path.unlink(missing_ok=True)
        if found is None:
            self._error(400, INVALID, ["audio should not be empty"])
            return
        filename, size = found
        stored = self.state.store(target, filename, size, source=None)
        if stored.info is None:
            self._error(422, "Invalid parameter", ["audio could not be decoded: unsupported or corrupt audio/video file"])
            return
        self._uploaded(stored)

    def _receive(self, raw_path: Path) -> bool:
        """The request body into ``raw_path``; False when a chunked one passes the size limit
        (the connection is then closed after the answer)."""
        with raw_path.open("wb") as raw:
            if not self._chunked():
                self._read_body_into(raw)
                return True
            self._body_read = True
            if uploads.read_chunked(self.rfile, raw, self.state.config.max_upload_bytes):
                return True
            self.close_connection = True
            return False

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
            self._error(400, INVALID, errors)
            return
        mine, stored = self.state.own_file(body["audio_url"])
        if mine and stored is None:
            self._error(422, "Invalid parameter", ["audio_url does not name an uploaded file"])
            return
        try:
            job = jobs.admit(self.state, body, stored)
        except jobs.Busy as busy:
            self._retry_after = busy.retry_after
            self._error(429, str(busy))
            return
        self._json(201, {"id": job.id, "result_url": f"{self.state.base_url}/v2/pre-recorded/{job.id}"})

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
            self._error(400, INVALID, problems)
        else:
            self._json(200, page)
