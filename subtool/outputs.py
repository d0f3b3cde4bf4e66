"""Writing outputs safely: a temporary file beside the target, renamed into place.

A run that fails or is interrupted leaves no half-written file: the temporary file is removed,
and the target is only replaced once the new content is complete.

Outputs get the mode any new file gets under the user's umask (0644 under 022): a media server,
a shared folder or a colleague reads the .srt beside the video. The temporary file is created
with ``os.open(..., 0o666)`` and ``O_EXCL`` rather than ``tempfile.mkstemp``, whose 0600 the
rename would keep.

A full disk, a quota or a file-size limit (ENOSPC, EDQUOT, EFBIG) is ``DiskFullError`` naming the
folder and the space needed; a name or path too long for the file system (ENAMETOOLONG) is
``PathTooLongError`` naming the path (exit 2).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .errors import DiskFullError, OutputExistsError, PathTooLongError, SubtoolError, UsageError

TEMP_MARK = ".subtool-part"
DISK_FULL_REASONS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "the disk quota is exceeded",
              errno.EFBIG: "the file is larger than the file system or the file-size limit allows"}


def _size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} bytes"


def free_space(folder: str | Path) -> int | None:
    try:
        return shutil.disk_usage(existing_ancestor(Path(folder))).free
    except OSError:
        return None


def disk_full(folder: str | Path | None, errno_code: int | None, *, what: str | None = None, needed: int | None = None) -> DiskFullError:
    """The one line for an output that did not fit: the folder, why (``errno_code`` ENOSPC,
    EDQUOT or EFBIG; None: a check before the work found too little space), what, and the space
    needed. The error's ``code`` is the errno's name ("ENOSPC"), or "no_space"."""
    reason = DISK_FULL_REASONS.get(errno_code or 0, "not enough free space")
    text = f"cannot write {what}: {reason}" if what else f"cannot write here: {reason}"
    free = free_space(folder) if folder is not None else None
    if needed:
        text += f" (about {_size(needed)} needed, {_size(free or 0)} free)" if free is not None else f" (about {_size(needed)} needed)"
    elif free is not None and errno_code == errno.ENOSPC:
        text += f" ({_size(free)} free)"
    code = errno.errorcode.get(errno_code, "no_space") if errno_code else "no_space"
    return DiskFullError(text, path=folder, hint="Free some space or write somewhere else", code=code)


def database_full(exc: BaseException, path: str | Path | None = None) -> DiskFullError | None:
    """A SQLite error (the batch state ``path``) that means the disk is full, as ``DiskFullError``:
    SQLITE_FULL, or an I/O error where less than 1 MB is left (SQLite's shared memory file cannot
    grow). None for any other error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    primary = code & 0xFF
    folder = Path(path).parent if path is not None else None
    if primary == 13 or (primary == 10 and folder is not None and (free_space(folder) or 0) < 1_000_000):  # SQLITE_FULL, SQLITE_IOERR
        return disk_full(folder, errno.ENOSPC, what=Path(path).name if path is not None else "the batch state")
    return None


def os_error(
    exc: OSError, *, folder: str | Path | None = None, what: str | None = None, needed: int | None = None, path: str | Path | None = None
) -> SubtoolError | None:
    """A full disk or a name too long as subtool's error (None for any other OSError). ``path``:
    the output to name when its name is too long (the OS names only what it was handed)."""
    if exc.errno == errno.ENAMETOOLONG:
        path = path if path is not None else exc.filename if exc.filename is not None else folder
        return PathTooLongError("the name or path is too long for the file system", path=str(path) if path is not None else None,
                                hint="Choose a shorter output name or folder (-o, -d), or rename the input")
    if exc.errno in DISK_FULL_REASONS:
        where = folder if folder is not None else (Path(exc.filename).parent if exc.filename else Path.cwd())
        return disk_full(where, exc.errno, what=what, needed=needed)
    return None


def check_free_space(folder: str | Path, needed: int, what: str) -> None:
    """Refuse before long work whose output (about ``needed`` bytes) cannot fit in ``folder``."""
    free = free_space(folder)
    if free is not None and needed > free:
        raise disk_full(folder, None, what=what, needed=needed)


def check_writable(target: str | Path, *, force: bool) -> Path:
    """Refuse an existing output unless ``force``, and a target whose folder cannot be made or
    written. Nothing is created: a check that refuses a later input leaves no empty folder."""
    target = Path(target)
    try:
        if target.is_dir():
            raise UsageError("is a folder, not a file", path=target, hint="Name the output file")
        if target.exists() and not force:
            raise OutputExistsError(target)
        folder = existing_ancestor(target.parent)
    except OSError as exc:  # a name too long for the file system, above all
        converted = os_error(exc, folder=target.parent, path=target)
        if converted is None:
            raise
        raise converted from None
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
        converted = os_error(exc, folder=folder.parent, what=f"the folder {folder}")
        if converted is not None:
            raise converted from None
        raise UsageError(f"cannot create the folder ({exc.strerror or exc})", path=folder, hint="Choose another output path") from None
    return folder


def _create_temp(target: Path, made: list[Path]) -> Path:
    """An empty new file beside ``target``, mode 0666 less the umask (see the module docstring).
    Its name goes into ``made`` before it is created, so a signal that lands between the creation
    and the caller's ``try`` still finds it to remove."""
    # The suffix's length is bounded too: a 250-byte file name plus the mark would not fit.
    suffix = f"{TEMP_MARK}{target.suffix[:20]}"
    for _ in range(100):
        tmp = target.parent / f".{target.stem[:40]}.{secrets.token_hex(4)}{suffix}"
        made.append(tmp)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            made.remove(tmp)  # someone else's
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(target.parent))


@contextlib.contextmanager
def atomic_path(target: str | Path, *, force: bool = False, size: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` (same suffix, so tools pick the right format);
    on success rename it over ``target``, on any failure or interrupt delete it. A full disk or a
    name too long, here or in the caller's writing, becomes ``DiskFullError``/``PathTooLongError``
    (``size``: the bytes the output needs, when known, for the message)."""
    target = Path(target)
    made: list[Path] = []
    try:
        target = check_writable(target, force=force)
        make_folder(target.parent)
        tmp_path = _create_temp(target, made)
    except BaseException as exc:
        for path in made:
            with contextlib.suppress(OSError):
                path.unlink()
        converted = os_error(exc, folder=target.parent, what=target.name, needed=size, path=target) if isinstance(exc, OSError) else None
        if converted is None:
            raise
        raise converted from None
    try:
        yield tmp_path
        if not force and target.exists():
            raise OutputExistsError(target)
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if isinstance(exc, OSError):
            converted = os_error(exc, folder=target.parent, what=target.name, needed=size, path=target)
            if converted is not None:
                raise converted from None
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
    with atomic_path(target, force=force, size=len(text.encode(encoding, errors="replace"))) as tmp:
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
