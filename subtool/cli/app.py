"""The click group, shared options, and the one place where errors and signals become lines and
exit codes.

Signals: SIGINT, SIGTERM and SIGHUP (what Ctrl-C, ``timeout``, ``docker stop``, systemd and a
closed terminal send) are installed first thing in ``main``, before click parses anything, as a
``SignalInterrupt`` (a ``KeyboardInterrupt``) raised in the main thread. It unwinds through the
``except KeyboardInterrupt`` / ``finally`` / ``with`` blocks that already clean up after Ctrl-C:
ffmpeg's process group is stopped (``run_ffmpeg``), part files and temporary folders go, jobs
still at the service are named. The exit code is the shell's 128 + signal (130, 143, 129).
SIGINT is taken over even when it was inherited as ignored (a background job, nohup, some CI
runners): otherwise a Ctrl-C test, or a runner's cancel, finds a process that cannot be stopped
cleanly. SIGHUP inherited as ignored (``nohup``) stays ignored: the user asked to outlive the
terminal.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn, TypeVar

import click

from ..errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Interrupted,
    SignalInterrupt,
    SubtoolError,
    signal_name,
)

F = TypeVar("F", bound=Callable[..., Any])


class State:
    verbose: int = 0
    quiet: bool = False
    signum: int | None = None  # the first stop signal received
    json: bool = False  # --json was asked: a run that fails still prints one document on stdout
    emitted: bool = False  # a JSON document is already on stdout


STATE = State()

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PREVIOUS: dict[int, Any] = {}  # the handlers before ours, put back once main has finished


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if STATE.signum is None:
        STATE.signum = signum
    SignalInterrupt.deliver(signum)


def install_signal_handlers() -> None:
    """SIGINT, SIGTERM and SIGHUP raise ``SignalInterrupt`` (see the module docstring). Only
    from the main thread, where Python runs signal handlers (``main`` called from another thread,
    as a test runner may, keeps the handlers it has)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for sig in STOP_SIGNALS:
        if sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN:
            continue
        _PREVIOUS.setdefault(sig, signal.signal(sig, _on_signal))


def interrupted_exit_code(default: int = EXIT_INTERRUPTED) -> int:
    return 128 + STATE.signum if STATE.signum is not None else default


def err(line: str) -> None:
    """One line on stderr (never on stdout: stdout is for --json documents and tables). A closed
    terminal (SIGHUP) or stderr is not an error of its own."""
    try:
        click.echo(line, err=True)
    except OSError:
        pass


def info(line: str) -> None:
    if not STATE.quiet:
        err(line)


def warn(line: str) -> None:
    err(f"warning: {line}")


def emit_json(document: Any) -> None:
    import json

    STATE.emitted = True
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def progress_enabled() -> bool:
    return not STATE.quiet and sys.stderr.isatty()


class SubtoolGroup(click.Group):
    """Turns every error into one line on stderr and its exit code; a traceback only with -v."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        install_signal_handlers()  # first: a stop signal during parsing or imports is handled too
        STATE.verbose, STATE.quiet, STATE.signum, STATE.json, STATE.emitted = 0, False, None, False, False
        kwargs["standalone_mode"] = False
        try:
            try:
                rv = super().main(*args, **kwargs)
            except OSError as exc:
                # A full disk or a name too long where no library code could name it better.
                from ..api import as_error

                converted = as_error(exc)
                if converted is None:
                    raise
                raise converted from exc
        except click.exceptions.Exit as exc:
            _finish(exc.exit_code)
        except click.ClickException as exc:
            _finish(exc.exit_code if exc.exit_code else EXIT_USAGE, show=exc.show)
        except (click.exceptions.Abort, KeyboardInterrupt):
            _finish(interrupted_exit_code(), f"subtool: {_stopped()}interrupted")
        except Interrupted as exc:
            _json_error(exc, interrupted_exit_code(exc.exit_code))
            _finish(interrupted_exit_code(exc.exit_code), f"subtool: {_stopped()}{exc.line()}")
        except SubtoolError as exc:
            if STATE.verbose:
                import traceback

                traceback.print_exc()
            _json_error(exc, interrupted_exit_code(exc.exit_code))
            _finish(interrupted_exit_code(exc.exit_code), f"subtool: {_stopped()}{exc.line()}")
        except BrokenPipeError:
            _finish(EXIT_FAILED)
        except Exception as exc:  # noqa: BLE001 - the last guard: one line, details with -v
            if STATE.verbose:
                import traceback

                traceback.print_exc()
            from ..api import as_error

            full = as_error(exc)  # the batch state's SQLite, where no code could name it better
            if full is not None:
                _finish(interrupted_exit_code(full.exit_code), f"subtool: {_stopped()}{full.line()}")
            _finish(interrupted_exit_code(EXIT_FAILED),
                    f"subtool: internal error: {type(exc).__name__}: {exc} (run with -v for details, and report it)")
        _finish(rv if isinstance(rv, int) else 0)


def _json_error(exc: SubtoolError, code: int) -> None:
    """With --json, a command that stops on an error still prints one document on stdout (scripts
    read stdout): the error's line, its exit code, and the jobs still at the service."""
    if not STATE.json or STATE.emitted:
        return
    error: dict[str, Any] = {"message": exc.line(), "exit_code": code, "path": str(exc.path) if exc.path is not None else None}
    if isinstance(exc, Interrupted):
        error["job_ids"] = exc.job_ids
    try:
        emit_json({"error": error})
    except OSError:
        pass


