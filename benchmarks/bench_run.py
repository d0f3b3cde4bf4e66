"""The whole run on a sample against the emulator with realistic latency, stage by stage, and the
share of wall time that is subtool's own (not ffmpeg/ffprobe, not waiting on the service).

In-process, the benchmark wraps the functions that run ffmpeg/ffprobe and the engine's calls to
the service, and sums their wall time; what remains of the run's wall time is subtool's own.
The same run as a user types it (the console script) gives the start-up cost on top.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import ROOT, record

LATENCY = 3.0
SAMPLE = ROOT / "samples" / "talk.mp4"


def main() -> None:
    from subtool.testing.gladia import EmulatorProcess

    with EmulatorProcess(latency=LATENCY) as emu, tempfile.TemporaryDirectory() as tmp:
        os.environ.update({"GLADIA_API_KEY": "bench", "GLADIA_API_URL": emu.url, "XDG_CACHE_HOME": str(Path(tmp) / "cache")})
        import subtool.engines.gladia as gladia
        from subtool import pipeline

        spent = {"ffmpeg": 0.0, "service": 0.0}

        def wrap(owner: object, name: str, bucket: str) -> None:
            original = getattr(owner, name)

            def timed(*a: object, **k: object) -> object:
                t0 = time.perf_counter()
                try:
                    return original(*a, **k)
                finally:
                    spent[bucket] += time.perf_counter() - t0

            setattr(owner, name, timed)

        # Every child process's lifetime (ffprobe, ffmpeg), from spawn to reaping.
        import subprocess as sp

        original_init = sp.Popen.__init__
        original_exit = sp.Popen._handle_exitstatus  # type: ignore[attr-defined]

        def init(self: sp.Popen, *a: object, **k: object) -> None:  # type: ignore[type-arg]
            self._bench_t0 = time.perf_counter()  # type: ignore[attr-defined]
            original_init(self, *a, **k)  # type: ignore[arg-type]

        def reaped(self: sp.Popen, *a: object, **k: object) -> None:  # type: ignore[type-arg]
            if self.returncode is None and hasattr(self, "_bench_t0"):
                spent["ffmpeg"] += time.perf_counter() - self._bench_t0
            original_exit(self, *a, **k)

        sp.Popen.__init__ = init  # type: ignore[method-assign]
        sp.Popen._handle_exitstatus = reaped  # type: ignore[attr-defined]
        for name in ("upload", "wait"):
            wrap(gladia.GladiaEngine, name, "service")
        original_submit_call = gladia.GladiaEngine._call

        def call(self: object, run: object, what: str, fn: object, before_retry: object = None) -> object:
            t0 = time.perf_counter()
            try:
                return original_submit_call(self, run, what, fn, before_retry)  # type: ignore[arg-type]
            finally:
                if what == "creating the job":
                    spent["service"] += time.perf_counter() - t0

        gladia.GladiaEngine._call = call  # type: ignore[method-assign]

        video = Path(tmp) / "talk.mp4"
        shutil.copyfile(SAMPLE, video)
        t0 = time.perf_counter()
        results = pipeline.run(video, translate=["fr", "es"], formats=["srt", "vtt"], mux="mkv-multi", outdir=Path(tmp) / "out", use_cache=False)
        wall = time.perf_counter() - t0
        stages = results[0].timings
        own = wall - spent["ffmpeg"] - spent["service"]
        measured = dict(spent)

        # As a user types it: the console script, start-up included.
        exe = Path(sys.executable).parent / "subtool"
        t1 = time.perf_counter()
        subprocess.run(
            [str(exe), "run", str(video), "-t", "fr,es", "--format", "srt,vtt", "--mux", "mkv-multi", "-d", str(Path(tmp) / "cli"), "--no-cache"],
            check=True, capture_output=True,
        )
        cli_wall = time.perf_counter() - t1
        sp.Popen.__init__ = original_init  # type: ignore[method-assign]
        sp.Popen._handle_exitstatus = original_exit  # type: ignore[attr-defined]

    rows = "\n".join(f"| {k} | {v:.2f} s |" for k, v in stages.items())
    record(
        "Whole run",
        f"""`subtool run samples/talk.mp4 -t fr,es --format srt,vtt --mux mkv-multi` (16 s clip) against the
emulator with {LATENCY:.0f} s job latency, no cache.

| stage (from the run's own timings) | wall |
|---|---|
{rows}

| where the in-process run's {wall:.2f} s went | wall | share |
|---|---|---|
| ffmpeg / ffprobe (probe, audio extraction, mux) | {measured['ffmpeg']:.2f} s | {measured['ffmpeg'] / wall:.1%} |
| the service (upload, create, waiting for the job) | {measured['service']:.2f} s | {measured['service'] / wall:.1%} |
| subtool's own (planning, SDK parsing, cue building, writing) | {own:.2f} s | {own / wall:.1%} |

The console script for the same run took {cli_wall:.2f} s (start-up and imports included:
{cli_wall - wall:+.2f} s against the in-process run).
Goal: subtool's own share under 5%: {"met" if own / wall < 0.05 else "NOT met"}.""",
    )


if __name__ == "__main__":
    main()
