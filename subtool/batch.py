"""Many inputs through the ``run`` flow: service slots kept full, resumable, with a report.

Items come from a manifest (CSV or TOML) or from mappings with the same keys. Every item is
checked before any work starts; an item that fails a check, or fails later, is recorded with its
reason and the others go on.

Scheduling: a pool of item workers. Local ffmpeg work (audio extraction, mux, burn) holds one of
``local_jobs`` local slots (the machine's cores); service jobs hold one of the Gladia engine's
process-wide job slots (``engines.gladia.engine.JobSlots``, not counted a second time here), so while
some items wait on the service others extract their audio or are muxed. A 429 lowers that slot
limit and successful creates raise it again (``_Pacer``); the report says how it went.

State: one SQLite row per item (WAL, each change of stage its own transaction). The create's
token is committed before the create and the job id right after it, before waiting, so after a
crash ``--resume`` polls that job (or finds it by its token) instead of paying for a new one;
the finished transcript is kept in the row too, so nothing after it needs the service again.
One batch at a time holds the state (an OS lock on ``<state>.lock``, released by the OS however
the process dies): two ``--resume`` on one state paid every remaining item twice (10 jobs for 6
items). The file is checked when opened (SQLite's quick_check, its application id and columns):
a damaged or foreign file is refused with what to do, and a row that cannot be read (bad JSON)
is done again, its job polled by its id, rather than blocking every later ``--resume``. A URL's
password is never stored: an item's key and stored input use the redacted URL, and the real one
is read from the manifest again on ``--resume``.

Outputs: before any job, the files each item will write (``_item_outputs``: its video and its
side files) are compared across items as the filesystem compares them (symlinks and ``..``
resolved, case ignored where the folder ignores it); a later item that would overwrite an
earlier one's fails, naming both rows. A manifest file's items may write only inside its folder
or -d unless ``allow_outside`` (a shared manifest once wrote far above its own folder).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import json
import os
import re
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cache as result_cache
from . import pipeline
from . import transcription as tx
from .engines.base import Engine, TranscribeOptions
from .engines.gladia import service
from .errors import EXIT_FAILED, Interrupted, ServiceError, SubtoolError, UsageError
from .models import Transcript
from .outputs import database_full, remove_stale_parts, write_text

__all__ = ["BatchReport", "run_batch"]

FIELDS = ("input", "languages", "translate", "delivery", "burn_language", "replace", "output", "outdir")
STATE_NAME = ".subtool-batch.sqlite"
# "submitting": the create's token is recorded, the job id not yet (a crash there is resolved
# by looking the token up at the service).
STAGES = ("pending", "audio", "submitting", "submitted", "transcribed", "written", "delivered", "done", "failed")
STARTED = {"audio", "submitting", "submitted", "transcribed", "written", "delivered"}

EventCallback = Callable[[dict[str, Any]], None]


# -- items -----------------------------------------------------------------------------------


@dataclass
class _Item:
    """One row of the batch, as given (paths already made absolute)."""

    where: str  # "manifest.csv:4" or "argument 2", for messages
    input: str
    languages: list[str] = field(default_factory=list)
    translate: list[str] = field(default_factory=list)
    delivery: str | None = None
    burn_language: str | None = None
    replace: bool = False  # mux: drop the input's own subtitle streams
    output: str | None = None
    outdir: str | None = None
    error: SubtoolError | None = None  # a problem found while reading the row


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    parts = value if isinstance(value, list) else re.split(r"[,\s]+", str(value))
    return [str(p).strip() for p in parts if str(p).strip()]


def _is_url(text: str) -> bool:
    from .sources import is_url

    return is_url(text)


def _item(where: str, row: Mapping[str, Any], base: Path, defaults: Mapping[str, Any]) -> _Item:
    merged = {**{k: v for k, v in defaults.items() if v not in (None, "", [])}, **{k: v for k, v in row.items() if v not in (None, "", [])}}

    def path(key: str) -> str | None:
        value = merged.get(key)
        if value in (None, ""):
            return None
        text = os.path.expanduser(str(value).strip())
        if key == "input" and _is_url(text):
            return text
        return str(base / text) if not os.path.isabs(text) else text

    item = _Item(where, path("input") or "")
    for key in ("languages", "translate"):
        setattr(item, key, _split(merged.get(key)))
    try:
        item.replace = _yes(merged.get("replace"), where)
    except UsageError as exc:
        item.error = exc
    for key in ("delivery", "burn_language"):
        value = merged.get(key)
        setattr(item, key, str(value).strip() if value not in (None, "") else None)
    item.output, item.outdir = path("output"), path("outdir")
    if not item.input:
        item.error = item.error or UsageError("no input given", path=where, hint="Fill the input column")
    return item


def _unknown(names: Iterable[str], where: str) -> None:
    for name in names:
        if name not in FIELDS:
            raise UsageError(f"unknown column '{name}'", path=where, hint="Columns: " + ", ".join(FIELDS))


def _read_csv(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"is not UTF-8 text (byte {exc.start})", path=path, hint="Save the manifest as CSV UTF-8") from None
    except OSError as exc:
        raise UsageError(f"cannot be read ({exc.strerror})", path=path) from None
    first = text.split("\n", 1)[0]
    # Spreadsheets in comma-decimal locales export with ";" (or tabs).
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    reader = csv.reader(text.splitlines(), delimiter=delimiter, strict=True)
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if not any(header):
            raise UsageError("is empty: no header row", path=path, hint="The first row names the columns: " + ", ".join(FIELDS))
        _unknown([h for h in header if h], f"{path}:1")
        if "input" not in header:
            raise UsageError("has no 'input' column", path=f"{path}:1", hint="The first row names the columns: " + ", ".join(FIELDS))
        for cells in reader:
            where = f"{path}:{reader.line_num}"
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise UsageError(f"has {len(cells)} cells but the header names {len(header)} columns", path=where, hint="Quote cells that contain the delimiter")
            rows.append((where, {h: c.strip() for h, c in zip(header, cells, strict=False) if h}))
    except csv.Error as exc:
        raise UsageError(f"is not valid CSV ({exc})", path=f"{path}:{reader.line_num}") from None
    return rows


def _read_toml(path: Path) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    import tomllib

    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"is not valid TOML ({exc})", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot be read ({exc})", path=path) from None
    for key in doc:
        if key not in ("item", "defaults"):
            raise UsageError(f"unknown table '{key}'", path=path, hint="Use [defaults] and [[item]] tables")
    defaults = doc.get("defaults", {})
    items = doc.get("item", [])
    if not isinstance(defaults, dict) or not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UsageError("needs one [defaults] table and [[item]] tables", path=path)
    _unknown(defaults, f"{path} [defaults]")
    _check_types(defaults, f"{path} [defaults]")
    rows = []
    for n, entry in enumerate(items, 1):
        _unknown(entry, f"{path} item {n}")
        _check_types(entry, f"{path} item {n}")
        rows.append((f"{path} item {n}", entry))
    return rows, defaults


_LIST_FIELDS = ("languages", "translate")  # text ("fr,es") or a list of texts; the rest: text
_YES = {"yes": True, "true": True, "1": True, "y": True, "no": False, "false": False, "0": False, "n": False, "": False}


def _yes(value: Any, where: str) -> bool:
    """A yes/no cell (``replace``): yes/no, true/false, 1/0, or a TOML boolean."""
    if value is None or isinstance(value, bool):
        return bool(value)
    answer = _YES.get(str(value).strip().lower())
    if answer is None:
        raise UsageError(f"replace must be yes or no, not '{value}'", path=where)
    return answer


def _check_types(entry: Mapping[str, Any], where: str) -> None:
    """TOML has types a CSV cell has not: a number or table where text belongs is refused rather
    than read as a file named '7' or a language called "{'x':...}"."""
    for key, value in entry.items():
        ok = isinstance(value, str) or (key in _LIST_FIELDS and isinstance(value, list) and all(isinstance(v, str) for v in value))
        ok = ok or (key == "replace" and isinstance(value, bool))
        ok = ok or (key in ("input", "output", "outdir") and isinstance(value, os.PathLike)) or value is None
        if not ok:
            want = "text or a list of texts" if key in _LIST_FIELDS else "text"
            raise UsageError(f"key '{key}' must be {want}, not {type(value).__name__} ({value!r})", path=where)


def _load(
    items: str | Path | Iterable[Mapping[str, Any] | str | Path], defaults: Mapping[str, Any]
) -> tuple[list[_Item], Path]:
    """The items, and the folder that relative paths (and the state file) are relative to."""
    if isinstance(items, (str, Path)):
        path = Path(items)
        if not path.is_file():
            raise UsageError("no such manifest file", path=path)
        suffix = path.suffix.lower()
        if suffix == ".toml":
            rows, file_defaults = _read_toml(path)
        elif suffix in (".csv", ".tsv", ".txt"):
            rows, file_defaults = _read_csv(path), {}
        else:
            raise UsageError("is not a manifest (.csv or .toml)", path=path)
        base = path.resolve().parent
        given = {k: v for k, v in defaults.items() if v not in (None, "", [])}
        return [_item(where, row, base, {**file_defaults, **given}) for where, row in rows], base
    base = Path.cwd()
    out = []
    for n, row in enumerate(items, 1):
        if isinstance(row, (str, Path)):  # a bare path or URL
            row = {"input": str(row)}
        _unknown(row, f"item {n}")
        _check_types(row, f"item {n}")
        out.append(_item(f"item {n}", row, base, defaults))
    return out, base


def _delivery(spec: str | None) -> tuple[str | None, str | None, bool]:
    """``mux`` preset, ``burn`` style, sidecars only: from ``mkv-multi``, ``burn:STYLE``, ``sidecars``."""
    if spec in (None, ""):
        return None, None, False
    assert spec is not None
    kind, _, name = spec.partition(":")
    if spec.strip().lower() in ("sidecars", "sidecars-only", "none"):
        return None, None, True
    if kind == "burn":
        return None, name or "default", False
    if kind == "mux" and name:
        return name, None, False
    return spec, None, False


# -- state -------------------------------------------------------------------------------------


APPLICATION_ID = 0x53554254  # "SUBT" in the SQLite header (PRAGMA application_id): a subtool batch state
COLUMNS = (
    "key", "position", "input", "settings", "stage", "token", "job_id", "cache_key", "transcript", "outputs", "output", "error",
    "exit_code", "attempts", "created", "updated", "started", "finished",
)


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
    if columns != set(COLUMNS):
        return kind, "a SQLite database whose items table has other columns (" + ", ".join(sorted(columns)) + ")"
    return None


class _State:
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
                        created REAL, updated REAL, started REAL, finished REAL)"""
                )
        except sqlite3.DatabaseError as exc:
            raise database_full(exc, path) or UsageError(f"is not a usable batch state file ({exc})", path=path, hint="Pass --state NEW_FILE, or --restart") from None

    def rows(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            cur = self.db.execute("SELECT * FROM items")
            names = [d[0] for d in cur.description]
            return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}

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
def _locked(state_file: Path) -> Iterator[None]:
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
            from .outputs import os_error

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


