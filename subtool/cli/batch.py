"""``subtool batch``: many inputs (a CSV/TOML manifest, or paths and globs), thin over
:func:`subtool.api.run_batch`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .app import STATE, emit_json, err, info, json_option, progress_enabled
from .dryrun import HELP as DRY_RUN_HELP
from .dryrun import show as show_plan
from .options import download_options, pop_options, transcribe_options, transcription
from .style import pop_style, style_options

MANIFEST_SUFFIXES = (".csv", ".tsv", ".toml")


def _inputs(args: tuple[str, ...]) -> list[dict[str, Any]]:
    """Paths, globs (``'clips/*.mkv'``, ``**`` too) and URLs; a glob that matches nothing stays
    as it is, so its item fails with a clear "no such file"."""
    import glob

    from ..api import is_url

    out: list[dict[str, Any]] = []
    for arg in args:
        if is_url(arg) or Path(arg).exists() or not glob.has_magic(arg):
            out.append({"input": arg})
            continue
        matches = sorted(glob.glob(arg, recursive=True))
        out += [{"input": m} for m in matches if Path(m).is_file()] or [{"input": arg}]
    return out


class _Bar:
    """The overall progress bar on stderr (only on a terminal and without -q), and under it, when
    the terminal has room, a compact live table of the running items and the stage each is at."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.progress: Any = None
        self.live: Any = None
        self.task: Any = None

    def __enter__(self) -> _Bar:
        if progress_enabled():
            from rich.console import Console
            from rich.live import Live
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            console = Console(stderr=True)
            self.progress = Progress(
                TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[detail]}"), TimeRemainingColumn(),
                console=console,
            )
            self.live = Live(self.progress, console=console, transient=True, refresh_per_second=4)
            self.live.start()
        return self

    def update(self, event: dict[str, Any]) -> None:
        if self.progress is None:
            return
        if self.task is None:
            self.task = self.progress.add_task("batch", total=event["total"], detail="")
        detail = f"at the service {event['at_service']}, failed {event['failed']}"
        self.progress.update(self.task, completed=event["done"] + event["failed"], detail=detail)
        self.live.update(self._view(event.get("items") or []))

    def _view(self, items: list[dict[str, Any]]) -> Any:
        from rich.console import Group
        from rich.table import Table

        room = self.live.console.size.height - 4  # the bar, the table's head, a line to spare
        if not items or room < 3:
            return self.progress
        table = Table.grid(padding=(0, 2))
        table.add_column(overflow="ellipsis", no_wrap=True)
        table.add_column(no_wrap=True)
        for entry in items[:room]:
            table.add_row(f"  {_shown(entry['input'], self.base)}", STAGE_WORDS.get(entry["stage"], entry["stage"]))
        if len(items) > room:
            table.add_row(f"  ... and {len(items) - room} more", "")
        return Group(self.progress, table)

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.stop()

    def note(self, line: str) -> None:
        self._say(line, info)

    def warning(self, line: str) -> None:
        """An item's warning (a file that breaks its profile...), its paths shown as the table shows them."""
        self._say(f"warning: {_relative_in(line, self.base)}", err)

    def _say(self, line: str, fallback: Callable[[str], None]) -> None:
        """A line above the live display (printed through it, so it is not drawn over)."""
        if self.live is None:
            fallback(line)
        elif fallback is err or not STATE.quiet:
            self.live.console.print(line, markup=False, highlight=False, soft_wrap=True)


STAGE_WORDS = {"audio": "extracting the audio", "upload": "uploading", "queued": "queued at the service", "processing": "processing at the service",
               "pieces": "pieces at the service", "download": "downloading", "mux": "muxing", "burn": "burning", "transcribe": "transcribing",
               "starting": "starting"}


def _shown(path: str | None, base: Path) -> str:
    """A path as the table shows it: relative to the manifest's folder (or the current one) when
    inside it; a URL, or a path elsewhere, as it is."""
    if not path or "://" in path:
        return path or ""
    import os

    absolute = os.path.abspath(path)
    for root in (str(base.resolve()), os.getcwd()):
        if absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep):
            return os.path.relpath(absolute, root)
    return path


