"""A batch's state: one SQLite row per item, one transaction per change of stage, held by one
batch at a time.

The create's token is committed before the create and the job id right after it, before
waiting, so after a crash ``--resume`` polls that job (or finds it by its token) instead of
paying for a new one; the finished transcript is kept in the row too, so nothing after it needs
the service again. WAL with synchronous=NORMAL: a commit survives the process being killed (what
``--resume`` is for); FULL cost an fsync per change of stage, serialised across the workers, and
halved the batch's throughput.

One batch at a time holds the state (an OS lock on ``<state>.lock``, released by the OS however
the process dies): two ``--resume`` on one state paid every remaining item twice (10 jobs for 6
items). The file is checked when opened (SQLite's quick_check, its application id and columns):
a damaged or foreign file is refused with what to do, and a row that cannot be read (bad JSON)
is done again, its job polled by its id, rather than blocking every later ``--resume``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..errors import UsageError
from ..models import Transcript
from ..outputs import database_full

STATE_NAME = ".subtool-batch.sqlite"
# "submitting": the create's token is recorded, the job id not yet (a crash there is resolved
# by looking the token up at the service).
STAGES = ("pending", "audio", "submitting", "submitted", "transcribed", "written", "delivered", "done", "failed")
STARTED = {"audio", "submitting", "submitted", "transcribed", "written", "delivered"}

APPLICATION_ID = 0x53554254  # "SUBT" in the SQLite header (PRAGMA application_id): a subtool batch state
COLUMNS = (
    "key", "position", "input", "settings", "stage", "token", "job_id", "cache_key", "transcript", "outputs", "output", "error",
    "exit_code", "attempts", "created", "updated", "started", "finished", "jobs",
)
# States written before the jobs of a long input's pieces were recorded (``jobs``): taken up, and
# the column added.
LEGACY_COLUMNS = frozenset(COLUMNS) - {"jobs"}


def _state_problem(db: sqlite3.Connection) -> tuple[str, str] | None:
    """("damaged", why) or ("foreign", why) for a file that is not a usable batch state; None for
    ours (or an empty database). Read-only: a foreign database is not touched."""
    try:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        check = [str(r[0]) for r in db.execute("PRAGMA quick_check").fetchall()]
        tables = sorted(str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
        columns = {str(r[1]) for r in db.execute("PRAGMA table_info(items)")}
    except sqlite3.DatabaseError as exc:
        return "damaged", str(exc)
    if check != ["ok"]:
        lines = [line for line in "\n".join(check).splitlines() if line.strip() and not line.startswith("***")]
        return "damaged", f"SQLite's check: {lines[0] if lines else check[0]}"
    if app_id not in (0, APPLICATION_ID):
        return "foreign", f"a SQLite database of another application (id {app_id:#x})"
    if not tables:
        return None
    kind = "damaged" if app_id == APPLICATION_ID else "foreign"
    if "items" not in tables:
        return kind, "a SQLite database with the tables " + ", ".join(tables)
    if columns != set(COLUMNS) and columns != LEGACY_COLUMNS:
        return kind, "a SQLite database whose items table has other columns (" + ", ".join(sorted(columns)) + ")"
    return None


class Recorder(Protocol):
    """Where an item's worker records each change of its row (``State``, or on a Dask cluster a
    link to the batch's client, the only writer of the state: ``cluster.link``)."""

    def set(self, key: str, **values: Any) -> None: ...


