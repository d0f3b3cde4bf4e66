"""``--dry-run`` of ``run`` and ``batch``: the plan as a table on stdout (or one JSON document with
``--json``), from :func:`subtool.api.dry_run` and :func:`subtool.api.dry_run_batch`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..errors import EXIT_FAILED
from ..models import PlanSummary
from .app import emit_json

HELP = ("Check everything and show the plan (inputs, engine, languages, audio minutes to send, jobs to create, pieces, "
        "cache hits, files to write) without uploading, downloading or writing anything (a local input's audio is "
        "extracted into a temporary folder to ask the cache). With --json, as one JSON document.")


def _languages(s: PlanSummary) -> str:
    spoken = ",".join(s.languages) if len(s.languages) == 1 else (f"detect ({','.join(s.languages)})" if s.languages else "detect")
    said = f"{spoken} -> {','.join(s.translate)}" if s.translate else spoken
    return said + (f" (reused: {', '.join(s.reused)})" if s.reused else "")


def _audio(s: PlanSummary) -> str:
    if s.minutes is None:
        return "?"
    size = f", {s.audio_bytes / 1e6:.1f} MB" if s.audio_bytes else ""
    how = {"url": " (the service fetches the URL)", "here": " (transcribed here)",
           "nothing": " (nothing sent: every language is reused)"}.get(s.sent, "")
    return f"{s.minutes:.1f} min{size}{how}"


def _cache(s: PlanSummary) -> str:
    return "hit" if s.cached else "unknown (after download)" if s.cached is None else "miss"


def _totals(summaries: Sequence[PlanSummary]) -> str:
    ok = [s for s in summaries if s.error is None]
    sent = sum(s.seconds or 0.0 for s in ok if s.jobs)
    jobs = sum(s.jobs for s in ok)
    hits = sum(1 for s in ok if s.cached)
    unknown = sum(1 for s in ok if s.seconds is None)
    refused = len(summaries) - len(ok)
    line = f"{len(ok)} input(s): {sent / 60:.1f} min of audio to send in {jobs} job(s), {hits} cache hit(s)"
    if unknown:
        line += f", {unknown} of unknown length"
    if refused:
        line += f"; {refused} refused"
    return line + ". Nothing was uploaded, downloaded or written (dry run)."


def show(summaries: Sequence[PlanSummary], engine: str, *, as_json: bool) -> int:
    """Print the plan; exit 1 when an item would be refused (a batch's), else 0."""
    refused = any(s.error for s in summaries)
    if as_json:
        emit_json({"schema": "subtool.plan/1", "dry_run": True, "engine": engine, "inputs": [s.to_dict() for s in summaries],
                   "jobs": sum(s.jobs for s in summaries if s.error is None),
                   "minutes_to_send": round(sum((s.seconds or 0.0) for s in summaries if s.error is None and s.jobs) / 60, 2)})
        return EXIT_FAILED if refused else 0
    rows = [_row(s) for s in summaries]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*COLUMNS, show_lines=True)
        for column in table.columns:
            column.overflow = "fold"  # a path is wrapped, never cut short
        for s, row in zip(summaries, rows, strict=True):
            table.add_row(*row.values(), style="red" if s.error else None)
        Console().print(table)
    else:  # a block per input: readable and greppable at any width
        for row in rows:
            click.echo(row["input"])
            for key, value in list(row.items())[1:]:
                for i, line in enumerate(value.splitlines() or [""]):
                    click.echo(f"  {key if i == 0 else '':<10} {line}".rstrip())
    click.echo(_totals(summaries))
    return EXIT_FAILED if refused else 0


COLUMNS = ("input", "engine", "languages", "delivery", "audio", "jobs", "pieces", "cache", "writes")


def _row(s: PlanSummary) -> dict[str, str]:
    if s.error is not None:
        return {"input": s.input, "engine": s.engine, "refused": s.error}
    return dict(zip(COLUMNS, (s.input, s.engine, _languages(s), s.delivery, _audio(s), str(s.jobs), str(s.pieces), _cache(s),
                              "\n".join(s.files)), strict=True))
