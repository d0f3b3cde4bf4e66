"""A job at the transcription service, as ``subtool jobs`` lists it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class JobInfo:
    """One job: its id, status (queued, processing, done, error), when it was made, the audio it
    was given (file name, seconds), its error code, and the token subtool put in it (None for a
    job another tool made)."""

    id: str
    status: str
    created_at: str | None = None
    filename: str | None = None
    duration: float | None = None
    error_code: int | None = None
    token: str | None = None
    translate: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