def _row_transcript(row: Mapping[str, Any]) -> Transcript | None:
    """The transcript a row holds; None when it holds none, or one that cannot be read."""
    text = row.get("transcript")
    if not text:
        return None
    try:
        return Transcript.from_dict(json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _row_outputs(row: Mapping[str, Any]) -> list[str] | None:
    try:
        value = json.loads(row.get("outputs") or "[]")
    except (ValueError, TypeError):
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


def _unreadable(row: Mapping[str, Any]) -> str | None:
    """What of a row cannot be read (bad JSON written by hand, a disk fault, an older subtool)."""
    if row.get("stage") not in STAGES:
        return f"its stage {row.get('stage')!r}"
    if row.get("transcript") and _row_transcript(row) is None:
        return "its transcript"
    if row["stage"] == "done" and _row_outputs(row) is None:
        return "its list of outputs"
    return None


# -- pacing ------------------------------------------------------------------------------------


class _Pacer:
    """429 answers lower the engine's job-slot limit by one (at most once a second); each run of
    ``limit`` successful creates raises it again by one, up to ``max_jobs``."""

    def __init__(self, slots: Any, max_jobs: int) -> None:
        self.slots = slots
        self.max_jobs = max_jobs
        self.lock = threading.Lock()
        self.rate_limited = 0
        self.lowest = slots.limit
        self.changes: list[tuple[float, int]] = []
        self._streak = 0
        self._last_cut = 0.0
        self._t0 = time.monotonic()

    def on_retry(self, error: SubtoolError) -> None:
        from .errors import RateLimitError

        if not isinstance(error, RateLimitError):
            return
        with self.lock:
            self.rate_limited += 1
            self._streak = 0
            now = time.monotonic()
            if self.slots.limit > 1 and now - self._last_cut >= 1.0:
                self._last_cut = now
                self._set(self.slots.limit - 1)

    def created(self) -> None:
        with self.lock:
            self._streak += 1
            if self.slots.limit < self.max_jobs and self._streak >= self.slots.limit:
                self._streak = 0
                self._set(self.slots.limit + 1)

    def _set(self, limit: int) -> None:
        self.slots.limit = limit
        self.lowest = min(self.lowest, limit)
        self.changes.append((round(time.monotonic() - self._t0, 2), limit))

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_jobs": self.max_jobs,
            "rate_limited": self.rate_limited,
            "lowest_limit": self.lowest,
            "final_limit": self.slots.limit,
            "peak_jobs": self.slots.peak,
            "limit_changes": [{"at_s": t, "limit": n} for t, n in self.changes],
        }


