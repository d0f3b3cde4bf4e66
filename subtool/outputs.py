"""Writing outputs safely: a temporary file beside the target, renamed into place.

A run that fails or is interrupted leaves no half-written file: the temporary file is removed,
and the target is only replaced once the new content is complete.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputExistsError, UsageError

TEMP_MARK = ".subtool-part"


def check_writable(target: str | Path, *, force: bool) -> Path:
    """Refuse an existing output unless ``force``, and a target whose folder cannot be made or
    written. Nothing is created: a check that refuses a later input leaves no empty folder."""
    target = Path(target)
    if target.is_dir():
        raise UsageError("is a folder, not a file", path=target, hint="Name the output file")
    if target.exists() and not force:
        raise OutputExistsError(target)
    folder = existing_ancestor(target.parent)
    if not folder.is_dir():
        raise UsageError(f"cannot be written: {folder} is a file, not a folder", path=target, hint="Choose another output path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot be written: no permission to write in {folder}", path=target, hint="Choose another output path")
    return target


def existing_ancestor(folder: Path) -> Path:
    """``folder`` or its nearest parent that exists."""
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def make_folder(folder: str | Path) -> Path:
    """Create an output folder (and its parents); an OS refusal as one clear line."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder ({exc.strerror or exc})", path=folder, hint="Choose another output path") from None
    return folder


@contextlib.contextmanager
def atomic_path(target: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` (same suffix, so tools pick the right format);
    on success rename it over ``target``, on any failure or interrupt delete it."""
    target = check_writable(target, force=force)
    make_folder(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=f"{TEMP_MARK}{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if not force and target.exists():
            raise OutputExistsError(target)
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def remove_stale_parts(folder: str | Path, stem: str) -> list[Path]:
    """Delete the temporary files a killed run (SIGKILL: no cleanup ran) left for outputs named
    ``<stem>.*`` in ``folder``; what ``atomic_path`` names ``.<stem>....subtool-part<suffix>``."""
    removed: list[Path] = []
    # atomic_path keeps the first 40 characters of the target's stem ("<stem>.en", ...).
    prefix = f".{stem}." if len(stem) < 40 else f".{stem[:40]}"
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(prefix) and TEMP_MARK in entry.name and entry.is_file():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
    return removed


def write_text(target: str | Path, text: str, *, force: bool = False, encoding: str = "utf-8") -> Path:
    """Write ``text`` atomically (UTF-8, ``\\n`` line ends)."""
    with atomic_path(target, force=force) as tmp:
        with open(tmp, "w", encoding=encoding, newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(target)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str, *, max_bytes: int = 150, fallback: str = "video") -> str:
    """A file name stem that is valid on Linux, macOS and Windows (from a video's title)."""
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" ._")
    if name.upper().split(".")[0] in _RESERVED:
        name = f"_{name}"
    encoded = name.encode("utf-8")
    if len(encoded) > max_bytes:
        name = encoded[:max_bytes].decode("utf-8", "ignore").rstrip(" ._")
    return name or fallback
