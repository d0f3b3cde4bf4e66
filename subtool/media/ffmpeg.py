"""Running ffmpeg and ffprobe: argument lists only (never a shell), progress, clean interrupts."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import FFmpegError, Interrupted

ProgressCallback = Callable[[float, float | None], None]
"""Called with (seconds of output written, total seconds or None)."""


@functools.cache
def binary(name: str) -> str:
    """Path of ``ffmpeg`` or ``ffprobe`` (``SUBTOOL_FFMPEG_DIR`` first, then ``PATH``)."""
    folder = os.environ.get("SUBTOOL_FFMPEG_DIR")
    if folder and (Path(folder) / name).exists():
        return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        raise FFmpegError(f"{name} was not found on PATH", hint="Install ffmpeg (Debian: apt install ffmpeg) or run 'make demo'")
    return found


def file_arg(path: str | Path) -> str:
    """A path as an ffmpeg input/output argument: ``file:`` so a ':' or a leading '-' is not
    taken for a protocol or an option (as yt-dlp does)."""
    return "file:" + str(path)


def _last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no error output"


def run_ffprobe(args: Sequence[str], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    cmd = [binary("ffprobe"), "-hide_banner", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise FFmpegError(f"ffprobe did not answer within {timeout:.0f} s") from exc


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    what: str = "ffmpeg",
    cancel: threading.Event | None = None,
) -> str:
    """Run ffmpeg with ``args`` (inputs, maps, outputs); what it wrote on stderr (errors it
    survived, such as a truncated input's). Raises ``FFmpegError`` with ffmpeg's last error line,
    ``Interrupted`` on Ctrl-C or when ``cancel`` is set (ffmpeg is stopped first)."""
    cmd = [binary("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1", *args]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        # Ctrl-C and stop signals are ours to handle: we stop ffmpeg's group, then clean up. (In
        # the terminal's process group ffmpeg would also quit on Ctrl-C, but not on a SIGTERM
        # sent to subtool alone, and it would go on writing a part file nobody removes.)
        start_new_session=True,
    )
    stderr_chunks: list[str] = []
    try:
        reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read() if proc.stderr else ""), daemon=True)
        reader.start()
        if cancel is not None:
            def watch() -> None:
                while proc.poll() is None:
                    if cancel.wait(0.2):
                        _stop(proc)
                        return
            threading.Thread(target=watch, daemon=True).start()
        assert proc.stdout is not None
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if on_progress and key == "out_time_us" and value.isdigit():
                on_progress(int(value) / 1e6, duration)
        proc.wait()
    except KeyboardInterrupt:
        _stop(proc)
        raise Interrupted(f"{what} interrupted") from None
    finally:
        _stop(proc)  # whatever stopped us (an error in on_progress, a signal before the loop)
    reader.join(5)
    if cancel is not None and cancel.is_set():
        raise Interrupted(f"{what} cancelled")
    if proc.returncode < 0:
        # Killed by a signal (out of memory, a file-size limit, another program): ffmpeg wrote no
        # error of its own, so the signal is the only clue.
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        hint = "the disk or file-size limit may have been reached" if name == "SIGXFSZ" else "it may have run out of memory, or been stopped"
        raise FFmpegError(f"{what} was killed by {name}", hint=hint[:1].upper() + hint[1:])
    if proc.returncode != 0:
        raise FFmpegError(f"{what} failed: {_last_error_line(''.join(stderr_chunks))}")
    if on_progress and duration:
        on_progress(duration, duration)
    return "".join(stderr_chunks)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


@functools.cache
def filter_options(name: str) -> frozenset[str]:
    """The option names this ffmpeg build's filter ``name`` accepts (they differ by version)."""
    out = subprocess.run([binary("ffmpeg"), "-hide_banner", "-h", f"filter={name}"], capture_output=True, text=True, check=False)
    opts = set()
    for line in out.stdout.splitlines():
        parts = line.split()
        if parts and line.startswith("   ") and not line.startswith("     ") and parts[0].isidentifier():
            opts.add(parts[0])
    return frozenset(opts)
