"""``subtool batch`` against the emulator: 50 items, 2 s job latency, 25 slots.

- Wall time against the ideal (items / slots x latency), and slot occupancy while work remains:
  the emulator's ``running_jobs`` sampled every 0.1 s from the first job created until the last
  one is (after that fewer items than slots remain, so full slots are impossible).
- Resume: the batch is killed (SIGKILL) mid-way and resumed; extra jobs created (goal zero).

Items are symlinks to samples/memo.mp3 under bench-work/ with ``--no-cache`` (the same audio
would otherwise be a cache hit), delivered as sidecars only.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import ROOT, WORK, record

ITEMS = 50
SLOTS = 25
LATENCY = 2.0
SUBTOOL = str(Path(sys.executable).parent / "subtool")


def make_inputs(folder: Path) -> list[str]:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    paths = []
    for i in range(ITEMS):
        link = folder / f"clip{i:03d}.mp3"
        link.symlink_to(ROOT / "samples" / "memo.mp3")
        paths.append(str(link))
    return paths


class Sampler:
    """``running_jobs`` and ``jobs_created`` every 0.1 s, in a thread."""

    def __init__(self, emu: object) -> None:
        self.emu = emu
        self.samples: list[tuple[float, int, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        t0 = time.monotonic()
        while not self.stop.is_set():
            s = self.emu.stats()  # type: ignore[attr-defined]
            self.samples.append((time.monotonic() - t0, s["running_jobs"], s["jobs_created"]))
            self.stop.wait(0.1)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def occupancy(self, total: int) -> tuple[float, float, float]:
        """(mean share of slots busy while items were still waiting to be created, the window's
        start, its end), in seconds since the sampler started."""
        start = next((t for t, running, _ in self.samples if running > 0), None)
        end = next((t for t, _, created in self.samples if created >= total), None)
        if start is None or end is None:
            return 0.0, 0.0, 0.0
        window = [running for t, running, _ in self.samples if start <= t <= end]
        return sum(window) / len(window) / SLOTS, start, end


def reading(cpu_item: float, busy: list[float], measured: tuple[float, float]) -> str:
    """What the figures say, from the figures."""
    cores = os.cpu_count() or 1
    need = SLOTS / LATENCY  # jobs to create per second to keep every slot busy
    budget = cores / need
    met = busy[0] >= 0.9
    checks, start = measured
    text = (
        f"Reading: at {LATENCY:g} s latency the {SLOTS} slots stay full only if {need:g} jobs are created per second, "
        f"{budget * 1000:.0f} ms of CPU per item on these {cores} cores (the emulator's included). Each item costs "
        f"{cpu_item * 1000:.0f} ms here, {checks * 1000:.0f} ms of it the two ffmpeg-family runs that check the media "
        f"(ffprobe, and the decode of its end that catches truncation; merely starting Debian's ffprobe, which links "
        f"some 200 libraries, costs {start * 1000:.0f} ms), the rest the upload, create and polls through the SDK, "
        f"SQLite and the sidecars. So the goal of >= 90% busy at {LATENCY:g} s is "
        + ("**met**." if met else f"**not met on this machine** ({busy[0] * 100:.0f}%).")
    )
    text += (
        f" At {4 * LATENCY:g} s latency, still short for a real job (minutes), {busy[1] * 100:.0f}% of the slots were busy."
    )
    return text


def batch_args(paths: list[str], out: Path) -> list[str]:
    return [SUBTOOL, "-q", "batch", *paths, "--sidecars-only", "--max-jobs", str(SLOTS), "--no-cache", "-d", str(out), "--json"]


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stages(state: Path) -> dict[str, int]:
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5) as db:
            return dict(db.execute("SELECT stage, count(*) FROM items GROUP BY stage").fetchall())
    except sqlite3.Error:
        return {}


def _children_cpu(runs: list[list[str]], times: int = 5) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(times):
        for cmd in runs:
            subprocess.run(cmd, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / times


def media_check_cpu() -> tuple[float, float]:
    """CPU seconds of the two ffmpeg-family runs each item costs (ffprobe, and the decode of its
    end), measured on the item's file, and of merely starting ffprobe (``-version``)."""
    memo = str(ROOT / "samples" / "memo.mp3")
    checks = _children_cpu([["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", memo],
                            ["ffmpeg", "-nostdin", "-v", "warning", "-ss", "4.8", "-i", memo, "-map", "0:a:0?", "-f", "null", "-"]])
    return checks, _children_cpu([["ffprobe", "-version"]])


