"""The audio the offline engine hears: ffmpeg decodes the chosen audio stream to 16 kHz mono
float32 into a pipe, read in chunks of about five minutes (cut at the quietest 100 ms near the
chunk's end, so no word is split).

faster-whisper's own decoder (PyAV) and its feature extractor both hold the whole input in memory
(the spectrogram of an hour is over 500 MB), so long inputs are fed chunk by chunk. ffmpeg is
started with ``media.ffmpeg.child_process``, as every other ffmpeg of subtool: in a session of its
own, with a stop signal that lands while it starts held until it is held, and stopped (its group)
whenever decoding ends, however it ends.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Generator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ...errors import FFmpegError, MediaError
from ...media.ffmpeg import binary, child_process, file_arg

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16000
CHUNK_SECONDS = 300.0
CUT_SEARCH_SECONDS = 20.0


def _quiet_cut(samples: np.ndarray, search_from: int) -> int:
    """Where to cut in ``samples[search_from:]``: the middle of its quietest stretch.

    The quietest 100 ms frames (within 1.5x of the minimum energy) are found, and the cut goes in
    the middle of the longest run of them, so that in a long pause it falls mid-pause rather than
    right after the last word.
    """
    import numpy as np

    frame = SAMPLE_RATE // 10
    tail = samples[search_from:]
    n = len(tail) // frame
    if n == 0:
        return len(samples)
    energy = np.square(tail[: n * frame].reshape(n, frame)).mean(axis=1)
    quiet = energy <= energy.min() * 1.5 + 1e-12
    best_start, best_len, run_start = 0, 0, None
    for k, q in enumerate([*quiet.tolist(), False]):
        if q and run_start is None:
            run_start = k
        elif not q and run_start is not None:
            if k - run_start > best_len:
                best_start, best_len = run_start, k - run_start
            run_start = None
    middle = best_start + best_len // 2
    return search_from + middle * frame + frame // 2


def stream_audio(
    path: str | Path, *, audio_stream: int | None = None, chunk_seconds: float = CHUNK_SECONDS
) -> Generator[tuple[float, np.ndarray], None, None]:
    """Decode ``path`` to 16 kHz mono float32 and yield ``(offset seconds, samples)`` chunks.

    ``audio_stream`` N is the Nth audio stream (0-based, as ffmpeg's ``0:a:N``); None lets ffmpeg
    pick (the default-disposition stream first, then the one with most channels).
    """
    cmd = [binary("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", file_arg(path)]
    if audio_stream is not None:
        cmd += ["-map", f"0:a:{audio_stream}"]
    cmd += ["-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
    with child_process(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        stderr_out = proc.stderr
        errors: list[bytes] = []
        reader = threading.Thread(target=lambda: errors.append(stderr_out.read()), daemon=True)
        reader.start()
        try:
            offset, rest = yield from _chunks(proc.stdout, chunk_seconds)
        finally:
            proc.stdout.close()  # an ffmpeg still writing into the pipe ends at once, not blocked in a write
        proc.wait()
        reader.join(5)
    if proc.returncode != 0:
        last = next((ln for ln in reversed(b"".join(errors).decode("utf-8", "replace").splitlines()) if ln.strip()), "")
        if offset == 0 and not len(rest):
            raise MediaError(f"cannot decode its audio: {last.strip() or 'ffmpeg failed'}", path=path,
                             hint="Check the file with 'subtool probe', or pick another stream with --audio-stream")
        raise FFmpegError(f"decoding the audio failed at {offset / SAMPLE_RATE:.1f} s: {last.strip()}", path=path)
    if offset == 0 and not len(rest):
        raise MediaError("has no audio to transcribe", path=path, hint="Check the file with 'subtool probe'")
    if len(rest):
        yield offset / SAMPLE_RATE, rest


def _chunks(stdout: IO[bytes], chunk_seconds: float) -> Generator[tuple[float, np.ndarray], None, tuple[int, np.ndarray]]:
    """The decoded samples read from ``stdout`` in chunks of about ``chunk_seconds``, each cut at a
    quiet moment near its end; at the end of the stream, ``(offset in samples, the rest)``."""
    import numpy as np

    chunk = max(int(chunk_seconds * SAMPLE_RATE), SAMPLE_RATE)
    search = min(int(CUT_SEARCH_SECONDS * SAMPLE_RATE), chunk // 2)
    pending = np.empty(0, dtype=np.float32)
    offset = 0
    while True:
        data = stdout.read((chunk - len(pending)) * 4)
        eof = len(data) < (chunk - len(pending)) * 4
        new = np.frombuffer(data[: len(data) // 4 * 4], dtype=np.float32)
        buf = np.concatenate([pending, new]) if len(pending) else new
        if eof:
            return offset, buf
        cut = _quiet_cut(buf, len(buf) - search)
        yield offset / SAMPLE_RATE, buf[:cut]
        pending = buf[cut:].copy()
        offset += cut
