"""What the emulator keeps of a file and of a job, and the job's JSON shape (``GET
/v2/pre-recorded/{id}`` and the list's items).

A list item is the job with its ``result`` trimmed to the metadata; under ``--strict`` it carries
no ``post_session_metadata`` either, as the list items of the hiring-case sample have none.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import audio


def now_iso(t: float | None = None) -> str:
    dt = datetime.fromtimestamp(time.time() if t is None else t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def name_from_url(url: str) -> str:
    name = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
    return name or "audio"


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
            "file": self._file_dict(),
            "request_params": self.params,
            "result": result,
        }
        if trimmed and strict:
            del out["post_session_metadata"]  # the list items of the hiring-case sample have none
        return out

    def _file_dict(self) -> dict[str, Any]:
        f = self.file
        source = self.body["audio_url"] if f is None or f.source else None
        return {
            "id": f.id if f else self.file_id,
            "filename": f.filename if f else name_from_url(self.body["audio_url"]),
            "source": f.source if f else source,
            "audio_duration": round(f.info.duration, 2) if f and f.info else None,
            "number_of_channels": f.info.channels if f and f.info else None,
        }
