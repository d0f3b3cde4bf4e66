"""The engine protocols: what the transcribe stage may ask of an engine.

Every engine refuses what it cannot do (``check``) before any work, and names what besides the
options makes its result (``cache_tag``, part of the cache key). Then one of two shapes:

- ``WholeEngine`` transcribes a whole input here, in one call (the offline Whisper engine: it
  decodes the media itself and cuts it into pieces of its own);
- ``JobEngine`` sends audio to a service as jobs that outlive the process (Gladia): submit, wait,
  find by token, with the account's job slots. The transcribe stage cuts inputs longer than
  ``max_duration`` into pieces, sends them concurrently, records each job in the scheduler's
  ``JobJournal`` and stitches the results: that logic is the stage's, so a batch, a single run and
  a cluster worker share it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeGuard

from ..models import NOTE, TranscribeOptions, Transcript
from .jobs import Run, SlotLimiter

StatusCallback = Callable[[str], None]
"""Receives short human status lines ("uploading 1.2 MB", "job 3f2a… processing"). Lines that
start with ``NOTE`` tell the user something about the result or the wait (a language assumed, a
retry) and are shown even without a progress display; those that start with ``WARNING`` say what
the result could not keep (speech left without words) and are the run's warnings."""

WARNING = "warning: "

ProgressCallback = Callable[[float, float | None], None]
"""(seconds of audio done, total seconds or None)."""


class Engine(Protocol):
    name: str

    @property
    def fetches_urls(self) -> bool:
        """True when the engine can be given an online-platform URL instead of audio."""
        ...

    @property
    def takes_media(self) -> bool:
        """True when the engine decodes any local media file itself (no audio is extracted for it:
        it gets the input as it is, and ``options.audio_stream`` picks the stream)."""
        ...

    @property
    def submits_jobs(self) -> bool:
        """True for a ``JobEngine``."""
        ...

    def check(self, options: TranscribeOptions) -> None:
        """Refuse what the engine cannot do with ``options``, before any work on the input."""
        ...

    def cache_tag(self, options: TranscribeOptions) -> str:
        """What besides the options makes this engine's result (its model): part of the cache key."""
        ...


class WholeEngine(Engine, Protocol):
    def transcribe(
        self,
        audio: str | Path,
        options: TranscribeOptions,
        *,
        duration: float | None = None,
        on_status: StatusCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Transcribe the whole of ``audio`` (a local media file)."""
        ...


class JobEngine(Engine, Protocol):
    slots: SlotLimiter  # the account's job slots (see engines.jobs)
    max_duration: float  # the longest audio one job takes
    chunk_target: float  # the length of the pieces a longer input is cut into

    def new_run(self, on_status: StatusCallback | None = None) -> Run: ...

    def submit(self, audio: str | Path, options: TranscribeOptions, *, run: Run, token: str) -> str:
        """Upload ``audio`` (a local file; a URL is handed over), create the job carrying
        ``token``, hold a job slot; the job's id."""
        ...

    def adopt(self, job_id: str, *, run: Run) -> None:
        """Take up a job created earlier (by a crashed run): hold a slot for it as ``submit`` does."""
        ...

    def wait(self, job_id: str, *, run: Run, path: str | None = None) -> dict[str, Any]:
        """Poll the job until it is done; its raw JSON. Releases its slot."""
        ...

    def find_job(self, token: str, since: float | None = None) -> str | None:
        """The job created with ``token``, if the service has one."""
        ...

    def to_transcript(
        self, raw: dict[str, Any], *, targets: list[str], offset: float, job_ids: list[str], notes: list[str]
    ) -> Transcript:
        """A done job's JSON as a ``Transcript``, its times shifted by ``offset``."""
        ...


def is_job_engine(engine: Engine) -> TypeGuard[JobEngine]:
    return engine.submits_jobs


def is_whole_engine(engine: Engine) -> TypeGuard[WholeEngine]:
    return not engine.submits_jobs


__all__ = ["NOTE", "WARNING", "Engine", "JobEngine", "ProgressCallback", "StatusCallback", "WholeEngine", "is_job_engine", "is_whole_engine"]
