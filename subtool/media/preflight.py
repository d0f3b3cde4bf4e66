"""What mux and burn check before ffmpeg starts: the video can be read, the output is not the
input, and no cue is too large to be a subtitle.

The video is probed in a background thread (``start_probe``) while the subtitle files are read:
ffprobe takes 0.1-0.2 s on a large file, time better spent importing langcodes and parsing.

A subtitle is a line or two (42 characters each, in the strictest profiles); a cue of several
thousand characters is a broken file (text pasted into one cue, blank lines lost), and one of
megabytes makes ffmpeg's mov_text encoder work for minutes (quadratic in the cue's size: 7 s for
1 MB, measured) before it fails anyway: it cannot store more than 64 kB in one cue. So a cue over
``MAX_CUE_CHARS`` is refused, naming it, before ffmpeg starts.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import MediaError, SubtitleReadError
from ..models import MediaInfo
from .probe import probe
from .subinput import SubtitleInput

WarningCallback = Callable[[str], None]

MAX_CUE_CHARS = 5000
_DRAWING = re.compile(r"\\p\s*[1-9]")  # an ASS vector drawing: its path is not text to read
_WHY_TOO_LONG = {
    "mp4": "mov_text cannot store it (64 kB at most) and ffmpeg would work for minutes before failing",
    "mov": "mov_text cannot store it (64 kB at most) and ffmpeg would work for minutes before failing",
    "webm": "no player can show it",
    "mkv": "no player can show it",
    "burn": "drawing it on every frame would take very long and cover the picture",
}


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name the same file (the same path, or a link to it)."""
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False


def probe_input(video: Path) -> MediaInfo:
    """Probe a video to deliver into: refuses only what cannot be read (not the service's limits)."""
    info = probe(video, deep=False)
    # Transcription limits (no audio, too long) do not matter here; only an unreadable file does.
    for problem in info.problems:
        if problem.fatal and problem.code in {"missing", "unreadable", "empty", "corrupt", "not_media"}:
            raise MediaError(problem.message, path=video, code=problem.code)
    if not info.video_streams and not info.audio_streams:
        raise MediaError("has no video or audio stream to put subtitles on", path=video, code="no_streams")
    return info


def start_probe(video: Path) -> Callable[[], MediaInfo]:
    """Run ``probe_input(video)`` in a background thread and return a function that waits for it.

    The waiting function returns the MediaInfo or raises what ``probe_input`` raised, so errors
    still surface where the caller asks."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["info"] = probe_input(video)
        except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread by result()
            box["error"] = exc

    # daemon: a refusal that needs no probe (unknown language...) must not wait for ffprobe to exit
    thread = threading.Thread(target=work, name="subtool-probe", daemon=True)
    thread.start()

    def result() -> MediaInfo:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["info"]  # type: ignore[no-any-return]

    return result


def clock(ms: float) -> str:
    """Milliseconds as ``H:MM:SS.mmm`` (to name a cue)."""
    total = max(round(ms), 0)
    h, rest = divmod(total, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h}:{m:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def check_cue_sizes(subs: list[SubtitleInput], target: str) -> None:
    """Refuse a cue of more than ``MAX_CUE_CHARS`` characters of text (not counting override tags
    or an ASS drawing's path), naming the file, the cue and why for ``target`` (a container, or
    "burn"), before ffmpeg starts."""
    for sub in subs:
        for n, event in enumerate((e for e in sub.ssa if not e.is_comment), 1):
            if len(event.text) <= MAX_CUE_CHARS or _DRAWING.search(event.text):
                continue
            size = len(event.plaintext)
            if size > MAX_CUE_CHARS:
                raise SubtitleReadError(
                    f"cue {n} at {clock(event.start)} holds {size:,} characters; more than {MAX_CUE_CHARS:,} is not a subtitle, "
                    f"and {_WHY_TOO_LONG.get(target, 'no player can show it')}",
                    path=sub.source, hint="Check the file: text pasted into one cue, or cues that lost the blank line between them",
                )