def main() -> None:
    from subtool.testing.gladia import EmulatorProcess

    work = WORK / "batch"
    paths = make_inputs(work / "in")
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    lines = []
    with EmulatorProcess(latency=LATENCY, max_concurrent=SLOTS) as emu:
        env.update({"GLADIA_API_KEY": "bench", "GLADIA_API_URL": emu.url})

        # 1. the whole batch, at the 2 s latency and at a longer one where the local work
        # (two ffprobe runs and an upload per item) has time to keep ahead of the service
        rows = []
        cpus: list[float] = []
        busy_at: list[float] = []
        for latency in (LATENCY, 4 * LATENCY):
            emu.reset()
            emu.fault(latency=latency)
            out = work / f"out-{latency:g}"
            shutil.rmtree(out, ignore_errors=True)
            emu_cpu0 = cpu_of(emu.proc.pid)  # type: ignore[union-attr]
            with Sampler(emu) as sampler:
                t0 = time.monotonic()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                proc = subprocess.run(batch_args(paths, out), capture_output=True, text=True, env=env)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall = time.monotonic() - t0
            # subtool and its ffprobe/ffmpeg children (the sampler's own requests are not in it)
            cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / ITEMS
            emu_cpu = (cpu_of(emu.proc.pid) - emu_cpu0) / ITEMS  # type: ignore[union-attr]
            assert proc.returncode == 0, proc.stderr
            report = json.loads(proc.stdout)
            stats = emu.stats()
            busy, start, end = sampler.occupancy(ITEMS)
            ideal = math.ceil(ITEMS / SLOTS) * latency
            rate = ITEMS / (end - start) if end > start else float("nan")
            cpus.append(cpu + emu_cpu)
            busy_at.append(busy)
            rows.append(
                f"| {latency:g} s | {wall:.1f} s | {ideal:.1f} s | {wall / ideal:.2f} | {start:.1f} s | {busy * 100:.0f}% ({start:.1f}-{end:.1f} s) "
                f"| {rate:.1f}/s | {cpu * 1000:.0f} ms + {emu_cpu * 1000:.0f} ms | {stats['jobs_created']} / {stats['max_concurrent_jobs']} | {report['pacing']['rate_limited']} | {report['counts']['done']} |"
            )
        lines += [
            f"**{ITEMS} items, {SLOTS} slots** (`subtool batch ... --sidecars-only --max-jobs {SLOTS} --no-cache`, console script; "
            f"the emulator runs on the same 2 cores; 1-minute load average {os.getloadavg()[0]:.1f} when the table was written). "
            "Occupancy: the emulator's running jobs sampled every 0.1 s, from the first job until the last one was created.",
            "",
            "| job latency | wall | ideal (items / slots x latency) | wall / ideal | first job after | slots busy while items waited | jobs created per s | CPU per item: subtool (+ffprobe) + emulator | jobs created / peak running | 429s | done |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            reading(cpus[0], busy_at, media_check_cpu()),
            "",
        ]

        # 2. kill mid-batch, then resume
        emu.reset()
        emu.fault(latency=LATENCY)
        out = work / "out2"
        shutil.rmtree(out, ignore_errors=True)
        state = out / ".subtool-batch.sqlite"
        proc2 = subprocess.Popen(batch_args(paths, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        seen: dict[str, int] = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen = stages(state)
            if seen.get("done", 0) >= 10 and seen.get("submitted", 0) >= 5:
                break
            time.sleep(0.05)
        proc2.send_signal(signal.SIGKILL)
        proc2.wait()
        created_before = emu.stats()["jobs_created"]
        t0 = time.monotonic()
        resumed = subprocess.run([*batch_args(paths, out), "--resume"], capture_output=True, text=True, env=env)
        resume_wall = time.monotonic() - t0
        assert resumed.returncode == 0, (resumed.returncode, resumed.stderr, resumed.stdout[-3000:])
        rdoc = json.loads(resumed.stdout)
        created = emu.stats()["jobs_created"]
        extra = created - ITEMS
        lines += [
            f"**Resume after SIGKILL**: killed with {seen.get('done', 0)} items done and {seen.get('submitted', 0)} jobs at the service "
            f"({created_before} jobs created so far); `--resume` finished in {resume_wall:.1f} s with "
            f"{rdoc['counts']['skipped']} items skipped and {rdoc['counts']['done']} finished; jobs created in all: {created} for {ITEMS} items, "
            f"**{extra} extra** (goal zero).",
        ]
    shutil.rmtree(work, ignore_errors=True)
    record("Batch", "\n".join(lines))


if __name__ == "__main__":
    main()