def _relative_in(line: str, base: Path) -> str:
    """``line`` with the paths under the manifest's folder (or the current one) made relative, as
    the table shows them."""
    import os

    for root in dict.fromkeys((str(base.resolve()), os.getcwd())):
        line = line.replace(root.rstrip(os.sep) + os.sep, "")
    return line


def _table(report: Any, base: Path) -> None:
    """The items, one row each: paths relative to the manifest's folder, every output whole (they
    wrap, never cut short); the job id only with -v. The status words are the report's."""
    rows = []
    for item in report.items:
        outputs = [*item.outputs, *([item.output] if item.output else [])]
        what = item.error if item.status == "failed" else "\n".join(_shown(o, base) for o in outputs)
        time_s = f"{item.seconds:.1f} s" if item.seconds is not None else ""
        rows.append((_shown(item.input, base), item.status, ",".join(item.languages), what or "", item.job_id or "", time_s))
    counts = report.counts()
    summary = (
        f"{counts['done']} done, {counts['skipped']} skipped (done by an earlier run), {counts['failed']} failed, in {report.seconds:.1f} s; "
        f"state: {report.state}"
    )
    if report.pacing.get("rate_limited"):
        p = report.pacing
        summary += f"; 429 answers: {p['rate_limited']} (job slots lowered to {p['lowest_limit']}, now {p['final_limit']} of {p['max_jobs']})"
    if sys.stdout.isatty():
        from rich import box
        from rich.console import Console
        from rich.table import Table

        heads = ["item", "status", "languages", "outputs / error", *(["job id"] if STATE.verbose else []), "time"]
        table = Table(*heads, box=box.SIMPLE_HEAD)
        console = Console()
        for column in table.columns:
            column.overflow = "fold"  # a name is wrapped, never cut short
        # Each output on a line of its own, whole: the input's column gives way (a path is one
        # long word, which rich would not fold to make room by itself).
        widest = max((len(line) for row in rows if row[1] != "failed" for line in row[3].splitlines()), default=0)
        others = sum(max(len(heads[i]), *(len(r[i]) for r in rows)) for i in (1, 2)) + max(4, *(len(r[5]) for r in rows))
        others += max(len("job id"), *(len(r[4]) for r in rows)) if STATE.verbose else 0
        spare = console.width - widest - others - 2 * len(heads)
        table.columns[0].max_width = max(12, spare)
        table.columns[3].min_width = min(widest, console.width - 12 - others - 2 * len(heads))
        for row in rows:
            shown = row if STATE.verbose else (*row[:4], row[5])
            table.add_row(*shown, style="red" if row[1] == "failed" else None)
        console.print(table)
        console.print(summary, highlight=False)
        return
    for row in rows:
        click.echo("\t".join(cell.replace("\n", ", ") for cell in row))
    click.echo(summary)


