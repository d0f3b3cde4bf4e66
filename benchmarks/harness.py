"""Shared by every benchmark: machine facts, timing, and writing one section of BENCHMARKS.md.

Each script owns one ``## <title>`` section and replaces only it, so scripts can run alone or
all together (``make bench`` runs every ``bench_*.py``).
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import platform
import re
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_FILE = ROOT / "BENCHMARKS.md"
WORK = ROOT / "bench-work"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    ff = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n", 1)[0]
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {ff}"


def timed(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def run_cmd(cmd: Sequence[str], **kw: object) -> float:
    t0 = time.perf_counter()
    subprocess.run(list(cmd), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - t0


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def record(title: str, body: str) -> None:
    """Replace (or add) the section ``## title`` of BENCHMARKS.md with ``body``, dated."""
    stamp = _dt.date.today().isoformat()
    section = f"## {title}\n\nMeasured {stamp} on {machine()}.\n\n{body.strip()}\n"
    with open(BENCH_FILE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = BENCH_FILE.read_text() if BENCH_FILE.exists() else (
            "# Benchmarks\n\nEvery figure comes from `make bench` (scripts in `benchmarks/`), each measured side by side "
            "with its anchor in one run, as ratios.\n"
        )
        pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
        text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
        BENCH_FILE.write_text(text.rstrip() + "\n")
    print(section)
