"""A batch's items: read from a manifest (CSV or TOML) or given as mappings and paths, each
checked for its types, and the delivery it names.

A manifest has a header row (CSV) or ``[defaults]`` and ``[[item]]`` tables (TOML) with the
columns input, languages, translate, delivery (a mux preset, ``burn:STYLE`` or ``sidecars``),
burn_language, replace (yes/no), reuse (yes/no: take the languages found already made, see
``flow.reuse``; empty: the command line's ``--reuse``), output, outdir, cues (``subtool`` or
``service``: whose cues the item's files carry, as ``--cues``); relative paths are relative to the manifest.
Spreadsheets in comma-decimal locales export with ";" (or tabs): the delimiter is taken from the
header. TOML has types a CSV cell has not: a number or table where text belongs is refused rather
than read as a file named '7'.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SubtoolError, UsageError
from ..suggest import did_you_mean

FIELDS = ("input", "languages", "translate", "delivery", "burn_language", "replace", "reuse", "output", "outdir", "cues")
CUES = ("subtool", "service")


@dataclass
class Item:
    """One row of the batch, as given (paths already made absolute)."""

    where: str  # "manifest.csv:4" or "argument 2", for messages
    input: str
    languages: list[str] = field(default_factory=list)
    translate: list[str] = field(default_factory=list)
    delivery: str | None = None
    burn_language: str | None = None
    replace: bool = False  # mux: drop the input's own subtitle streams
    reuse: bool | None = None  # take the languages found already made (None: the batch's --reuse)
    output: str | None = None
    outdir: str | None = None
    cues: str | None = None  # subtool or service (None: the batch's --cues)
    error: SubtoolError | None = None  # a problem found while reading the row


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    parts = value if isinstance(value, list) else re.split(r"[,\s]+", str(value))
    return [str(p).strip() for p in parts if str(p).strip()]


def is_url(text: str) -> bool:
    from ..sources import is_url

    return is_url(text)


def _item(where: str, row: Mapping[str, Any], base: Path, defaults: Mapping[str, Any]) -> Item:
    merged = {**{k: v for k, v in defaults.items() if v not in (None, "", [])}, **{k: v for k, v in row.items() if v not in (None, "", [])}}

    def path(key: str) -> str | None:
        value = merged.get(key)
        if value in (None, ""):
            return None
        text = os.path.expanduser(str(value).strip())
        if key == "input" and is_url(text):
            return text
        return str(base / text) if not os.path.isabs(text) else text

    item = Item(where, path("input") or "")
    for key in ("languages", "translate"):
        setattr(item, key, _split(merged.get(key)))
    try:
        item.replace = _yes(merged.get("replace"), where)
        item.reuse = _yes(merged["reuse"], where) if merged.get("reuse") not in (None, "") else None
    except UsageError as exc:
        item.error = exc
    for key in ("delivery", "burn_language"):
        value = merged.get(key)
        setattr(item, key, str(value).strip() if value not in (None, "") else None)
    item.output, item.outdir = path("output"), path("outdir")
    cues = str(merged.get("cues") or "").strip().lower()
    if cues and cues not in CUES:
        item.error = item.error or UsageError(f"cues must be subtool or service, not '{merged['cues']}'", path=where,
                                              hint="subtool: its own cues (the default); service: the service's own SRT/VTT files")
    item.cues = cues or None
    if not item.input:
        item.error = item.error or UsageError("no input given", path=where, hint="Fill the input column")
    return item


def check_columns(names: Iterable[str], where: str) -> None:
    for name in names:
        if name not in FIELDS:
            # Refused rather than ignored: a misspelt column ("translte") would otherwise be lost without a word.
            raise UsageError(f"unknown column '{name}'", path=where,
                             hint=f"{did_you_mean(name, FIELDS)}subtool reads only these columns: {', '.join(FIELDS)} (keep notes in another file or sheet)")


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
        check_columns([h for h in header if h], f"{path}:1")
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
    check_columns(defaults, f"{path} [defaults]")
    _check_types(defaults, f"{path} [defaults]")
    rows = []
    for n, entry in enumerate(items, 1):
        check_columns(entry, f"{path} item {n}")
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


def load(
    items: str | Path | Iterable[Mapping[str, Any] | str | Path], defaults: Mapping[str, Any]
) -> tuple[list[Item], Path]:
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
        check_columns(row, f"item {n}")
        _check_types(row, f"item {n}")
        out.append(_item(f"item {n}", row, base, defaults))
    return out, base


def delivery_spec(spec: str | None) -> tuple[str | None, str | None, bool]:
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