@click.command(name="batch")
@click.argument("inputs", nargs=-1, required=True)
@transcribe_options
@click.option("--mux", "mux_preset", metavar="PRESET", help="Default delivery: mux with this preset (default mkv-multi).")
@click.option("--burn", "burn_style", metavar="STYLE", help="Default delivery: burn one language with this style.")
@click.option("--sidecars-only", is_flag=True, help="Default delivery: only the subtitle files.")
@click.option("--burn-language", metavar="LANG", help="Which language to burn (default: the only -t target).")
@click.option("-d", "--outdir", type=click.Path(file_okay=False, path_type=str), help="Default output folder (else beside each input).")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=str), help="The state file (default .subtool-batch.sqlite in -d or beside the manifest).")
@click.option("--resume", is_flag=True, help="Go on with an interrupted batch: done items are skipped, running jobs polled, never created again.")
@click.option("--restart", is_flag=True, help="Forget an earlier batch's state and start over.")
@click.option("--local-jobs", type=click.IntRange(min=1, max=64), help="ffmpeg work at once (default: the CPU count; with --workers: per worker).")
@click.option("--cluster", metavar="ADDRESS", help="Run the items on a running Dask scheduler (tcp://HOST:8786, or its scheduler file); needs subtool[cluster].")
@click.option("--workers", type=click.IntRange(min=1, max=256), help="Run the items on a local Dask cluster of N worker processes; needs subtool[cluster].")
@click.option("--cookies", type=click.Path(dir_okay=False, path_type=str), help="A cookies.txt file for URL items on sites that need a login.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=str), help="Also write the report as JSON to this file.")
@click.option("--preview", is_flag=True,
              help="Each item's review page beside its outputs, and index.html beside the report (else beside the state), one row per item.")
@click.option("--replace", is_flag=True, help="Mux deliveries: drop the subtitle streams each input already has (a manifest's replace column: yes/no).")
@click.option("--allow-outside", is_flag=True, help="Let a manifest's items write outside its folder (and the -d folder).")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
@style_options
@download_options
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP + " No state file is made.")
@json_option
def command(inputs: tuple[str, ...], **kwargs: Any) -> int:
    """Run many inputs: a manifest (CSV or TOML), or paths and globs with the options given once.

    A manifest has a header row with the columns input, languages, translate, delivery (a mux
    preset, burn:STYLE, or sidecars), burn_language, replace (yes/no), output, outdir, cues (subtool or service,
    as --cues); relative paths are relative to the manifest, and its items write only inside its folder or -d (--allow-outside lifts
    that). Exit 1 when any item failed; 130 when interrupted (143 on SIGTERM; then --resume).
    --cluster or --workers run the same batch on Dask (README: "More than one machine").
    """
    from .. import api
    from ..errors import UsageError

    shared = pop_options(kwargs)
    style = pop_style(kwargs)
    options = transcription(shared)
    if sum(bool(x) for x in (kwargs["mux_preset"], kwargs["burn_style"], kwargs["sidecars_only"])) > 1:
        raise UsageError("choose one of --mux, --burn and --sidecars-only")
    delivery = "sidecars" if kwargs["sidecars_only"] else f"burn:{kwargs['burn_style']}" if kwargs["burn_style"] else kwargs["mux_preset"]
    defaults = {"delivery": delivery, "burn_language": kwargs["burn_language"], "outdir": kwargs["outdir"], "replace": kwargs["replace"] or None}
    manifest = len(inputs) == 1 and Path(inputs[0]).suffix.lower() in MANIFEST_SUFFIXES
    if not manifest and any(Path(i).suffix.lower() in MANIFEST_SUFFIXES for i in inputs):
        raise UsageError("a manifest is given alone", hint="Run one manifest per batch, or list media files only")
    items: Any = inputs[0] if manifest else _inputs(inputs)

    if kwargs["dry_run"]:
        summaries, eng = api.dry_run_batch(
            items, options=options, defaults=defaults, engine=shared["engine"], max_jobs=shared["max_jobs"], profile=shared["profile"],
            force=kwargs["force"], speaker_labels=shared["speaker_labels"], keep_raw=shared["keep_raw"], cookies=kwargs["cookies"],
            max_download=kwargs["max_download"], allow_outside=kwargs["allow_outside"], style=style, on_note=info,
        )
        return show_plan(summaries, eng.name, as_json=kwargs["as_json"])
    # SIGTERM and SIGHUP stop a batch the way Ctrl-C does (state recorded, open jobs named): app.py.
    base = Path(inputs[0]).resolve().parent if manifest else Path.cwd()
    with _Bar(base) as bar:
        report = api.run_batch(
            items, state_path=kwargs["state_path"], max_jobs=shared["max_jobs"], resume=kwargs["resume"], restart=kwargs["restart"],
            options=options, defaults=defaults, engine=shared["engine"], profile=shared["profile"], force=kwargs["force"],
            speaker_labels=shared["speaker_labels"], keep_raw=shared["keep_raw"], local_jobs=kwargs["local_jobs"],
            report_path=kwargs["report_path"], cookies=kwargs["cookies"], max_download=kwargs["max_download"],
            allow_outside=kwargs["allow_outside"], preview=kwargs["preview"], style=style, cluster=kwargs["cluster"], workers=kwargs["workers"],
            on_event=bar.update, on_note=bar.note, on_warning=bar.warning,
        )
    if kwargs["as_json"]:
        emit_json(report.to_dict())
    else:
        _table(report, base)
    if report.index is not None:
        info(f"review pages: {report.index}")
    if not STATE.quiet:
        for item in report.failed:
            err(f"failed: {item.error}")
    return report.exit_code
