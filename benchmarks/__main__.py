"""``python -m benchmarks [NAME...]``: run every bench_*.py (or those named), one after another."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

here = Path(__file__).parent
wanted = sys.argv[1:]
for script in sorted(here.glob("bench_*.py")):
    if wanted and not any(w in script.stem for w in wanted):
        continue
    print(f"== {script.stem}", flush=True)
    runpy.run_path(str(script), run_name="__main__")
