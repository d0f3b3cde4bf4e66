"""``python -m benchmarks [NAME...]``: run every bench_*.py (or those named), one after another.

First it says what the run costs: how long the last full run took and the most disk its work
folder (``bench-work/``) held, from ``benchmarks/cost.json``, which every full run rewrites (commit
it with BENCHMARKS.md); a disk with less room free is refused before anything starts. The work
folder is removed when the run ends, fails, or is stopped (Ctrl-C, SIGTERM, SIGHUP).
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType

here = Path(__file__).parent
sys.path.insert(0, str(here))
from harness import WORK  # noqa: E402

COST = here / "cost.json"


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                pass
    return total


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(wanted: list[str]) -> int:
    scripts = [s for s in sorted(here.glob("bench_*.py")) if not wanted or any(w in s.stem for w in wanted)]
    cost = json.loads(COST.read_text()) if COST.exists() else {}
    seconds, peak = cost.get("seconds"), cost.get("bytes")
    if not wanted:
        took = f"took {seconds / 60:.0f} min" if seconds else "was not timed"
        held = f"held up to {peak / 1e9:.1f} GB" if peak else "held an unknown amount of disk"
        print(f"make bench: {len(scripts)} benchmarks; the last full run ({cost.get('date', '?')}) {took} and {held} in {WORK} "
              "(removed at the end, or when stopped)", flush=True)
    if not wanted and peak:
        free = shutil.disk_usage(WORK.parent).free
        if free < peak * 1.1:
            print(f"make bench: only {free / 1e9:.1f} GB free beside {WORK}: free some room first", file=sys.stderr)
            return 1
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)
    started, largest = time.monotonic(), 0
    try:
        for script in scripts:
            print(f"== {script.stem}", flush=True)
            runpy.run_path(str(script), run_name="__main__")
            largest = max(largest, _size(WORK))
    except KeyboardInterrupt:
        print(f"make bench: stopped; removing {WORK}", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    took = time.monotonic() - started
    print(f"make bench: {took / 60:.1f} min, up to {largest / 1e9:.2f} GB of disk in {WORK} (removed)", flush=True)
    if not wanted:
        COST.write_text(json.dumps({"seconds": round(took), "bytes": largest, "date": time.strftime("%Y-%m-%d")}, indent=1) + "\n")
    return 0


sys.exit(main(sys.argv[1:]))
