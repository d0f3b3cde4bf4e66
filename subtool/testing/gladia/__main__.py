"""``python -m subtool.testing.gladia``: run the emulator until SIGTERM or Ctrl-C.

The first line on stdout is the base URL (flushed), so a parent process can read it.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...engines.gladia import service
from .config import DIARIZATION, ENDPOINTS, Config, parse_rate
from .server import EmulatorServer
from .state import State, apply_fault

DEFAULT_SAMPLES = Path(__file__).resolve().parents[3] / "samples"
MB = 1000 * 1000  # the service counts its upload limit in MB of 10^6 bytes


def _parse_fail(value: str) -> tuple[str, int, int]:
    parts = value.split(":")
    if len(parts) not in (2, 3) or parts[0] not in ENDPOINTS:
        raise argparse.ArgumentTypeError(f"expected ENDPOINT:STATUS[:COUNT] with ENDPOINT in {', '.join(ENDPOINTS)}, got {value!r}")
    try:
        return parts[0], int(parts[1]), int(parts[2]) if len(parts) == 3 else 1
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"STATUS and COUNT must be integers in {value!r}") from exc


def _parse_drop(value: str) -> tuple[str, int]:
    name, _, count = value.partition(":")
    if name not in ENDPOINTS:
        raise argparse.ArgumentTypeError(f"expected ENDPOINT[:COUNT] with ENDPOINT in {', '.join(ENDPOINTS)}, got {value!r}")
    try:
        return name, int(count or 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"COUNT must be an integer in {value!r}") from exc


def _parse_lose(value: str) -> tuple[str, int, int | None]:
    parts = value.split(":")
    if len(parts) > 3 or parts[0] not in ENDPOINTS:
        raise argparse.ArgumentTypeError(f"expected ENDPOINT[:COUNT[:STATUS]] with ENDPOINT in {', '.join(ENDPOINTS)}, got {value!r}")
    try:
        return parts[0], int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else None
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"COUNT and STATUS must be integers in {value!r}") from exc


def _parse_delay(value: str) -> tuple[str, float]:
    name, _, seconds = value.partition(":")
    if name not in ENDPOINTS:
        raise argparse.ArgumentTypeError(f"expected ENDPOINT:SECONDS with ENDPOINT in {', '.join(ENDPOINTS)}, got {value!r}")
    try:
        delay = float(seconds)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"SECONDS must be a number in {value!r}") from exc
    if delay < 0:
        raise argparse.ArgumentTypeError(f"SECONDS must be at least 0 in {value!r}")
    return name, delay


def _parse_rate(value: str) -> tuple[int, float]:
    try:
        return parse_rate(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parse_job_error(value: str) -> tuple[int, int]:
    code, _, count = value.partition(":")
    try:
        return int(code), int(count or 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected CODE[:COUNT], got {value!r}") from exc


def _bounded(kind: type, low: float, high: float | None = None, *, above: bool = False) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` at least ``low`` (more than ``low`` with ``above``),
    at most ``high``."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value < low or (above and value == low) or (high is not None and value > high):
            span = f"more than {low:g}" if above else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"must be {span}{f' and at most {high:g}' if high is not None else ''}, got {text}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m subtool.testing.gladia", description="An offline emulator of Gladia's pre-recorded API v2.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_bounded(int, 0, 65535), default=0, help="0 picks a free port")
    p.add_argument("--key", action="append", default=[], help="accepted x-gladia-key (repeatable); default: any non-empty key")
    p.add_argument("--latency", type=_bounded(float, 0), default=0.0, help="seconds from create to done per job")
    p.add_argument("--latency-ratio", type=_bounded(float, 0), default=0.0, metavar="R",
                   help="processing seconds per second of audio, added to --latency (the service: about 0.176)")
    p.add_argument("--min-latency", type=_bounded(float, 0), default=0.0, metavar="S",
                   help="no job is done sooner than S seconds after it starts processing (the service: about 3)")
    p.add_argument("--diarization", choices=DIARIZATION, default="turns",
                   help="turns: speakers take turns by utterance; level: voices told apart by their loudness, numbered "
                   "in order of appearance in each job (a stand-in for telling voices apart)")
    p.add_argument("--max-concurrent", type=_bounded(int, 1), default=None,
                   help="jobs processed at once; creates beyond this many queued+processing jobs get 429 (Retry-After), unless --queue")
    p.add_argument("--queue", type=_bounded(int, 0), nargs="?", const=service.MAX_QUEUED_JOBS, default=None, metavar="MAX_QUEUED",
                   help=f"creates beyond --max-concurrent wait queued (up to MAX_QUEUED, default {service.MAX_QUEUED_JOBS} as a paid plan), "
                   "as the service documents")
    p.add_argument("--rate-limit", type=_parse_rate, default=None, metavar="N/s",
                   help="requests per key beyond N per second (N/min: per minute) get 429 with Retry-After, on every endpoint")
    p.add_argument("--delay", type=_parse_delay, action="append", default=[], metavar="ENDPOINT:SECONDS",
                   help="hold back every answer of ENDPOINT (the SDK gives up a GET after 10 s)")
    p.add_argument("--lose-reply", type=_parse_lose, action="append", default=[], metavar="ENDPOINT[:COUNT[:STATUS]]",
                   help="carry out the request, then drop the connection (or answer STATUS) instead of answering")
    p.add_argument("--no-speech-below", type=float, default=None, metavar="DB",
                   help="audio with no voiced region louder than DB dBFS gets the empty (no speech) result; default: judged from the content")
    p.add_argument("--messy-translations", action="store_true", help="translations shaped like a real capture (empty utterances, missing words)")
    p.add_argument("--missing-subtitles", action="append", default=[], metavar="LANG[:FORMAT]",
                   help="leave that language's subtitle file (all its formats without :FORMAT) out of results (repeatable)")
    p.add_argument("--strict", action="store_true",
                   help="as the real API: only the documented custom_metadata JSON list filter, no post_session_metadata in lists, validation_errors only on 400")
    p.add_argument("--max-upload-mb", type=_bounded(float, 0, above=True), default=service.MAX_UPLOAD_BYTES / MB,
                   help="upload limit in MB (10^6 bytes), as the service's")
    p.add_argument("--max-duration-min", type=_bounded(float, 0, above=True), default=service.MAX_DURATION_S / 60)
    p.add_argument("--transcriber", choices=("placeholder", "local"), default="placeholder")
    p.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="folder of <name>.<media> + <name>.txt samples")
    p.add_argument("--fail", type=_parse_fail, action="append", default=[], metavar="ENDPOINT:STATUS[:COUNT]")
    p.add_argument("--drop", type=_parse_drop, action="append", default=[], metavar="ENDPOINT[:COUNT]")
    p.add_argument("--job-error", type=_parse_job_error, action="append", default=[], metavar="CODE[:COUNT]")
    p.add_argument("--upload-bandwidth", type=_bounded(float, 0, above=True), default=None, metavar="BYTES_PER_S")
    p.add_argument("-v", "--verbose", action="store_true", help="log each request on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.transcriber == "local" and importlib.util.find_spec("subtool.engines.local") is None:
        print("gladia emulator: --transcriber local needs subtool.engines.local (the offline engine), which is not installed", file=sys.stderr)
        return 2
    state = State(config_of(args))
    install_faults(state, args)
    try:
        server = EmulatorServer(args.host, args.port, state, verbose=args.verbose)
    except (OSError, OverflowError, ValueError) as exc:
        state.cleanup()
        print(f"gladia emulator: cannot listen on {args.host}:{args.port}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    serve(server, state)
    return 0


def config_of(args: argparse.Namespace) -> Config:
    return Config(
        keys=frozenset(args.key),
        latency=args.latency,
        latency_ratio=args.latency_ratio,
        min_latency=args.min_latency,
        diarization=args.diarization,
        max_concurrent=args.max_concurrent,
        max_upload_bytes=int(args.max_upload_mb * MB),
        max_duration=args.max_duration_min * 60.0,
        transcriber=args.transcriber,
        samples=args.samples,
        upload_bandwidth=args.upload_bandwidth,
        queue=args.queue,
        rate_limit=args.rate_limit,
        delays=dict(args.delay),
        no_speech_below=args.no_speech_below,
        messy_translations=args.messy_translations,
        strict=args.strict,
        missing_subtitles=frozenset(args.missing_subtitles),
    )


def install_faults(state: State, args: argparse.Namespace) -> None:
    """The command line's --fail, --drop, --lose-reply and --job-error."""
    for endpoint, status, count in args.fail:
        state.faults.add_http(endpoint, status, count)
    for endpoint, count in args.drop:
        state.faults.add_http(endpoint, None, count)
    for endpoint, count, status in args.lose_reply:
        state.faults.add_lost(endpoint, status, count)
    for code, count in args.job_error:
        apply_fault(state, {"job_error": {"code": code, "count": count}})


def serve(server: EmulatorServer, state: State) -> None:
    """Serve until SIGTERM or SIGINT, after printing the base URL; then clean up."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True)
    thread.start()
    print(state.base_url, flush=True)
    state.samples.start()
    try:
        stop.wait()  # a signal interrupts the wait on POSIX, and the handler sets the event
    finally:
        server.shutdown()
        server.server_close()
        state.cleanup()


if __name__ == "__main__":
    sys.exit(main())