# -- the report ----------------------------------------------------------------------------------


@dataclass
class ItemReport:
    input: str
    where: str
    status: str  # done | failed | skipped (done by an earlier run) | interrupted (| pending while running)
    languages: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    output: str | None = None
    error: str | None = None
    exit_code: int = 0
    job_id: str | None = None
    seconds: float | None = None
    burned: str | None = None  # the language burned into ``output`` (burn deliveries)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class BatchReport:
    """What a batch did: one entry per item, the counts, the service pacing, the state file."""

    items: list[ItemReport]
    state: str
    seconds: float
    engine: str
    pacing: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def failed(self) -> list[ItemReport]:
        return [i for i in self.items if i.status == "failed"]

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed else 0

    def counts(self) -> dict[str, int]:
        out = {"total": len(self.items), "done": 0, "skipped": 0, "failed": 0, "interrupted": 0}
        for item in self.items:
            out[item.status] = out.get(item.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "subtool.batch/1",
            "state": self.state,
            "engine": self.engine,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
            "counts": self.counts(),
            "pacing": self.pacing,
            "items": [i.to_dict() for i in self.items],
        }


# -- the work --------------------------------------------------------------------------------------


@dataclass
class _Work:
    key: str
    position: int
    item: _Item
    options: TranscribeOptions
    delivery: pipeline.Delivery
    resumed: bool  # started by an earlier run: its own outputs may exist
    plan: pipeline.Plan | None = None  # made by the worker (it probes the media)


