"""Downloading a URL's media: a format the delivery can use without re-encoding, written
atomically into the destination folder, within the bounds ``transfer`` watches.

A download the caller keeps (the video a mux reads) goes to a ``scratch_folder`` on the outputs'
disk, whose free space was checked, not into the temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from ..errors import Interrupted, OutputExistsError, SourceError, UsageError
from ..outputs import TEMP_MARK
from .cookies import check_cookies
from .metadata import SourceInfo, to_info
from .transfer import DEFAULT_MAX_DOWNLOAD, ProgressCallback, Transfer
from .transfer import stall_timeout as _stall_timeout
from .urls import require_url
from .ytdlp import options

Prefer = Literal["mkv", "mp4", "webm", "any"]


def _format_options(prefer: str, audio_only: bool) -> dict[str, Any]:
    """Formats the delivery can use as they are (stream copy), best first."""
    if audio_only:
        return {"format": "ba/b", "format_sort": ["acodec:opus", "abr"] if prefer in ("mkv", "webm") else ["acodec:aac", "abr"]}
    if prefer == "mp4":
        return {
            "format": "bv*[ext=mp4]+ba[ext=m4a]/b[ext=mp4]/bv*+ba/b",
            "format_sort": ["vcodec:h264", "acodec:aac", "ext:mp4:m4a"],
            "merge_output_format": "mp4/mkv",
        }
    if prefer == "webm":
        return {
            "format": "bv*[ext=webm]+ba[ext=webm]/b[ext=webm]/bv*+ba/b",
            "format_sort": ["vcodec:vp9", "acodec:opus", "ext:webm:webm"],
            "merge_output_format": "webm/mkv",
        }
    if prefer == "mkv":
        return {"format": "bv*+ba/b", "merge_output_format": "mkv"}
    if prefer == "any":
        return {"format": "bv*+ba/b"}
    raise UsageError(f"unknown download preference {prefer!r}", hint="Use mkv, mp4, webm or any")


def download(
    info_or_url: SourceInfo | str,
    dest_dir: str | Path,
    *,
    prefer: Prefer | str = "mkv",
    audio_only: bool = False,
    cookies: str | Path | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    timeout: float = 30,
    retries: int = 3,
    force: bool = False,
    max_bytes: int | None = None,
    stall_timeout: float | None = None,
) -> Path:
    """Download the media into ``dest_dir`` as ``<stem>.<ext>`` and return its path.

    yt-dlp works in a hidden folder inside ``dest_dir``; the finished file is renamed into place,
    and the folder (``.part`` files, fragments) is removed whatever happens, so a failed or
    interrupted download leaves nothing behind. ``on_progress(done_bytes, total_bytes|None)``,
    called from the caller's thread. ``max_bytes`` (default ``DEFAULT_MAX_DOWNLOAD``) and
    ``stall_timeout`` (seconds; default ``SUBTOOL_DOWNLOAD_STALL_TIMEOUT`` or 60) bound it: past
    them it stops with a ``SourceError`` saying which.
    """
    fmt_opts = _format_options(prefer, audio_only)
    stall_s = stall_timeout if stall_timeout is not None else _stall_timeout()
    cookiefile = check_cookies(cookies)
    info = info_or_url if isinstance(info_or_url, SourceInfo) else None
    url = info.url if info else str(info_or_url)
    if info is not None and info.is_playlist:
        raise UsageError("is a playlist", path=url, hint="Download each entry of expand(info, allow_playlist=True)")
    if info is None:
        require_url(url)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    if info is not None:
        _refuse_existing(dest, info.stem, force=force)

    with _work_dir(dest) as work:
        transfer = Transfer(
            url, work, max_bytes=DEFAULT_MAX_DOWNLOAD if max_bytes is None else max_bytes, stall_s=stall_s, cancel=cancel, on_progress=on_progress,
        )
        opts = {**options(cookies=cookiefile, timeout=timeout, retries=retries), **fmt_opts, **_into(work)}
        try:
            done = transfer.run(opts, info.raw if info is not None else None)
        except KeyboardInterrupt:
            raise Interrupted(f"{url}: download interrupted") from None
        produced = _produced_file(done, work)
        if produced is None:
            raise SourceError("the download produced no file", path=url)
        if info is None:
            info = to_info(done if isinstance(done, dict) else {}, url)
        target = dest / f"{info.stem}{produced.suffix}"
        if target.exists() and not force:
            raise OutputExistsError(target)
        os.replace(produced, target)
    return target


def _into(work: Path) -> dict[str, Any]:
    """yt-dlp's options for one download into ``work`` (renamed into place afterwards)."""
    return {
        "noplaylist": True,
        "paths": {"home": str(work), "temp": str(work)},
        "outtmpl": {"default": "media.%(ext)s"},
        "overwrites": True,
        "continuedl": False,
    }


_MEDIA_EXTS = (".mkv", ".mp4", ".webm", ".m4a", ".mp3", ".opus", ".ogg", ".wav", ".mov", ".flac", ".aac")


def _refuse_existing(dest: Path, stem: str, *, force: bool) -> None:
    """Before downloading: the extension is only known afterwards, so any media under that stem
    counts (checked again at the rename)."""
    if force:
        return
    for ext in _MEDIA_EXTS:
        if (dest / f"{stem}{ext}").exists():
            raise OutputExistsError(dest / f"{stem}{ext}")


@contextlib.contextmanager
def scratch_folder(near: str | Path) -> Iterator[Path]:
    """A hidden folder in ``near`` for a download that is needed after ``download`` returns (the
    video a mux reads): on the disk the outputs go to, whose free space was checked, rather than
    in the temporary folder (often a small tmpfs). Removed afterwards, with the folders it had to
    make when they stayed empty."""
    from ..outputs import make_folder

    folder = Path(near).absolute()
    made: list[Path] = []  # deepest first
    cur = folder
    while not cur.exists() and cur != cur.parent:
        made.append(cur)
        cur = cur.parent
    make_folder(folder)
    work = Path(tempfile.mkdtemp(prefix=".download.", suffix=TEMP_MARK, dir=folder))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        for path in made:
            try:
                path.rmdir()
            except OSError:
                break


@contextlib.contextmanager
def _work_dir(dest: Path) -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix=".download.", suffix=TEMP_MARK, dir=dest))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _produced_file(done: Any, work: Path) -> Path | None:
    if isinstance(done, dict):
        for item in done.get("requested_downloads") or []:
            path = item.get("filepath")
            if path and Path(path).is_file():
                return Path(path)
    files = [p for p in work.iterdir() if p.is_file() and not p.name.endswith((".part", ".ytdl", ".temp"))]
    return files[0] if len(files) == 1 else None
