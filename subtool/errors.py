"""One exception hierarchy for subtool.

Every error carries its exit code (the README's table) and renders as one line that names the file (or
URL, or job) and the problem, followed by what to do about it. ``cli`` maps them to exit codes;
the library raises them as they are. A password in a URL (``http://user:pass@host``) is hidden
(``redaction.redact``) in the message and path as the error is made, so no line, report or state
that shows an error can hold it.
"""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_SERVICE = 4
EXIT_INTERRUPTED = 130


class SubtoolError(Exception):
    """Base of every error subtool raises on purpose."""

    exit_code: int = EXIT_FAILED

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        from .redaction import redact

        self.message = redact(message)
        self.path = redact(str(path)) if path is not None else None
        self.hint = redact(hint) if hint is not None else None
        self.code = code
        super().__init__(self.line())

    def line(self) -> str:
        """The one line a user sees: ``<file>: <problem>. <what to do>``."""
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.hint:
            text = f"{text.rstrip('.')}. {self.hint}"
        return " ".join(text.split())

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[SubtoolError], state: dict[str, object]) -> SubtoolError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, err.line())
    return err


class UsageError(SubtoolError):
    """Bad options, unknown preset or language, output that would be overwritten."""

    exit_code = EXIT_USAGE


class PresetError(UsageError):
    """A preset is missing or malformed (names the file and the key)."""


class LanguageError(UsageError):
    """A language code that no engine or container understands."""


class OutputExistsError(UsageError):
    """An output already exists and ``--force`` was not given."""

    def __init__(self, path: str | Path) -> None:
        super().__init__("already exists", path=path, hint="Pass --force to overwrite it")


class InputError(SubtoolError):
    """An input was rejected: media, subtitle file or URL (exit 3)."""

    exit_code = EXIT_INPUT


class MediaError(InputError):
    """A media file cannot be used (see ``code`` for the probe problem code)."""


class SubtitleReadError(InputError):
    """A file that cannot be read as subtitles."""


class SourceError(InputError):
    """A URL that cannot be resolved, reached or downloaded."""


class ServiceError(SubtoolError):
    """The transcription service refused or failed (exit 4)."""

    exit_code = EXIT_SERVICE


class AuthError(ServiceError):
    """The API key was missing or refused."""


class RateLimitError(ServiceError):
    """The service kept answering 429 beyond the retry deadline."""


class JobError(ServiceError):
    """A job ended in ``error`` at the service."""

    def __init__(
        self, job_id: str, error_code: int | None, detail: str | None = None, *, path: str | Path | None = None
    ) -> None:
        self.job_id = job_id
        self.error_code = error_code
        text = f"job {job_id} failed at the service (error code {error_code})"
        if detail:
            text += f": {detail}"
        super().__init__(text, path=path, hint="Check the input, then retry; the job id identifies it")


class ServiceTimeoutError(ServiceError):
    """Waited too long for the service."""


class ServiceUnavailableError(ServiceError):
    """The service could not be reached or kept failing with 5xx."""


class EngineError(SubtoolError):
    """The local engine cannot run (missing model extra, bad model files)."""


class FFmpegError(SubtoolError):
    """ffmpeg or ffprobe failed or is missing."""


class ProfileViolation(SubtoolError):
    """Subtitles that would break their profile, refused with ``--strict`` (exit 1): nothing of
    them was written or delivered."""


class DiskFullError(SubtoolError):
    """An output could not be written: no space left, a disk quota or a file-size limit (exit 1).
    ``path`` names the folder; the message says what was being written and, when it is known,
    how much space it needs."""


class PathTooLongError(UsageError):
    """An output's name or path is longer than the file system takes (ENAMETOOLONG)."""


class SignalInterrupt(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP received (``signum``): raised by the command line's handler, a
    ``KeyboardInterrupt`` so every ``except KeyboardInterrupt`` / ``finally`` that cleans up after
    Ctrl-C does the same for ``timeout``, ``docker stop``, systemd and a closed terminal."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal_name(signum))

    # A few steps must not be cut in two: between the start of a child process and the moment
    # its caller holds it (Popen returning), a signal would leave the child running unseen.
    _held = 0
    _pending: int | None = None

    @classmethod
    def deliver(cls, signum: int) -> None:
        """What a signal handler calls: raise now, or when the held step ends (see ``hold``)."""
        if cls._held:
            cls._pending = cls._pending or signum
            return
        raise cls(signum)

    @classmethod
    def hold(cls) -> Callable[[], None]:
        """Hold signals off for a step of the main thread; returns ``release``, which raises the
        signal that came meanwhile. Elsewhere (worker threads, where handlers never run) a no-op."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        cls._held += 1

        def release() -> None:
            cls._held -= 1
            if not cls._held and cls._pending is not None:
                signum, cls._pending = cls._pending, None
                raise cls(signum)

        return release


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _signal_in_flight() -> int | None:
    """The signal of the ``SignalInterrupt`` being handled, if that is what is being handled."""
    exc: BaseException | None = sys.exc_info()[1]
    while exc is not None:
        if isinstance(exc, SignalInterrupt):
            return exc.signum
        exc = exc.__context__
    return None


class Interrupted(SubtoolError):
    """Ctrl-C or a stop signal: says which jobs were left at the service so they can be resumed
    or deleted. ``signum`` (taken from the ``SignalInterrupt`` being handled when not given) makes
    the exit code the shell's 128 + signal: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str = "interrupted", *, job_ids: list[str] | None = None, signum: int | None = None) -> None:
        self.job_ids = list(job_ids or [])
        self.signum = signum if signum is not None else _signal_in_flight()
        if self.signum is not None:
            self.exit_code = 128 + self.signum
        hint = None
        if self.job_ids:
            hint = "Jobs still at the service: " + ", ".join(self.job_ids) + (" (a batch takes its own up again with --resume, a run with "
                                                                              "--resume-job ID; 'subtool jobs delete ID' deletes one once done)")
        super().__init__(message, hint=hint)


__all__ = [
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SERVICE",
    "EXIT_USAGE",
    "AuthError",
    "DiskFullError",
    "EngineError",
    "FFmpegError",
    "InputError",
    "Interrupted",
    "JobError",
    "LanguageError",
    "MediaError",
    "OutputExistsError",
    "PathTooLongError",
    "PresetError",
    "RateLimitError",
    "ServiceError",
    "ServiceTimeoutError",
    "ServiceUnavailableError",
    "SignalInterrupt",
    "SourceError",
    "SubtitleReadError",
    "SubtoolError",
    "UsageError",
]
