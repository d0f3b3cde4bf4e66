"""The click group, shared options, and the one place where errors become lines and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, Interrupted, SubtoolError

F = TypeVar("F", bound=Callable[..., Any])


class State:
    verbose: int = 0
    quiet: bool = False


STATE = State()


def err(line: str) -> None:
    """One line on stderr (never on stdout: stdout is for --json documents and tables)."""
    click.echo(line, err=True)


def info(line: str) -> None:
    if not STATE.quiet:
        err(line)


def warn(line: str) -> None:
    err(f"warning: {line}")


def emit_json(document: Any) -> None:
    import json

    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def progress_enabled() -> bool:
    return not STATE.quiet and sys.stderr.isatty()


class SubtoolGroup(click.Group):
    """Turns every error into one line on stderr and its exit code; a traceback only with -v."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
        except click.exceptions.Abort:
            err("subtool: interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except Interrupted as exc:
            err(f"subtool: {exc.line()}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err("subtool: interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except SubtoolError as exc:
            if STATE.verbose:
                import traceback

                traceback.print_exc()
            err(f"subtool: {exc.line()}")
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            sys.exit(EXIT_FAILED)
        except Exception as exc:  # noqa: BLE001 - the last guard: one line, details with -v
            if STATE.verbose:
                import traceback

                traceback.print_exc()
            err(f"subtool: internal error: {type(exc).__name__}: {exc} (run with -v for details, and report it)")
            sys.exit(EXIT_FAILED)
        sys.exit(rv if isinstance(rv, int) else 0)


# name -> (module, one-line help). Commands load on use, so `subtool --help` imports only click.
COMMANDS: dict[str, tuple[str, str]] = {
    "probe": ("subtool.cli.probe", "Describe media files and check them against the service's limits."),
    "transcribe": ("subtool.cli.transcribe", "Transcribe (and translate) into <stem>.<lang>.<fmt> subtitle files."),
    "check": ("subtool.cli.check", "Report the cues of subtitle files that break a subtitle profile."),
    "mux": ("subtool.cli.mux", "Add subtitle files to a video as language-tagged soft tracks."),
    "burn": ("subtool.cli.burn", "Burn one subtitle file into the picture."),
    "presets": ("subtool.cli.presets", "List the presets, or show what one sets."),
    "run": ("subtool.cli.run", "The whole job: probe, transcribe, translate, write, then mux or burn."),
    "batch": ("subtool.cli.batch", "Many videos within the service's limits, resumable, with a report."),
}


class LazyGroup(SubtoolGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)  # all ship with the package; looking each module up cost --help time

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        import importlib

        module, _ = COMMANDS[cmd_name]
        try:
            command = importlib.import_module(module).command
        except ModuleNotFoundError as exc:
            if exc.name == module:
                return None
            raise
        return command  # type: ignore[no-any-return]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Show details and tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.version_option(package_name="subtool")
def main(verbose: int, quiet: bool) -> None:
    """subtool: subtitles for videos, from transcription to muxed or burned-in tracks.

    Exit codes: 0 done, 1 failed, 2 usage, 3 input rejected, 4 transcription service
    refused or failed, 130 interrupted.
    """
    STATE.verbose = verbose
    STATE.quiet = quiet


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(f)


def split_csv(values: tuple[str, ...] | list[str] | None) -> list[str]:
    """``-t fr,es -t de`` -> ["fr", "es", "de"] (order kept, duplicates dropped)."""
    out: list[str] = []
    for value in values or ():
        for part in value.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out