class State:
    """The SQLite state file: one row per item, one transaction per change.

    On open the file is checked (SQLite's quick_check, the application id, the table's columns):
    a damaged file or another application's database is refused with what to do, never read as
    a state; ``restart`` sets a damaged one aside (``<name>.damaged``), never a foreign one."""

    def __init__(self, path: Path, *, restart: bool = False, on_note: Callable[[str], None] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.Lock()
        problem = None
        if path.exists() and path.stat().st_size > 0:
            try:
                probe = sqlite3.connect(path, timeout=30)
            except sqlite3.Error as exc:
                raise UsageError(f"cannot be opened ({exc})", path=path, hint="Check its permissions, or pass --state NEW_FILE") from None
            try:
                problem = _state_problem(probe)
            finally:
                probe.close()
        if problem is not None and problem[0] == "foreign":
            raise UsageError(f"is not a subtool batch state: {problem[1]}", path=path, hint="Pass --state NEW_FILE (this file is left as it is)")
        if problem is not None and not restart:
            raise UsageError(
                f"is not a usable subtool batch state: damaged, or not a SQLite file ({problem[1]})",
                path=path,
                hint="Pass --state NEW_FILE to start a new state, or --restart to set this one aside and start over (jobs it recorded are then paid again)",
            )
        if problem is not None:
            aside = path.with_name(path.name + ".damaged")
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{path}{suffix}", f"{aside}{suffix}")
            if on_note:
                on_note(f"{path}: damaged ({problem[1]}); set aside as {aside}, starting afresh")
        try:
            self.db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: in WAL mode a commit survives the process being killed (what --resume is
            # for); only a power cut can lose the last commits. FULL costs an fsync per change of
            # stage, serialised across the workers: it halved the batch's throughput.
            self.db.execute("PRAGMA synchronous=NORMAL")
            with self.db:
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(
                    """CREATE TABLE IF NOT EXISTS items (
                        key TEXT PRIMARY KEY, position INTEGER, input TEXT NOT NULL, settings TEXT,
                        stage TEXT NOT NULL, token TEXT, job_id TEXT, cache_key TEXT, transcript TEXT,
                        outputs TEXT, output TEXT, error TEXT, exit_code INTEGER, attempts INTEGER DEFAULT 0,
                        created REAL, updated REAL, started REAL, finished REAL, jobs TEXT)"""
                )
                if "jobs" not in {str(r[1]) for r in self.db.execute("PRAGMA table_info(items)")}:
                    self.db.execute("ALTER TABLE items ADD COLUMN jobs TEXT")
        except sqlite3.DatabaseError as exc:
            raise database_full(exc, path) or UsageError(f"is not a usable batch state file ({exc})", path=path, hint="Pass --state NEW_FILE, or --restart") from None

    def rows(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            cur = self.db.execute("SELECT * FROM items")
            names = [d[0] for d in cur.description]
            return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}

    def row(self, key: str) -> dict[str, Any] | None:
        with self.lock:
            cur = self.db.execute("SELECT * FROM items WHERE key = ?", (key,))
            names = [d[0] for d in cur.description]
            found = cur.fetchone()
            return dict(zip(names, found, strict=True)) if found is not None else None

    def clear(self) -> None:
        with self.lock, self.db:
            self.db.execute("DELETE FROM items")

    def add_many(self, rows: list[tuple[str, int, str, str]], failures: list[tuple[str, str, int]]) -> None:
        """New items (key, position, input, settings) and items refused by the checks, in one
        transaction."""
        now = time.time()
        with self.lock, self.db:
            self.db.executemany(
                "INSERT OR IGNORE INTO items (key, position, input, settings, stage, created, updated) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                [(*row, now, now) for row in rows],
            )
            self.db.executemany("UPDATE items SET position = ? WHERE key = ?", [(row[1], row[0]) for row in rows])
            self.db.executemany(
                "UPDATE items SET stage = 'failed', error = ?, exit_code = ?, finished = ?, updated = ? WHERE key = ?",
                [(error, code, now, now, key) for key, error, code in failures],
            )

    def set(self, key: str, **values: Any) -> None:
        values["updated"] = time.time()
        cols = ", ".join(f"{k} = ?" for k in values)
        with self.lock, self.db:
            self.db.execute(f"UPDATE items SET {cols} WHERE key = ?", (*values.values(), key))  # the column names are ours

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()


@contextlib.contextmanager
def locked(state_file: Path) -> Iterator[None]:
    """Hold an OS lock (``flock``) on ``<state>.lock`` for the whole run, so that a second batch on
    the same state is refused at once rather than paying every remaining item again; the OS
    releases it when the process dies, however it dies. The file holds the holder's pid (for the
    refusal's message) and is removed on the way out."""
    import fcntl

    lock_path = state_file.with_name(state_file.name + ".lock")
    if state_file.is_dir():
        raise UsageError("is a folder, not a batch state file", path=state_file, hint="Give --state a file name")
    while True:
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UsageError(f"cannot be created ({exc.strerror or exc})", path=lock_path, hint="Choose another --state") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise UsageError(
                f"is in use by another subtool batch ({f'pid {holder}' if holder else 'pid unknown'})",
                path=state_file,
                hint="Wait for that batch to end (or stop it), then run again with --resume; one state serves one batch at a time",
            ) from None
        except OSError as exc:
            os.close(fd)
            raise UsageError(f"cannot be locked ({exc.strerror or exc})", path=lock_path, hint="Put the state on a local disk with --state") from None
        # Its previous holder may have removed the file between our open and our lock: then lock
        # the file that is there now.
        try:
            current = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)
    try:
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:  # a full disk: the state beside it could not be written either
            from ..outputs import os_error

            raise os_error(exc, folder=state_file.parent, what=state_file.name) or exc from None
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path)  # still held: whoever opens it next locks a new file
        os.close(fd)


def _holder(fd: int) -> str | None:
    """The pid in a lock file (its holder writes it just after locking: wait a moment for it)."""
    for _ in range(20):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return text
        time.sleep(0.05)
    return None


# -- reading rows back -----------------------------------------------------------------------------


def row_transcript(row: Mapping[str, Any]) -> Transcript | None:
    """The transcript a row holds; None when it holds none, or one that cannot be read."""
    text = row.get("transcript")
    if not text:
        return None
    try:
        return Transcript.from_dict(json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def row_jobs(row: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """The jobs a row records, by piece: ``{piece: {"token", "job_id", "since"}}`` (from the
    ``jobs`` column, else the token and job id columns of piece 0, as older states hold them)."""
    try:
        value = json.loads(row.get("jobs") or "{}")
    except (ValueError, TypeError):
        value = {}
    jobs = {int(k): dict(v) for k, v in value.items() if isinstance(v, dict) and str(k).isdigit()} if isinstance(value, dict) else {}
    if not jobs and (row.get("token") or row.get("job_id")):
        jobs[0] = {"token": row.get("token"), "job_id": row.get("job_id"), "since": None}
    return jobs


def row_outputs(row: Mapping[str, Any]) -> list[str] | None:
    try:
        value = json.loads(row.get("outputs") or "[]")
    except (ValueError, TypeError):
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


def unreadable(row: Mapping[str, Any]) -> str | None:
    """What of a row cannot be read (bad JSON written by hand, a disk fault, an older subtool)."""
    if row.get("stage") not in STAGES:
        return f"its stage {row.get('stage')!r}"
    if row.get("transcript") and row_transcript(row) is None:
        return "its transcript"
    if row["stage"] == "done" and row_outputs(row) is None:
        return "its list of outputs"
    return None
