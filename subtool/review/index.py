"""A batch's ``index.html``: one row per item (status, languages, problems per language, links to
the item's page, its video and its sidecars), sortable by problems, written next to the report.

The problems of an item are read back from its page (the facts block the page carries), so an
item done by an earlier run (``--resume``) is counted the same way as one done now, and the
index says what the reviewer will see when they open the page. A link is written only to a file
that exists; one that is not there is said (struck through), never a link that leads nowhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..outputs import write_text
from .page import FACTS_ID, FACTS_SCHEMA
from .render import asset, document, h, href, read_json_block

SIDECARS = (".srt", ".vtt", ".ass", ".ssa")
INDEX_NAME = "index.html"


class Item(Protocol):
    """What the index needs of a batch item (``batch.ItemReport`` has it)."""

    input: str
    where: str
    status: str
    languages: list[str]
    outputs: list[str]
    output: str | None
    error: str | None


@dataclass
class _Row:
    item: Item
    page: Path | None
    problems: dict[str, int] | None = None  # language -> problems; None: no page to read
    links: list[tuple[str, Path, bool]] = field(default_factory=list)  # (label, file, exists)

    @property
    def total(self) -> int:
        return sum(self.problems.values()) if self.problems is not None else -1


def index_path(report: str | Path | None, state: str | Path) -> Path:
    """``index.html`` beside the report, else beside the batch's state."""
    return Path(report).parent / INDEX_NAME if report is not None else Path(state).parent / INDEX_NAME


def page_of(item: Item) -> Path | None:
    return next((Path(o) for o in item.outputs if o.endswith(".preview.html")), None)


def read_problems(page: Path) -> dict[str, int] | None:
    """Problems per language, as the page at ``page`` shows them (None: no such page of ours)."""
    try:
        text = page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    facts = read_json_block(text, FACTS_ID)
    if not isinstance(facts, dict) or facts.get("schema") != FACTS_SCHEMA:
        return None
    out: dict[str, int] = {}
    for track in facts.get("tracks") or []:
        if isinstance(track, dict):
            name = str(track.get("language") or track.get("label") or "?")
            problems = track.get("problems") or {}
            out[name] = sum(int(n) for n in problems.values()) if isinstance(problems, dict) else 0
    return out


def _row(item: Item) -> _Row:
    page = page_of(item)
    row = _Row(item, page, read_problems(page) if page is not None else None)
    files: list[tuple[str, Path]] = []
    if page is not None:
        files.append(("page", page))
    if item.output:
        files.append(("video", Path(item.output)))
    files += [(Path(o).name, Path(o)) for o in item.outputs if o.lower().endswith(SIDECARS)]
    row.links = [(name, path, path.is_file()) for name, path in files]
    return row


def _cells(n: int, row: _Row, folder: Path) -> str:
    item = row.item
    status = h(item.status) + (f'<div class="warn">{h(item.error)}</div>' if item.error else "")
    if row.problems is None:
        problems = "no page" if item.status in ("done", "skipped") else ""
    else:
        problems = ", ".join(f"{h(lang)} {count}" for lang, count in row.problems.items()) or "0"
    links = " ".join(
        f'<a href="{h(href(path, folder))}">{h(name)}</a>' if exists else f'<span class="missing" title="not found: {h(path)}">{h(name)}</span>'
        for name, path, exists in row.links
    )
    total = str(row.total) if row.total >= 0 else ""
    return (f'<tr data-n="{n}" data-input="{h(item.input)}" data-status="{h(item.status)}" data-problems="{row.total}">'
            f'<td>{h(item.input)}</td><td class="status-{h(item.status)}">{status}</td><td>{h(", ".join(item.languages))}</td>'
            f'<td class="num">{total}</td><td>{problems}</td><td>{links}</td></tr>')


def write_index(target: Path, items: Sequence[Item], *, engine: str, counts: dict[str, int], report: str | Path | None = None,
                title: str = "Batch") -> Path:
    """Write the index of ``items`` to ``target`` (replaced: it is the batch's, as the report is)."""
    folder = target.parent
    rows = [_row(item) for item in items]
    said = ", ".join(f"{n} {status}" for status, n in counts.items() if n and status != "total")
    facts = [f"{counts.get('total', len(items))} items: {said or 'none'}", f"engine {engine}",
             f"made {dt.datetime.now().astimezone().isoformat(timespec='seconds')}"]
    if report is not None:
        facts.append(f'report <a href="{h(href(report, folder))}">{h(Path(report).name)}</a>')
    head = ("<tr><th><button type=\"button\" data-sort=\"input\">item</button></th>"
            "<th><button type=\"button\" data-sort=\"status\">status</button></th><th>languages</th>"
            "<th aria-sort=\"none\"><button type=\"button\" data-sort=\"problems\">problems</button></th>"
            "<th>per language</th><th>links</th></tr>")
    body = (f'<header><h1>{h(title)}</h1><p class="sub">{" · ".join(f if f.startswith("report") else h(f) for f in facts)}</p></header>'
            f'<main><table id="items"><thead>{head}</thead><tbody>{"".join(_cells(n, r, folder) for n, r in enumerate(rows))}</tbody>'
            f"</table></main>")
    html = document(title=f"{title}: index", body=body, style=asset("style.css"), script=asset("index.js"))
    return write_text(target, html, force=True)
