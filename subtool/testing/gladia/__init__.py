"""An offline emulator of Gladia's pre-recorded API v2 that the unmodified official SDK cannot
tell from the service, for tests, benchmarks and users' CI.

Run it with ``python -m subtool.testing.gladia --host 127.0.0.1 --port 0`` (the first stdout line
is its base URL), or from Python with :class:`EmulatorProcess`::

    with EmulatorProcess(latency=0.5) as emu:
        client = GladiaClient(api_key="k", api_url=emu.url).prerecorded()
        ...
        emu.fault(endpoint="create", status=500, count=2)
        assert emu.stats()["jobs_done"] == 1

Control endpoints (no key): ``GET /_emulator/stats``, ``GET /_emulator/log`` (each API request's
arrival and answer times and status), ``POST /_emulator/faults``, ``POST /_emulator/reset``. Behaviour choices where the public material is silent are listed in
:mod:`subtool.testing.gladia.server`.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from typing import Any

__all__ = ["EmulatorProcess"]


class EmulatorProcess:
    """The emulator as a child process (context manager): ``.url``, ``.stats()``, ``.fault()``,
    ``.reset()``, ``.stop()``."""

    def __init__(
        self,
        latency: float = 0.0,
        latency_ratio: float = 0.0,
        min_latency: float = 0.0,
        max_concurrent: int | None = None,
        keys: Sequence[str] | None = None,
        max_upload_mb: float | None = None,
        max_duration_min: float | None = None,
        transcriber: str = "placeholder",
        queue: bool = False,
        strict: bool = False,
        messy_translations: bool = False,
        extra_args: Sequence[str] = (),
        host: str = "127.0.0.1",
    ) -> None:
        args = ["--host", host, "--port", "0", "--latency", str(latency), "--transcriber", transcriber]
        if latency_ratio or min_latency:
            args += ["--latency-ratio", str(latency_ratio), "--min-latency", str(min_latency)]
        if max_concurrent is not None:
            args += ["--max-concurrent", str(max_concurrent)]
        for key in keys or ():
            args += ["--key", key]
        if max_upload_mb is not None:
            args += ["--max-upload-mb", str(max_upload_mb)]
        if max_duration_min is not None:
            args += ["--max-duration-min", str(max_duration_min)]
        args += ["--queue"] * queue + ["--strict"] * strict + ["--messy-translations"] * messy_translations
        self.args = [*args, *extra_args]
        self.url = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr: list[bytes] = []

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        """Start the server and wait for its URL line (it listens well within a second; the
        generous ``timeout`` is for loaded CI machines)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "subtool.testing.gladia", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        err_fd = self.proc.stderr.fileno()
        threading.Thread(target=lambda: self._stderr.extend(iter(lambda: os.read(err_fd, 4096), b"")), daemon=True).start()
        line = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.stop()
                    raise RuntimeError(f"the Gladia emulator did not start within {timeout:.0f} s: {self.stderr()}")
                chunk = os.read(self.proc.stdout.fileno(), 1024)
                if not chunk:
                    self.proc.wait(5)
                    raise RuntimeError(f"the Gladia emulator exited with code {self.proc.returncode}: {self.stderr()}")
                line += chunk
        self.url = line.decode().strip()
        return self

    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace").strip()

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_emulator/stats")
        return result

    def log(self) -> list[dict[str, Any]]:
        """The API requests so far (since the last reset): ``t`` (arrival, epoch seconds),
        ``t_end`` (answer sent), ``method``, ``endpoint``, ``path``, ``status`` (None when the
        connection was dropped), ``outcome``."""
        result: list[dict[str, Any]] = self._call("GET", "/_emulator/log")
        return result

    def fault(self, **body: Any) -> None:
        """E.g. ``fault(endpoint="create", status=500, count=2)``, ``fault(endpoint="get", drop=1)``,
        ``fault(endpoint="get", status=429, retry_after=3)``, ``fault(endpoint="create", lose_reply=1)``
        (carried out, then the answer lost; with ``status=502`` that answer instead),
        ``fault(job_error={"code": 500})``, ``fault(upload_bandwidth=200_000)``, ``fault(latency=2.0)``,
        ``fault(latency_ratio=0.176, min_latency=3)``, ``fault(diarization="level")``,
        ``fault(delay={"get": 12})``, ``fault(queue=True, max_concurrent=3)``, ``fault(rate_limit="5/s")``,
        ``fault(messy_translations=True)``, ``fault(strict=True)``, ``fault(no_speech_below=-40)``,
        ``fault(missing_subtitles=["fr:vtt"])``."""
        self._call("POST", "/_emulator/faults", body)

    def reset(self) -> None:
        """Clear faults and stats (jobs are kept)."""
        self._call("POST", "/_emulator/reset", {})

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit within 5 s; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
