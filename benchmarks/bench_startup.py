"""Start-up: ``subtool --help`` against ``python -c pass`` in the same run (goal: within 3x)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import median, record, run_cmd

exe = Path(sys.executable)
script = exe.parent / "subtool"
base = [run_cmd([sys.executable, "-c", "pass"]) for _ in range(20)]
help_ = [run_cmd([str(script), "--help"]) for _ in range(20)]
probe_import = [run_cmd([sys.executable, "-c", "import subtool.cli, subtool.media.probe"]) for _ in range(20)]
click_only = [run_cmd([sys.executable, "-c", "import click"]) for _ in range(20)]
b, h, p, c = median(base), median(help_), median(probe_import), median(click_only)
record(
    "Start-up",
    f"""| command | median of 20 | ratio to `python -c pass` |
|---|---|---|
| `python -c pass` | {b * 1000:.1f} ms | 1.00 |
| `subtool --help` | {h * 1000:.1f} ms | {h / b:.2f} |
| import of the CLI and probe modules | {p * 1000:.1f} ms | {p / b:.2f} |
| `python -c "import click"` (the CLI library the project uses) | {c * 1000:.1f} ms | {c / b:.2f} |

Goal: `subtool --help` within 3x of `python -c pass`: {"met" if h / b <= 3 else "NOT met"}. Importing click alone
costs {c / b:.2f}x; subtool adds {(h - c) * 1000:.0f} ms on top of it (commands load on use; yt-dlp, the SDK and
faster-whisper are never imported for `--help` or `probe`).""",
)