class _Batch:
    def __init__(
        self,
        state: _State,
        engine: Engine,
        *,
        max_jobs: int,
        local_jobs: int,
        force: bool,
        speaker_labels: bool,
        keep_raw: bool,
        cancel: threading.Event,
        on_event: EventCallback | None,
        on_warning: Callable[[str], None] | None,
        cookies: str | Path | None = None,
        on_note: Callable[[str], None] | None = None,
        max_download: int | None = None,
    ) -> None:
        self.state = state
        self.cookies = cookies
        self.on_note = on_note
        self.max_download = max_download
        self.engine = engine
        self.force = force
        self.speaker_labels = speaker_labels
        self.keep_raw = keep_raw
        self.cancel = cancel
        self.on_event = on_event
        self.on_warning = on_warning
        self.local = threading.BoundedSemaphore(local_jobs)
        # ffprobe is lighter than an encode and partly waits on the disk: twice the cores.
        self.probe = threading.BoundedSemaphore(2 * local_jobs)
        # The offline model is loaded once; more than one transcription at a time would only
        # split the same cores.
        self.model = threading.BoundedSemaphore(1)
        self.gladia = engine.name == "gladia"
        self.slots: Any = getattr(engine, "slots", None)
        self.pacer = _Pacer(self.slots, max_jobs) if self.slots is not None else None
        self.runs: dict[int, Any] = {}  # id -> engine Run (a dataclass, so not hashable)
        self.lock = threading.Lock()
        self.at_service: set[str] = set()
        self.active: set[str] = set()
        self.raw: dict[str, list[dict[str, Any]]] = {}  # for --keep-raw, while the item runs

    # small helpers -------------------------------------------------------------------------

    def _stage(self, key: str, stage: str, **values: Any) -> None:
        self.state.set(key, stage=stage, **values)

    def _held(self, sem: threading.BoundedSemaphore) -> contextlib.AbstractContextManager[None]:
        @contextlib.contextmanager
        def held() -> Any:
            while not sem.acquire(timeout=0.2):
                if self.cancel.is_set():
                    raise Interrupted("cancelled")
            try:
                yield
            finally:
                sem.release()

        return held()

    def _local(self) -> contextlib.AbstractContextManager[None]:
        return self._held(self.local)

    def probing(self) -> contextlib.AbstractContextManager[None]:
        return self._held(self.probe)

    def _new_run(self) -> Any:
        run = self.engine.new_run()  # type: ignore[attr-defined]
        assert self.pacer is not None
        run.on_retry = self.pacer.on_retry
        with self.lock:
            self.runs[id(run)] = run
        if self.cancel.is_set():
            run.cancel.set()
        return run

    def _done_run(self, run: Any) -> None:
        with self.lock:
            self.runs.pop(id(run), None)

    def stop(self) -> None:
        self.cancel.set()
        with self.lock:
            for run in self.runs.values():
                run.cancel.set()

    def _await(self, w: _Work, job_id: str, run: Any) -> tuple[Transcript, list[dict[str, Any]]]:
        with self.lock:
            self.at_service.add(w.key)
        try:
            raw = self.engine.wait(job_id, run=run, path=w.item.input)  # type: ignore[attr-defined]
        finally:
            with self.lock:
                self.at_service.discard(w.key)
        transcript = self.engine.to_transcript(raw, targets=list(w.options.translate), job_ids=[job_id])  # type: ignore[attr-defined]
        if w.plan is not None and w.plan.prepared is not None and w.plan.prepared.duration and not transcript.duration:
            transcript.duration = w.plan.prepared.duration
        return transcript, [{"offset": 0.0, "job": raw}]

    # one item ------------------------------------------------------------------------------

    def process(self, w: _Work, row: dict[str, Any]) -> dict[str, Any]:
        """Take the item from its recorded stage to done; the values recorded at the end."""
        with self.lock:
            self.active.add(w.key)
        try:
            return self._process(w, row)
        finally:
            with self.lock:
                self.active.discard(w.key)

    def _process(self, w: _Work, row: dict[str, Any]) -> dict[str, Any]:
        stage = row["stage"]
        plan = w.plan
        assert plan is not None
        self.state.set(w.key, attempts=(row.get("attempts") or 0) + 1, started=time.time(), error=None, exit_code=None)
        transcript: Transcript | None = None
        if row.get("transcript") and stage != "pending":
            # Paid for already: an item that failed after its transcription (a bad preset, a full
            # disk) is not transcribed again.
            transcript = _row_transcript(row)
        if transcript is None and stage in ("submitted", "submitting") and self.gladia:
            transcript = self._resume_job(w, row)
        elif transcript is None and stage == "failed" and self.gladia and row.get("job_id"):
            # Its job may have finished after the earlier run gave up waiting (a deadline, the
            # network): use it; a job that ended in error, or is gone, is created again.
            with contextlib.suppress(ServiceError):
                transcript = self._resume_job(w, row)
        from . import sources

        with tempfile.TemporaryDirectory(prefix="subtool-batch-") as tmp, contextlib.ExitStack() as scratch:
            prepared = plan.prepared
            if prepared is None:  # a URL whose video is needed: download it
                audio_only = plan.delivery.kind == "sidecars"
                if audio_only and self.on_note and self.engine.fetches_urls and sources.has_credentials(plan.source.url):
                    self.on_note(f"{sources.redact(w.item.input)}: the URL carries a password, which is never handed to the service: its audio is downloaded here")
                with self._local():
                    self._stage(w.key, "audio")
                    prefer = {"mp4": "mp4", "mov": "mp4", "webm": "webm"}.get(plan.delivery.container or "", "mkv")
                    # Beside the outputs, on the disk they go to, not in the temporary folder.
                    where = scratch.enter_context(sources.scratch_folder(plan.output.parent if plan.output is not None else plan.outdir))
                    downloaded = sources.download(
                        plan.source, where, prefer=prefer, audio_only=audio_only, cookies=self.cookies, cancel=self.cancel,
                        max_bytes=self.max_download,
                    )
                    prepared = tx.prepare(str(downloaded), w.options, self.engine, stem=plan.stem, force=True)
                    prepared.url = plan.source.webpage_url or plan.source.url  # transcript.json names the URL, not the download
            if transcript is None:
                transcript = self._transcribe(w, prepared, Path(tmp))
            transcript.source = sources.redact(prepared.url or str(w.item.input))
            resumed = w.resumed or stage != "pending"
            if resumed:  # a killed run may have left temporary files of this item's outputs
                remove_stale_parts(prepared.stem.parent, prepared.stem.name)
                if plan.output is not None:
                    remove_stale_parts(plan.output.parent, plan.output.stem)
            raw = self.raw.pop(w.key, None) if self.keep_raw else None
            files, tracks = tx.write_outputs(
                prepared.stem, transcript, w.options, plan.profile, force=self.force or resumed, speaker_labels=self.speaker_labels, raw=raw
            )
            self._stage(w.key, "written", outputs=json.dumps(files))
            output = burned = None
            if plan.delivery.kind != "sidecars":
                with self._local():
                    if self.cancel.is_set():
                        raise Interrupted("cancelled")
                    delivered = pipeline.deliver(
                        plan, Path(prepared.input), tracks, transcript.language, transcript.all_languages(),
                        force=self.force or resumed, on_warning=self.on_warning, cancel=self.cancel,
                    )
                output, burned = delivered.output, delivered.burned
                self._stage(w.key, "delivered", output=str(output) if output else None)
        return {"languages": transcript.all_languages(), "outputs": files, "output": str(output) if output else None, "burned": burned}

    def _resume_job(self, w: _Work, row: dict[str, Any]) -> Transcript | None:
        """A job recorded by an earlier run: poll it by id (found by token if the id was not yet
        recorded), holding a job slot like any running job. None when there is no such job."""
        job_id = row.get("job_id")
        if not job_id and row.get("token"):
            job_id = self.engine.find_job(row["token"])  # type: ignore[attr-defined]
            if job_id:
                self._stage(w.key, "submitted", job_id=job_id)
        if not job_id:
            return None
        run = self._new_run()
        try:
            self.slots.acquire(run.cancel)
            transcript, raw = self._await(w, job_id, run)
        finally:
            self._done_run(run)
        self._record(w, transcript, row.get("cache_key"), raw)
        return transcript

    def _record(self, w: _Work, transcript: Transcript, key: str | None, raw: list[dict[str, Any]] | None) -> None:
        if key:
            result_cache.store(key, transcript, raw)
        if raw:
            self.raw[w.key] = raw
        self._stage(w.key, "transcribed", transcript=json.dumps(transcript.to_dict(), ensure_ascii=False))

    def _transcribe(self, w: _Work, prepared: tx.Prepared, tmp: Path) -> Transcript:
        opts = tx.engine_options(prepared, w.options, self.engine)
        with self._local():
            self._stage(w.key, "audio")
            audio = tx.audio_for(prepared, opts, self.engine, tmp, cancel=self.cancel)
            key = tx.cache_key(audio, opts, self.engine)
        hit = result_cache.load(key) if opts.use_cache else None
        if hit is not None:
            self._record(w, hit[0], None, hit[1])
            return hit[0]
        limit = getattr(self.engine, "max_duration", float("inf"))
        if self.gladia and not (prepared.duration and prepared.duration > limit):
            run = self._new_run()
            try:
                token = uuid.uuid4().hex
                self._stage(w.key, "submitting", token=token, cache_key=key, job_id=None)
                job_id = self.engine.submit(audio, opts, run=run, token=token)  # type: ignore[attr-defined]
                # Committed before waiting: a crash from here on resumes this job, never a new one.
                self._stage(w.key, "submitted", job_id=job_id)
                assert self.pacer is not None
                self.pacer.created()
                transcript, raw = self._await(w, job_id, run)
            finally:
                self._done_run(run)
            self._record(w, transcript, key, raw)
            return transcript
        # Long inputs (cut into chunks by the engine) and the offline engine: one call.
        self._stage(w.key, "submitted", cache_key=key)
        if self.gladia:
            with self.lock:
                self.at_service.add(w.key)
            try:
                transcript = self.engine.transcribe(audio, opts, duration=prepared.duration)
            finally:
                with self.lock:
                    self.at_service.discard(w.key)
        else:
            with self.model:
                if self.cancel.is_set():
                    raise Interrupted("cancelled")
                transcript = self.engine.transcribe(audio, opts, duration=prepared.duration)
        self._record(w, transcript, key, None)
        return transcript


