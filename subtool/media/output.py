"""Writing a delivered video: the space it needs is checked first, ffmpeg writes atomic_path's part
file, and the part is read back (``write_verified``) before it is renamed into place.

ffmpeg creates the part file itself: writing into the truncated placeholder ``atomic_path`` made
would make ext4 (auto_da_alloc) flush the whole output when ffmpeg closes it, ~1 s per 2 GB.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import FFmpegError
from ..models import MediaInfo
from ..outputs import atomic_path, check_free_space
from .ffmpeg import ProgressCallback, file_arg, write_verified


def output_estimate(video: Path, others: list[Path], factor: float) -> int:
    """The bytes an output made from ``video`` (and ``others``, such as subtitle files) needs:
    ``factor`` times their sizes (1.05 copied, as ``pipeline.plan`` checks; 1.5 re-encoded), plus
    1 MB for the container's own index."""
    total = 0
    for path in [video, *others]:
        try:
            total += Path(path).stat().st_size
        except OSError:
            pass
    return int(total * factor) + 1_000_000


def planned_duration(info: MediaInfo) -> float | None:
    """How long an output of ``info``'s video and audio lasts: the longest of those streams (a
    subtitle or data stream the output drops may make the file's own duration longer)."""
    kept = [s.duration for s in info.streams if s.type in {"video", "audio"} and not s.attached_pic and s.duration]
    return max(kept) if kept else info.duration


def container_refused(exc: FFmpegError) -> bool:
    """Whether ffmpeg failed because the output container cannot hold one of the streams."""
    return "not currently supported in container" in exc.message or "Could not find tag for codec" in exc.message


def write_output(
    command: Callable[[str], Sequence[str]],
    output: Path,
    *,
    needed: int,
    streams: dict[str, int],
    duration: float | None,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    what: str = "ffmpeg",
    cancel: threading.Event | None = None,
) -> None:
    """Run ffmpeg with ``command(target)`` (its whole argument list, writing the output argument
    ``target``) into a part file, check it (``write_verified``: ``streams``, ``duration``), and
    rename it to ``output``. ``needed``: the bytes the output needs (see ``output_estimate``),
    refused up front when the disk has not that much free."""
    check_free_space(output.parent, needed, output.name)
    with atomic_path(output, force=force, size=needed) as part:
        part.unlink()  # ffmpeg creates it (see the module docstring)
        write_verified(command(file_arg(part)), part, output, streams=streams, duration=duration, needed=needed,
                       on_progress=on_progress, what=what, cancel=cancel)
