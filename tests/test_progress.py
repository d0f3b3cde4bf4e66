"""Live progress as a user sees it: the console script in a pseudo-terminal (120 columns) against
the emulator with a throttled upload and a job that takes seconds, the screen read back with a
terminal emulator (pyte); and the same run without a terminal, where stderr holds no bars."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest
from conftest import SUBTOOL, run_cli

from subtool.testing.gladia import EmulatorProcess

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\r")
BAR = "━"


def run_in_terminal(args: list[str], env: dict[str, str], cwd: Path, *, columns: int = 120, rows: int = 40,
                    timeout: float = 180) -> tuple[int, bytes]:
    """Run the console script with a pseudo-terminal as its stdin, stdout and stderr; its exit
    code and everything it wrote to the terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    full = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "TERM")}
    full.update(env, TERM="xterm-256color")
    proc = subprocess.Popen([SUBTOOL, *args], stdin=slave, stdout=slave, stderr=slave, env=full, cwd=cwd, close_fds=True)
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, bytes(out)


def screen_at_end(raw: bytes, columns: int = 120, rows: int = 40) -> list[str]:
    screen = pyte.Screen(columns, rows)
    pyte.ByteStream(screen).feed(raw)
    return [line.rstrip() for line in screen.display]


def clock_seconds(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


@pytest.fixture(scope="module")
def long_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six minutes of Opus (1.2 MB, sent as it is): an upload that takes seconds at 250 kB/s."""
    path = tmp_path_factory.mktemp("media") / "talk.ogg"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=d=360:a=0.3:r=16000", "-ac", "1",
                    "-c:a", "libopus", "-b:a", "32k", str(path)], check=True)
    return path


@pytest.fixture
def slow_service() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=3.5) as emu:
        emu.fault(upload_bandwidth=250_000)
        yield emu


def test_terminal_shows_upload_then_job_elapsed_and_no_stale_bar(tmp_path: Path, long_audio: Path, slow_service: EmulatorProcess) -> None:
    env = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": slow_service.url}
    code, raw = run_in_terminal(["run", str(long_audio), "--sidecars-only", "-d", str(tmp_path)], env, tmp_path)
    text = ANSI.sub("", raw.decode("utf-8", errors="replace"))
    assert code == 0, text[-2000:]
    # The upload: its share rises while the bytes go out, with the bytes and the rate beside it.
    shares = [int(m) for m in re.findall(r"uploading\s+\S*\s+(\d+)%", text)]
    assert len(set(shares)) >= 3 and shares == sorted(shares) and shares[-1] > shares[0], shares
    assert re.search(r"uploading\s+\S+\s+\d+%\s+[\d.]+/1\.2 MB", text), "the bytes sent of 1.2 MB are shown"
    # Then the job: a spinner with the time it has been processing, which grows.
    upload_end = text.rfind("uploading ")
    elapsed = [clock_seconds(m) for m in re.findall(r"job processing\s+\S+\s+(\d+:\d\d:\d\d)", text[upload_end:])]
    assert elapsed and elapsed == sorted(elapsed) and elapsed[-1] >= elapsed[0] + 2, elapsed
    # At the end the screen holds the lines said, and no bar or spinner is left over.
    screen = [line for line in screen_at_end(raw) if line]
    assert not any(BAR in line or "%" in line or "job processing" in line for line in screen), screen
    assert any("job" in line and "done" in line for line in screen), screen
    assert screen[-1] == str(tmp_path / "talk.transcript.json")
    assert slow_service.stats()["jobs_created"] == 1


def test_no_terminal_means_no_bars(tmp_path: Path, long_audio: Path) -> None:
    with EmulatorProcess(latency=1.0) as emu:
        emu.fault(upload_bandwidth=2_000_000)
        env = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emu.url}
        res = run_cli("run", str(long_audio), "--sidecars-only", "-d", str(tmp_path), env=env)
    assert res.returncode == 0, res.stderr
    assert BAR not in res.stderr and "%" not in res.stderr and "\x1b[" not in res.stderr, res.stderr
    assert res.stdout.strip() == str(tmp_path / "talk.transcript.json")


def test_quiet_terminal_draws_nothing(tmp_path: Path, long_audio: Path) -> None:
    with EmulatorProcess(latency=1.0) as emu:
        env = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emu.url}
        code, raw = run_in_terminal(["run", str(long_audio), "--sidecars-only", "-d", str(tmp_path), "-q"], env, tmp_path)
    text = raw.decode("utf-8", errors="replace")
    assert code == 0, text
    assert BAR not in text and "%" not in text and "job" not in text, text
    assert text.strip() == str(tmp_path / "talk.transcript.json")


def test_pieces_done_out_of_n(tmp_path: Path) -> None:
    """A long input (here: jobs of 4 s at most, so the 16 s sample is 8 pieces) shows its pieces
    done out of N, rising, and leaves no bar behind."""
    from conftest import copy_sample

    video = copy_sample("talk.mp4", tmp_path)
    with EmulatorProcess(latency=1.0) as emu:
        env = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emu.url, "SUBTOOL_GLADIA_MAX_DURATION": "4"}
        code, raw = run_in_terminal(["run", str(video), "--sidecars-only", "--max-jobs", "4"], env, tmp_path)
        created = emu.stats()["jobs_created"]
    text = ANSI.sub("", raw.decode("utf-8", errors="replace"))
    assert code == 0, text[-2000:]
    counts = [(int(a), int(b)) for a, b in re.findall(r"pieces done\s+\S*\s+(\d+)/(\d+)", text)]
    assert counts and {n for _, n in counts} == {created} and created > 2, counts
    done = [a for a, _ in counts]
    assert done == sorted(done) and len(set(done)) >= 2, done
    screen = [line for line in screen_at_end(raw) if line]
    assert not any(BAR in line or "pieces done" in line for line in screen), screen