# -- planning -------------------------------------------------------------------------------------


def _reason(item: _Item, error: SubtoolError) -> str:
    """The error's line, naming the item when the error does not already."""
    from .sources import redact

    line = error.line()
    shown = redact(item.input)
    named = (shown and shown in line) or line.startswith(f"{item.where}:")
    return line if named else f"{shown or item.where}: {line}"


def _settings(item: _Item, options: TranscribeOptions, profile: str | None) -> dict[str, Any]:
    """What makes an item what it is (its key is their hash), as stored in the state: a URL's
    password is not part of it (the URL is read from the manifest again on --resume)."""
    from .sources import redact

    settings: dict[str, Any] = {
        "input": redact(item.input),
        "languages": item.languages,
        "translate": item.translate,
        "delivery": item.delivery,
        "burn_language": item.burn_language,
        "output": item.output,
        "outdir": item.outdir,
        "profile": profile,
        "transcription": tx.cache_options(options),
        "formats": list(options.formats),
    }
    if item.replace:  # only when set: the keys of states written before the column existed stay the same
        settings["replace"] = True
    return settings


def _key(settings: dict[str, Any]) -> str:
    doc = json.dumps(settings, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:32]


def _options_for(item: _Item, shared: TranscribeOptions) -> TranscribeOptions:
    opts = dataclasses.replace(shared, languages=list(item.languages or shared.languages), translate=list(item.translate or shared.translate))
    opts.formats = list(shared.formats)
    opts.vocabulary = list(shared.vocabulary)
    return opts


def _check(item: _Item, shared: TranscribeOptions, engine: Engine) -> tuple[TranscribeOptions, pipeline.Delivery]:
    """The cheap checks, done for every item before any work: languages, formats, presets."""
    if item.error is not None:
        raise item.error
    opts = tx.check_options(_options_for(item, shared), engine)
    mux, burn, sidecars = _delivery(item.delivery)
    return opts, pipeline.delivery(mux=mux, burn=burn, sidecars_only=sidecars, burn_language=item.burn_language, replace=item.replace)


def _plan(w: _Work, engine: Engine, profile: str | None, force: bool, keep_raw: bool, cookies: str | Path | None = None) -> pipeline.Plan:
    """The media checks (probe, URL resolution, outputs): done by the item's worker, so the
    first jobs start while later items are still being probed."""
    item = w.item
    try:
        plans = pipeline.plan(
            item.input, w.options, engine, w.delivery, profile=profile, output=item.output, outdir=item.outdir, force=force,
            keep_raw=keep_raw, cookies=cookies,
            deep=False,  # items are independent: a truncated one is found by its own audio extraction
        )
    except UsageError as exc:
        if exc.code == "playlist":  # one video per item: its state, job and outputs are the item's
            raise UsageError(exc.message, path=exc.path, hint="List each video of the playlist as its own item") from None
        raise
    p = plans[0]
    if not w.options.subtitle_limits:
        w.options.subtitle_limits = service.subtitles_config(p.profile)
    return p