def _finish(code: int, line: str | None = None, show: Callable[[], None] | None = None) -> NoReturn:
    """Say the last line and exit; a stop signal arriving now (a second Ctrl-C, a SIGTERM after
    a SIGINT) no longer interrupts: the clean-up is done, only the line is left to say."""
    import threading

    ours = threading.current_thread() is threading.main_thread() and bool(_PREVIOUS)
    if ours:
        for sig in _PREVIOUS:
            signal.signal(sig, signal.SIG_IGN)
    try:
        if show is not None:
            show()
        if line is not None:
            err(line)
    finally:
        if ours:  # for a caller that runs main in its own process (a test runner)
            for sig, previous in _PREVIOUS.items():
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
            _PREVIOUS.clear()
    sys.exit(code)


def _stopped() -> str:
    """``stopped by SIGTERM: `` before the line when a signal other than Ctrl-C's stopped the run."""
    if STATE.signum is None or STATE.signum == signal.SIGINT:
        return ""
    return f"stopped by {signal_name(STATE.signum)}: "


def _set_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    STATE.verbose += value or 0


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    STATE.quiet = STATE.quiet or bool(value)


def _add_global_options(command: click.Command) -> None:
    """``-q`` and ``-v`` after the subcommand too (``subtool check f.srt -q``), same meaning."""
    names = {opt for p in command.params for opt in getattr(p, "opts", [])}
    if "-q" not in names:
        command.params.append(click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_set_quiet,
                                           help="No progress or notes on stderr."))
    if "-v" not in names:
        command.params.append(click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_set_verbose,
                                           help="Show details and tracebacks."))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_global_options(sub)


# name -> (module, one-line help). Commands load on use, so `subtool --help` imports only click.
COMMANDS: dict[str, tuple[str, str]] = {
    "probe": ("subtool.cli.probe", "Describe media files and check them against the service's limits."),
    "transcribe": ("subtool.cli.transcribe", "Transcribe (and translate) into <stem>.<lang>.<fmt> subtitle files."),
    "check": ("subtool.cli.check", "Report the cues of subtitle files that break a subtitle profile."),
    "preview": ("subtool.cli.preview", "A review page in the browser: the video, every language, the cues that break the profile."),
    "conform": ("subtool.cli.conform", "Make subtitle files meet a profile without changing a word."),
    "extract": ("subtool.cli.extract", "Write a video's text subtitle streams as SRT/VTT/ASS files."),
    "convert": ("subtool.cli.convert", "Convert subtitle files between SRT, WebVTT and ASS, shifted or retimed."),
    "mux": ("subtool.cli.mux", "Add subtitle files to a video as language-tagged soft tracks."),
    "burn": ("subtool.cli.burn", "Burn one subtitle file into the picture."),
    "presets": ("subtool.cli.presets", "List the presets, or show what one sets."),
    "run": ("subtool.cli.run", "The whole job: probe, transcribe, translate, write, then mux or burn."),
    "batch": ("subtool.cli.batch", "Many videos within the service's limits, resumable, with a report."),
    "jobs": ("subtool.cli.jobs", "The jobs at the Gladia service: list, get ID, delete ID."),
    "config": ("subtool.cli.config", "The defaults from the config file and the environment, and where each came from."),
}


class LazyGroup(SubtoolGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)  # all ship with the package; looking each module up cost --help time

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            from ..api import did_you_mean

            raise click.UsageError(f"no command '{name}'. {did_you_mean(name, self.list_commands(ctx))}Commands: {', '.join(COMMANDS)}")
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        import importlib

        module, _ = COMMANDS[cmd_name]
        try:
            command: click.Command = importlib.import_module(module).command
        except ModuleNotFoundError as exc:
            if exc.name == module:
                return None
            raise
        _add_global_options(command)
        from .completion import add_completion
        from .examples import add_examples

        add_examples(command, cmd_name)
        add_completion(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Show details and tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")
@click.version_option(package_name="subtool")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """subtool: subtitles for videos, from transcription to muxed or burned-in tracks.

    Defaults for run, transcribe and batch can live in a config file: see 'subtool config show'.

    Exit codes: 0 done, 1 failed, 2 usage, 3 input rejected, 4 transcription service
    refused or failed, 130 interrupted (143 stopped by SIGTERM, 129 by SIGHUP).
    """
    STATE.verbose += verbose
    STATE.quiet = STATE.quiet or quiet
    if ctx.invoked_subcommand in ("run", "transcribe", "batch"):
        from .config import default_map  # the config file's defaults: below the command line

        ctx.default_map = {ctx.invoked_subcommand: default_map(ctx, ctx.invoked_subcommand)}


def json_option(f: F) -> F:
    def remember(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        STATE.json = STATE.json or value
        return value

    return click.option("--json", "as_json", is_flag=True, callback=remember,
                        help="Print one JSON document on stdout (on an error: {\"error\": {message, exit_code, path}}).")(f)


def split_csv(values: tuple[str, ...] | list[str] | None) -> list[str]:
    """``-t fr,es -t de`` -> ["fr", "es", "de"] (order kept, duplicates dropped)."""
    out: list[str] = []
    for value in values or ():
        for part in value.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out
