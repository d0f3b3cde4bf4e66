"""Running ffmpeg and ffprobe: argument lists only (never a shell), progress, clean interrupts,
and outputs checked before they are kept.

ffmpeg 5.1 exits 0 when its output could not be finished: on a disk that fills up it prints
"Error writing trailer of ...: No space left on device" and leaves an MKV without its index or an
MP4 without its moov atom, unplayable. So ``run_ffmpeg`` treats such a line as the failure it is
(whatever the exit code), and ``write_verified`` reads a delivered video back with ffprobe
(readable, the planned streams, about the planned duration) before ``atomic_path`` renames it into
place; the read-back costs one ffprobe of the header (0.09 s for a 117 MB MP4, 0.10 s for the
same as MKV, measured).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import DiskFullError, FFmpegError, Interrupted, SignalInterrupt
from ..outputs import DISK_FULL_REASONS, disk_full, free_space

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


# What ffmpeg says when it could not write its output (it may still exit 0), and the errno each
# strerror text stands for (ffmpeg prints strerror(), in the C locale it runs under here).
_WRITE_FAILED = re.compile(r"^(?:Error writing trailer of (?P<file>.+?)|Error closing file (?P<closed>.+?)|av_interleaved_write_frame\(\))"
                           r": (?P<reason>.+)$", re.M)
_WRITE_ERRNO = {os.strerror(code): code for code in DISK_FULL_REASONS}


def _write_failure(stderr: str, what: str) -> DiskFullError | FFmpegError | None:
    """The error for an output ffmpeg says it could not write, or None."""
    match = _WRITE_FAILED.search(stderr)
    if match is None:
        return None
    reason = match["reason"].strip()
    code = _WRITE_ERRNO.get(reason)
    target = next((m["file"] or m["closed"] for m in _WRITE_FAILED.finditer(stderr) if m["file"] or m["closed"]), None)
    if code is not None:
        folder = Path(target.removeprefix("file:")).parent if target else Path.cwd()
        return disk_full(folder, code, what=f"the output of {what}")
    return FFmpegError(f"{what} could not finish writing its output: {reason}")


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
    release = SignalInterrupt.hold()  # a stop signal during the start is raised below, once we hold ffmpeg
    try:
        proc = _start(cmd)
    except BaseException:
        release()
        raise
    stderr_chunks: list[str] = []
    try:
        release()
        reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read() if proc.stderr else ""), daemon=True)
        reader.start()
        if cancel is not None:
            threading.Thread(target=_stop_when, args=(cancel, proc), daemon=True).start()
        _follow_progress(proc, duration, on_progress)
        proc.wait()
    except KeyboardInterrupt:
        _stop(proc)
        raise Interrupted(f"{what} interrupted") from None
    finally:
        _stop(proc)  # whatever stopped us (an error in on_progress, a signal before the loop)
    reader.join(5)
    if cancel is not None and cancel.is_set():
        raise Interrupted(f"{what} cancelled")
    stderr = "".join(stderr_chunks)
    _check_exit(proc.returncode, stderr, what)
    if on_progress and duration:
        on_progress(duration, duration)
    return stderr


def _start(cmd: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
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
        env={**os.environ, "LC_ALL": "C"},  # strerror() texts in English: _write_failure reads them
    )


def _stop_when(cancel: threading.Event, proc: subprocess.Popen[str]) -> None:
    """Stop ``proc`` as soon as ``cancel`` is set (a thread's work, while ffmpeg runs)."""
    while proc.poll() is None:
        if cancel.wait(0.2):
            _stop(proc)
            return


def _follow_progress(proc: subprocess.Popen[str], duration: float | None, on_progress: ProgressCallback | None) -> None:
    """Read ffmpeg's ``-progress`` lines until it closes them, calling ``on_progress``."""
    assert proc.stdout is not None
    for line in proc.stdout:
        key, _, value = line.strip().partition("=")
        if on_progress and key == "out_time_us" and value.isdigit():
            on_progress(int(value) / 1e6, duration)


def _check_exit(returncode: int, stderr: str, what: str) -> None:
    """Raise what a finished ffmpeg's exit says: killed by a signal, an output it could not write
    (whatever the exit code), or its last error line."""
    if returncode < 0:
        # Killed by a signal (out of memory, a file-size limit, another program): ffmpeg wrote no
        # error of its own, so the signal is the only clue.
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = "the disk or file-size limit may have been reached" if name == "SIGXFSZ" else "it may have run out of memory, or been stopped"
        raise FFmpegError(f"{what} was killed by {name}", hint=hint[:1].upper() + hint[1:])
    failure = _write_failure(stderr, what)
    if failure is not None:
        raise failure
    if returncode != 0:
        raise FFmpegError(f"{what} failed: {_last_error_line(stderr)}")


def read_back(path: Path) -> tuple[dict[str, int], float | None] | None:
    """(streams per type, duration) of a file ffmpeg wrote, as a player's demuxer sees them;
    None when ffprobe cannot read it."""
    # The containers we write list their streams and duration in the header (MP4's moov, the
    # Matroska segment info): no packets need reading, which halves the read-back of an MKV.
    res = run_ffprobe(["-v", "error", "-probesize", "32", "-analyzeduration", "0", "-print_format", "json",
                       "-show_entries", "format=duration:stream=codec_type", file_arg(path)])
    if res.returncode != 0:
        return None
    try:
        doc = json.loads(res.stdout or "{}")
    except ValueError:
        return None
    counts: dict[str, int] = {}
    for stream in doc.get("streams") or []:
        kind = str(stream.get("codec_type") or "")
        counts[kind] = counts.get(kind, 0) + 1
    raw = (doc.get("format") or {}).get("duration")
    try:
        seconds: float | None = float(raw) if raw is not None else None
    except ValueError:
        seconds = None
    return counts, seconds


def write_verified(
    args: Sequence[str],
    part: Path,
    target: Path,
    *,
    streams: dict[str, int],
    duration: float | None,
    needed: int | None = None,
    on_progress: ProgressCallback | None = None,
    what: str = "ffmpeg",
    cancel: threading.Event | None = None,
) -> str:
    """Run ffmpeg with ``args`` (the whole list, writing ``part``: ``atomic_path``'s temporary file
    for ``target``), then read ``part`` back: it must open, hold ``streams`` (per type: at least
    that many video, exactly that many audio and subtitle streams) and last about ``duration``
    seconds (no more than 5% + 1 s short). Raises ``DiskFullError`` when the disk filled up (``needed``: the
    estimated size, for the message), ``FFmpegError`` for another short or unreadable output."""
    try:
        errors = run_ffmpeg(args, duration=duration, on_progress=on_progress, what=what, cancel=cancel)
    except DiskFullError as exc:
        raise disk_full(target.parent, getattr(errno, exc.code or "", errno.ENOSPC), what=target.name, needed=needed) from None
    got = read_back(part)
    problem = None
    if got is None:
        problem = "cannot be read back"
    else:
        counts, seconds = got
        for kind, n in streams.items():
            have = counts.get(kind, 0)
            if have < n or (kind != "video" and have != n):
                problem = f"has {have} {kind} stream(s), {n} planned"
                break
        else:
            if duration and (seconds is None or seconds < duration * 0.95 - 1.0):
                problem = f"lasts {seconds:.1f} s of {duration:.1f} s" if seconds is not None else "has no duration (its index was never written)"
    if problem is None:
        return errors
    free = free_space(target.parent)
    if free is not None and free < max(needed or 0, 1_000_000) * 0.05:
        raise disk_full(target.parent, errno.ENOSPC, what=target.name, needed=needed)
    raise FFmpegError(f"the file {what} wrote {problem}", path=target,
                      hint="Nothing was kept; if the input is damaged ('subtool probe' decodes it to the end), re-export it")


@contextlib.contextmanager
def child_process(cmd: Sequence[str], **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """``cmd`` started in a session of its own (``popen``: Popen's other arguments) and stopped,
    its whole process group, when the block ends, however it ends. Ctrl-C and stop signals are
    ours to handle, as in ``run_ffmpeg``; one that lands while the process starts is held until
    the process is held here, then raised, so no child is ever left running with nobody holding
    its pid."""
    release = SignalInterrupt.hold()
    try:
        proc = subprocess.Popen(cmd, start_new_session=True, **popen)
    except BaseException:
        release()
        raise
    try:
        release()
        yield proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[Any]) -> None:
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