def _side_stem(item: _Item) -> Path | None:
    """The stem of an item's side files (sidecars, transcript.json, raw.json), by the rule every
    run follows (``pipeline.side_stem``): in ``outdir`` named after the input, else beside
    ``output`` named after it, else beside the input. A URL's stem is its title, known once it is
    resolved (None here) unless ``output`` names it."""
    outdir = Path(item.outdir) if item.outdir else None
    if _is_url(item.input):
        return pipeline.side_stem(Path.cwd(), "", output=item.output, outdir=None) if item.output and outdir is None else None
    return pipeline.side_stem(Path(item.input).parent, Path(item.input).stem, output=item.output, outdir=outdir)


def _item_outputs(item: _Item, options: TranscribeOptions, deliv: pipeline.Delivery, keep_raw: bool) -> set[Path]:
    """The files ``item`` writes that are known before it runs: its video and its side files
    (a language left to detection, or a URL's title, is known only later: the item's own checks
    refuse those outputs when they exist)."""
    stem = _side_stem(item)
    out: set[Path] = set()
    if stem is not None:
        out.update(tx.planned_outputs(stem, options, keep_raw=keep_raw))
    if item.output:
        out.add(Path(item.output))
    elif stem is not None and deliv.kind != "sidecars":
        video = pipeline._output_for(stem, deliv, None, pipeline.burn_choice(deliv, options))
        if video is not None:
            out.add(video)
    return out


def _output_folders(item: _Item) -> set[Path]:
    folders = {Path(f) for f in (item.outdir, Path(item.output).parent if item.output else None) if f}
    if not folders:
        folders.add(Path.cwd() if _is_url(item.input) else Path(item.input).parent)
    return folders


def _case_insensitive(folder: Path) -> bool:
    """Whether ``folder`` finds names whatever their case (macOS and Windows by default, a Linux
    folder with casefolding): a probe file made there is looked up in upper case. A folder that
    cannot be written is taken as case-sensitive (nothing is written there anyway)."""
    try:
        with tempfile.NamedTemporaryFile(prefix=".subtool-case-probe-", dir=folder) as probe:
            name = Path(probe.name).name
            return (folder / name.upper()).exists()
    except OSError:
        return False


class _Claims:
    """Which item writes which output, paths compared as the filesystem does: symlinks and ``..``
    resolved, and regardless of case where the folder is case-insensitive (probed, once per
    folder, only when two paths differ by case alone)."""

    def __init__(self) -> None:
        self.owners: dict[str, list[tuple[str, str]]] = {}  # casefolded -> [(resolved, where)]
        self.folding: dict[Path, bool] = {}

    def clash(self, paths: Iterable[Path]) -> tuple[Path, str] | None:
        """The first of ``paths`` that an item already claimed, with that item's place."""
        for path in sorted(paths):
            full = path.resolve()
            for other, where in self.owners.get(str(full).casefold(), []):
                if other == str(full) or self._folds(full.parent):
                    return full, where
        return None

    def claim(self, paths: Iterable[Path], where: str) -> None:
        for path in paths:
            full = path.resolve()
            self.owners.setdefault(str(full).casefold(), []).append((str(full), where))

    def _folds(self, folder: Path) -> bool:
        from .outputs import existing_ancestor

        probe_in = existing_ancestor(folder)
        if probe_in not in self.folding:
            self.folding[probe_in] = _case_insensitive(probe_in)
        return self.folding[probe_in]


def _outside(folder: Path, roots: list[Path]) -> bool:
    full = folder.resolve()
    return not any(full == root or full.is_relative_to(root) for root in roots)


# -- the entry point -------------------------------------------------------------------------------


