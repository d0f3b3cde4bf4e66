"""Everything one emulator holds while it runs: its settings and pending faults, the stored files
and the jobs, what ffprobe and the envelope said of each content, and the statistics
(``GET /_emulator/stats``) and request log (``GET /_emulator/log``).

One lock guards the files, the jobs and the statistics. Clients upload the same audio again and
again (tests, retries): what ffprobe and the envelope say of a content is kept by its hash, so a
repeated upload is not decoded again.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import uuid
from collections import Counter, deque
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import audio
from .config import ENDPOINTS, Config, update_settings
from .faults import Faults, RateLimiter, install_faults
from .records import Job, StoredFile, file_digest

LOG_ENTRIES = 20_000


class State:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.files: dict[str, StoredFile] = {}
        self.jobs: dict[str, Job] = {}
        self.faults = Faults()
        self.rate = RateLimiter(config)
        self.probes: dict[str, audio.Probed | None] = {}
        self.envelopes: dict[str, list[float]] = {}
        self.folder = Path(tempfile.mkdtemp(prefix="gladia-emulator-"))
        self.samples = audio.SampleLibrary(config.samples)
        self.base_url = ""
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
            self.log: deque[dict[str, Any]] = deque(maxlen=LOG_ENTRIES)

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

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def store(self, data_path: Path, filename: str, size: int, source: str | None) -> StoredFile:
        """Keep the file at ``data_path`` (already in ``folder``) under a new id, probed."""
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

    def envelope(self, stored: StoredFile) -> list[float]:
        """The stored file's energy envelope (``audio.envelope``), once per content."""
        with self.lock:
            env = self.envelopes.get(stored.digest)
        if env is None:
            env = audio.envelope(stored.path)
            with self.lock:
                self.envelopes[stored.digest] = env
        return env

    def own_file(self, url: str) -> tuple[bool, StoredFile | None]:
        """Whether ``url`` is one of this emulator's file URLs, and the file if it exists."""
        mine = urlparse(self.base_url)
        other = urlparse(url)
        same_host = other.port == mine.port and other.hostname in (mine.hostname, "localhost", "127.0.0.1", "::1")
        m = re.fullmatch(r"/file/([^/]+)/?", other.path)
        if not same_host or not m:
            return False, None
        return True, self.files.get(m.group(1))


def apply_fault(state: State, body: Any) -> str | None:
    """Install the faults and settings of a ``POST /_emulator/faults`` body; a message when it is
    malformed (what came before the malformed part stays installed)."""
    if not isinstance(body, dict):
        return "fault body must be a JSON object"
    try:
        return install_faults(state.faults, body) or update_settings(state.config, body)
    except (KeyError, TypeError, ValueError) as exc:
        return f"malformed fault: {exc}"
