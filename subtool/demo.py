"""``python -m subtool.demo``: what ``make demo`` runs (until the pipeline exists: probe the samples)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def main() -> int:
    files = sorted(str(p) for p in SAMPLES.iterdir() if p.suffix in {".mp4", ".mkv", ".mp3"})
    return subprocess.call([sys.executable, "-m", "subtool", "probe", *files])


if __name__ == "__main__":
    sys.exit(main())