def run_batch(
    items: str | Path | Iterable[Mapping[str, Any] | str | Path],
    *,
    state_path: str | Path | None = None,
    max_jobs: int = 3,
    resume: bool = False,
    restart: bool = False,
    options: TranscribeOptions | None = None,
    defaults: Mapping[str, Any] | None = None,
    engine: str | Engine = "auto",
    profile: str | None = None,
    force: bool = False,
    speaker_labels: bool = False,
    keep_raw: bool = False,
    local_jobs: int | None = None,
    report_path: str | Path | None = None,
    cookies: str | Path | None = None,
    max_download: int | None = None,
    allow_outside: bool = False,
    on_event: EventCallback | None = None,
    on_note: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> BatchReport:
    """Run every item (a manifest file, or mappings with the manifest's keys: input, languages,
    translate, delivery, burn_language, output, outdir, or bare paths and URLs) to its subtitles
    and video.

    ``options`` are the transcription options shared by all items (an item's languages and
    translate replace theirs); ``defaults`` fill an item's empty keys. The state file defaults to
    ``.subtool-batch.sqlite`` in the default outdir, or beside the manifest; one batch at a time
    holds it (a second is refused with the first one's pid). Raises ``UsageError`` for a malformed
    manifest, a state in use, damaged or not a batch state, or an existing state without
    ``resume``/``restart``, and ``Interrupted`` (with the job ids still at the service) when Ctrl-C
    or ``cancel`` stops it; an item's own failure is in the report, never raised.

    A manifest file may come from someone else: its items may write only inside the manifest's
    folder or the default outdir (``defaults["outdir"]``, -d) unless ``allow_outside``; an input
    outside the manifest's folder is said in a note. Two items that would write the same file
    (paths compared as the filesystem does) are refused before any job: the later one fails.
    ``max_download``: bytes a URL item's download may take (default ``sources.DEFAULT_MAX_DOWNLOAD``)."""
    from .sources import redact

    t0 = time.monotonic()
    if resume and restart:
        raise UsageError("--resume and --restart exclude each other")
    shared = options or TranscribeOptions()
    defaults = dict(defaults or {})
    _unknown(defaults, "the batch defaults")
    batch_items, base = _load(items, defaults)
    if not batch_items:
        raise UsageError("no items to run", path=items if isinstance(items, (str, Path)) else None)
    default_outdir = defaults.get("outdir")
    folder = Path(default_outdir) if default_outdir else base
    state_file = Path(state_path) if state_path is not None else folder / STATE_NAME
    roots = None
    if isinstance(items, (str, Path)) and not allow_outside:
        roots = [base, *([Path(default_outdir).resolve()] if default_outdir else [])]
    if isinstance(items, (str, Path)) and on_note:
        for item in batch_items:
            if item.input and not _is_url(item.input) and _outside(Path(item.input), [base]):
                on_note(f"{item.where}: reads {item.input}, outside the manifest's folder {base}")
    notes = (lambda line: on_note(redact(line))) if on_note else None

    with _locked(state_file):
        existing = state_file.exists() and state_file.stat().st_size > 0
        state = _State(state_file, restart=restart, on_note=notes)
        try:
            rows = state.rows()
            if rows and not resume and not restart:
                raise UsageError(
                    f"a batch state with {len(rows)} items already exists",
                    path=state_file,
                    hint="Pass --resume to go on with it, or --restart to start over (jobs already paid for are then paid again)",
                )
            if restart:
                state.clear()
                rows = {}
            if resume and not existing and notes:
                notes(f"{state_file}: no earlier state, starting afresh")
            eng = engine if not isinstance(engine, str) else tx.resolve_engine(
                engine, max_jobs=max_jobs, model=shared.model, threads=shared.threads, on_note=notes
            )
            tx.check_options(dataclasses.replace(shared, languages=[], translate=[]), eng)
            if getattr(eng, "slots", None) is not None:
                eng.slots.limit = max(1, max_jobs)  # type: ignore[attr-defined]
            return _run(
                batch_items, rows, state, eng, shared, t0=t0, max_jobs=max_jobs, profile=profile, force=force, speaker_labels=speaker_labels,
                keep_raw=keep_raw, local_jobs=local_jobs or max(1, os.cpu_count() or 1), report_path=report_path, on_event=on_event,
                on_note=notes, on_warning=on_warning, cancel=cancel or threading.Event(), cookies=cookies, max_download=max_download,
                roots=roots,
            )
        finally:
            state.close()


def _run(
    batch_items: list[_Item],
    rows: dict[str, dict[str, Any]],
    state: _State,
    eng: Engine,
    shared: TranscribeOptions,
    *,
    t0: float,
    max_jobs: int,
    profile: str | None,
    force: bool,
    speaker_labels: bool,
    keep_raw: bool,
    local_jobs: int,
    report_path: str | Path | None,
    on_event: EventCallback | None,
    on_note: Callable[[str], None] | None,
    on_warning: Callable[[str], None] | None,
    cancel: threading.Event,
    cookies: str | Path | None = None,
    max_download: int | None = None,
    roots: list[Path] | None = None,
) -> BatchReport:
    from .sources import redact

    reports: list[ItemReport] = []
    failures: list[tuple[str, str, int]] = []
    work: list[tuple[int, _Work]] = []
    seen: dict[str, str] = {}
    new_rows: list[tuple[str, int, str, str]] = []
    # Checked first, then the outputs: items done by an earlier run keep theirs.
    checked: list[tuple[int, _Item, str, dict[str, Any], bool, TranscribeOptions, pipeline.Delivery]] = []
    claims = _Claims()
    for position, item in enumerate(batch_items):
        report = ItemReport(redact(item.input), item.where, "pending")
        reports.append(report)
        base_opts = _options_for(item, shared)
        settings = _settings(item, base_opts, profile)
        key = _key(settings)
        row = rows.get(key)
        if key in seen:
            report.status, report.exit_code = "failed", 2
            report.error = f"{item.where}: the same input and settings as {seen[key]}"
            continue
        seen[key] = item.where
        new_rows.append((key, position, settings["input"], json.dumps(settings, ensure_ascii=False, default=str)))
        # Outputs of an earlier attempt may exist (they were checked free when it started).
        started = row is not None and (
            row["stage"] in STARTED or row["stage"] not in STAGES or row["stage"] == "done"
            or (row["stage"] == "failed" and (row.get("attempts") or 0) > 0)
        )
        bad = _unreadable(row) if row is not None else None
        if row is not None and bad is not None:
            # One row that cannot be read must not block the batch: it is done again, its job
            # polled again by its id when one is known (never created again).
            stage = "transcribed" if _row_transcript(row) else "submitted" if row.get("job_id") else "pending"
            if on_note:
                again = (
                    "its outputs are written again from its transcript" if stage == "transcribed"
                    else f"its job {row['job_id']} is polled again" if stage == "submitted" else "it is run again"
                )
                on_note(f"{item.where}: {bad} in the state {state.path} cannot be read; {again}")
            state.set(key, stage=stage, transcript=None if bad == "its transcript" else row.get("transcript"), outputs=None)
            row = {**row, "stage": stage}
        if row is not None and row["stage"] == "done":
            report.status = "skipped"
            report.outputs = _row_outputs(row) or []
            report.output = row["output"]
            report.job_id = row["job_id"]
            transcript = _row_transcript(row)
            if transcript is not None:
                report.languages = transcript.all_languages()
            with contextlib.suppress(SubtoolError):
                opts, deliv = _check(item, shared, eng)
                claims.claim(_item_outputs(item, opts, deliv, keep_raw), item.where)
            continue
        row = row or {"stage": "pending", "attempts": 0}
        try:
            opts, deliv = _check(item, shared, eng)
        except SubtoolError as exc:
            report.status, report.error, report.exit_code = "failed", _reason(item, exc), exc.exit_code
            failures.append((key, report.error, exc.exit_code))
            continue
        checked.append((position, item, key, row, started, opts, deliv))
    for position, item, key, row, started, opts, deliv in checked:
        report = reports[position]
        try:
            outside = sorted(f.resolve() for f in _output_folders(item) if roots is not None and _outside(f, roots))
            if outside:
                where = " or the -d folder" if len(roots or []) > 1 else ""
                raise UsageError(
                    f"would write into {outside[0]}, outside the manifest's folder{where}",
                    path=item.where,
                    hint="Pass --allow-outside if the manifest is yours and meant to write there",
                )
            outputs = _item_outputs(item, opts, deliv, keep_raw)
            clash = claims.clash(outputs)
            if clash is not None:
                raise UsageError(
                    f"would write {clash[0]}, which {clash[1]} also writes", path=item.where, hint="Give one of them another output or outdir"
                )
            claims.claim(outputs, item.where)
        except SubtoolError as exc:
            report.status, report.error, report.exit_code = "failed", _reason(item, exc), exc.exit_code
            failures.append((key, report.error, exc.exit_code))
            continue
        # Jobs already at the service go first: they hold slots the others would wait for.
        order = 0 if row["stage"] in ("submitted", "submitting") and row.get("job_id") else 1
        work.append((order, _Work(key, position, item, opts, deliv, started)))
    work.sort(key=lambda pair: pair[0])
    state.add_many(new_rows, failures)

    batch = _Batch(
        state, eng, max_jobs=max_jobs, local_jobs=local_jobs, force=force, speaker_labels=speaker_labels, keep_raw=keep_raw,
        cancel=cancel, on_event=on_event, on_warning=on_warning, cookies=cookies, on_note=on_note, max_download=max_download,
    )
    by_key = {w.key: (w.position, w) for _, w in work}
    rows = state.rows()
    # Every job slot busy, and as many items again probed and uploaded, waiting for a slot, so a
    # finished job is replaced at once; plus the local slots.
    workers = (2 * max_jobs if batch.gladia else 1) + local_jobs + 1
    futures: dict[Future[dict[str, Any]], str] = {}
    interrupted = False
    done = failed = 0
    pre_failed = sum(1 for r in reports if r.status == "failed")
    pre_done = sum(1 for r in reports if r.status == "skipped")
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="subtool-batch")
    starts: dict[str, float] = {}

    def one(w: _Work) -> dict[str, Any]:
        if cancel.is_set():
            raise Interrupted("cancelled")
        starts[w.key] = time.monotonic()
        if w.plan is None:
            with batch.probing():
                w.plan = _plan(w, eng, profile, force or w.resumed, keep_raw, cookies)
        return batch.process(w, rows[w.key])

    def event(final: bool = False) -> None:
        if on_event is None:
            return
        with batch.lock:
            at_service, active = len(batch.at_service), len(batch.active)
        on_event({
            "total": len(reports), "done": pre_done + done, "failed": pre_failed + failed, "at_service": at_service,
            "running": active, "final": final,
        })

    try:
        for _, w in work:
            futures[pool.submit(one, w)] = w.key
        pending = set(futures)
        while pending:
            if cancel.is_set():
                raise KeyboardInterrupt
            finished = [f for f in list(pending) if f.done()]
            for f in finished:
                pending.discard(f)
                key = futures[f]
                index, w = by_key[key]
                report = reports[index]
                report.seconds = round(time.monotonic() - starts.get(key, time.monotonic()), 3)
                problem = f.exception()
                if problem is None:
                    result = f.result()
                    report.status, report.languages, report.outputs, report.output = "done", result["languages"], result["outputs"], result["output"]
                    report.burned = result["burned"]
                    state.set(key, stage="done", finished=time.time())
                    done += 1
                else:
                    if isinstance(problem, Interrupted) and cancel.is_set():
                        report.status = "interrupted"
                        continue
                    err = problem if isinstance(problem, SubtoolError) else SubtoolError(f"internal error: {type(problem).__name__}: {problem}")
                    report.status, report.error, report.exit_code = "failed", _reason(w.item, err), err.exit_code
                    state.set(key, stage="failed", error=report.error, exit_code=err.exit_code, finished=time.time())
                    failed += 1
            event()
            if pending:
                wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
    except KeyboardInterrupt:
        interrupted = True
        batch.stop()
        for f in futures:
            f.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    event(final=True)

    final_rows = state.rows()
    for _, w in work:
        row = final_rows.get(w.key, {})
        report = reports[by_key[w.key][0]]
        report.job_id = row.get("job_id") or report.job_id
        if report.status == "pending":
            report.status = "interrupted"
    out = BatchReport(
        items=reports,
        state=str(state.path.resolve()),
        seconds=time.monotonic() - t0,
        engine=eng.name,
        pacing=batch.pacer.to_dict() if batch.pacer is not None else {},
        interrupted=interrupted,
    )
    if report_path is not None:
        write_text(Path(report_path), json.dumps(out.to_dict(), indent=1, ensure_ascii=False) + "\n", force=True)
    if interrupted:
        open_jobs = sorted(r["job_id"] for r in final_rows.values() if r["stage"] in ("submitted", "submitting") and r.get("job_id"))
        left = sum(1 for r in reports if r.status == "interrupted")
        raise Interrupted(f"batch interrupted with {left} items left (state in {state.path})", job_ids=open_jobs)
    return out
