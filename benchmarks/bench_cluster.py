"""``subtool batch`` on Dask (``--workers`` / ``--cluster``) side by side with the single-process batch.

1. 50 items, 25 slots, 8 s job latency: the single-process batch, ``--workers 2`` (a local cluster
   the batch starts) and ``--cluster`` on a ``dask scheduler`` with 2 ``dask worker`` processes
   started beforehand. Wall time against the ideal, slot occupancy (the emulator's running jobs
   sampled every 0.1 s from the first job until the last one is created; goal >= 90%), each
   item's own wall time from the report, the CPU of every process involved.
2. The cluster path's own cost per item, measured on the same cluster: the round trip of one
   change of an item's row (sent by the worker, committed by the client, answered), the
   dispatch of a task (submit on the client to start on a worker), and the desk's rate when 25
   items send at once; an item makes 7 round trips (its start, attempts, audio, submitting,
   submitted, transcribed, written). Goal: < 5% of the item's wall time.
3. A burn-heavy batch with no service: 6 videos (talk.mp4 scaled to 1280x720, 15.8 s) each burned
   in French and in Spanish (12 items, shipped ``clean`` style, libx264 CRF 20 ``medium``), their
   transcripts from the result cache (warmed first; not one request reaches the emulator while
   measured): items per minute with ``--workers 1`` and ``--workers 2``, and the single process.

Media are generated under bench-work/ and removed afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.bench_batch import Sampler, make_inputs
from benchmarks.harness import ROOT, WORK, record

ITEMS = 50
SLOTS = 25
LATENCY = 8.0
BURN_ROUNDS = 2
ROUND_TRIPS = 7  # an item's start, attempts, audio, submitting, submitted, transcribed, written
BIN = Path(sys.executable).parent
SUBTOOL, DASK = str(BIN / "subtool"), str(BIN / "dask")


def cpu_tree(pid: int) -> float:
    """CPU seconds of a live process and of its children it has reaped (ffmpeg, ffprobe)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class DaskCluster:
    """``dask scheduler`` + ``dask worker`` processes on loopback (default threads: the cores)."""

    def __init__(self, folder: Path, env: dict[str, str], workers: int = 2) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "scheduler.json"
        self.file.unlink(missing_ok=True)
        log = open(folder / "dask.log", "wb")  # kept open for the processes' lifetime
        self.procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                        "--scheduler-file", str(self.file)], stdout=log, stderr=log, env=env)]
        while not (self.file.exists() and self.file.stat().st_size):
            time.sleep(0.05)
        self.procs += [subprocess.Popen([DASK, "worker", "--scheduler-file", str(self.file), "--no-nanny", "--no-dashboard",
                                         "--name", f"w{n}"], stdout=log, stderr=log, env=env) for n in range(workers)]
        with self.client() as client:
            client.wait_for_workers(workers, timeout=120)

    def client(self) -> Any:
        from distributed import Client

        return Client(scheduler_file=str(self.file), set_as_default=False)

    def cpu(self) -> float:
        return sum(cpu_tree(p.pid) for p in self.procs)

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(30)


def run_batch(args: list[str], env: dict[str, str], emu: Any, extra_cpu: Any = None) -> dict[str, Any]:
    """One batch with the sampler on; wall, occupancy, CPU per item, the report."""
    load = os.getloadavg()[0]
    before_extra = extra_cpu() if extra_cpu else 0.0
    with Sampler(emu) as sampler:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        proc = subprocess.run(args, capture_output=True, text=True, env=env)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime + ((extra_cpu() - before_extra) if extra_cpu else 0.0)
    busy, start, end = sampler.occupancy(ITEMS)
    seconds = [i["seconds"] for i in report["items"] if i["seconds"] is not None]
    return {"wall": wall, "busy": busy, "start": start, "end": end, "cpu": cpu / ITEMS, "item_s": statistics.mean(seconds),
            "stats": emu.stats(), "report": report, "load": load}


# -- 2. the cluster path's own cost --------------------------------------------------------------------


def _round_trips(batch: str, key: str, n: int) -> tuple[float, list[float]]:
    """On a worker: an item's link, ``n`` changes of its row; (when it started, each round trip)."""
    from distributed import get_client, get_worker, secede

    from subtool.batch.cluster.link import Link

    started = time.time()
    secede()
    link = Link(get_client(), batch, key, uuid.uuid4().hex[:16], get_worker().address, threading.Event())
    link.start()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        link.set(key, stage="audio")
        times.append(time.perf_counter() - t)
    link.close()
    return started, times


def link_costs(cluster: DaskCluster, folder: Path) -> dict[str, float]:
    """The round trip and dispatch on an idle cluster, and the desk's rate with 25 items at once."""
    from subtool.batch.cluster.link import Desk
    from subtool.batch.state import State

    state = State(folder / "links.sqlite")
    keys = [f"k{i:03d}" for i in range(SLOTS)]
    state.add_many([(k, i, k, "{}") for i, k in enumerate(keys)], [])
    with cluster.client() as client:
        batch = uuid.uuid4().hex[:16]
        desk = Desk(client, batch, state, None, None)
        try:
            trips, dispatch = [], []
            for i in range(20):  # one item at a time: the latency an item sees
                sent = time.time()
                started, times = client.submit(_round_trips, batch, keys[0], ROUND_TRIPS, key=f"bench-trip-{batch}-{i}", pure=False).result()
                dispatch.append(started - sent)
                trips += times
            t0 = time.perf_counter()
            futures = [client.submit(_round_trips, batch, k, ROUND_TRIPS, key=f"bench-burst-{batch}-{k}", pure=False) for k in keys]
            for f in futures:
                f.result()
            burst = time.perf_counter() - t0
        finally:
            desk.close()
            state.close()
    return {"trip": statistics.median(trips), "trip_p90": sorted(trips)[int(0.9 * len(trips))], "dispatch": statistics.median(dispatch),
            "burst_rate": SLOTS * (ROUND_TRIPS + 1) / burst}


# -- 3. burn-heavy ---------------------------------------------------------------------------------------


def burn_inputs(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    first = folder / "v0.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(ROOT / "samples" / "talk.mp4"), "-vf", "scale=1280:720",
                    "-c:v", "libx264", "-preset", "veryfast", "-c:a", "copy", str(first)], check=True)
    lines = ["input,translate,delivery,burn_language,output"]
    for n in range(6):
        if n:
            shutil.copyfile(first, folder / f"v{n}.mp4")
        lines += [f'v{n}.mp4,"fr,es",burn:clean,{lang},out/v{n}.{lang}.mp4' for lang in ("fr", "es")]
    (folder / "burn.csv").write_text("\n".join(lines) + "\n")
    return folder / "burn.csv"


def burn_runs(env: dict[str, str], emu: Any, folder: Path) -> list[tuple[str, list[float], float, list[float]]]:
    """Each batch twice, interleaved (the machine is shared: its load moves between runs); per
    batch (label, walls, CPU per item, loads)."""
    manifest = burn_inputs(folder)
    warm = subprocess.run([SUBTOOL, "-q", "batch", *(str(folder / f"v{n}.mp4") for n in range(6)), "-t", "fr,es", "--sidecars-only",
                           "-d", str(folder / "warm"), "--state", str(folder / "warm.sqlite")], capture_output=True, text=True, env=env)
    assert warm.returncode == 0, warm.stderr
    runs: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for _ in range(BURN_ROUNDS):
        for label, extra in (("single process", []), ("--workers 1", ["--workers", "1"]), ("--workers 2", ["--workers", "2"])):
            shutil.rmtree(folder / "out", ignore_errors=True)
            (folder / ".subtool-batch.sqlite").unlink(missing_ok=True)
            emu.reset()
            walls, cpus, loads = runs.setdefault(label, ([], [], []))
            loads.append(os.getloadavg()[0])
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            proc = subprocess.run([SUBTOOL, "-q", "batch", str(manifest), "--json", *extra], capture_output=True, text=True, env=env)
            walls.append(time.monotonic() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            assert proc.returncode == 0, proc.stderr[-3000:]
            doc = json.loads(proc.stdout)
            assert doc["counts"]["done"] == 12 and all(i["burned"] for i in doc["items"])
            requests = sum(emu.stats()["requests"].values())
            assert requests == 0, f"{requests} requests reached the service"
            cpus.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / 12)
    return [(label, walls, statistics.mean(cpus), loads) for label, (walls, cpus, loads) in runs.items()]


def main() -> None:
    from subtool.testing.gladia import EmulatorProcess

    work = WORK / "cluster"
    shutil.rmtree(work, ignore_errors=True)
    paths = make_inputs(work / "in")
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    lines: list[str] = []
    with EmulatorProcess(latency=LATENCY, max_concurrent=SLOTS) as emu:
        env.update({"GLADIA_API_KEY": "bench", "GLADIA_API_URL": emu.url})
        base = [SUBTOOL, "-q", "batch", *paths, "--sidecars-only", "--max-jobs", str(SLOTS), "--no-cache", "--json"]
        results: dict[str, dict[str, Any]] = {}
        emu.reset()
        results["single process"] = run_batch([*base, "-d", str(work / "out1")], env, emu)
        emu.reset()
        results["--workers 2"] = run_batch([*base, "-d", str(work / "out2"), "--workers", "2"], env, emu)
        cluster = DaskCluster(work / "dask", env)
        try:
            emu.reset()
            results["dask scheduler + 2 dask workers"] = run_batch([*base, "-d", str(work / "out3"), "--cluster", str(cluster.file)], env, emu,
                                                                  cluster.cpu)
            costs = link_costs(cluster, work)
        finally:
            cluster.stop()
        lines += batch_table(results)
        lines += overhead_text(costs, results)
        emu.reset()
        emu.fault(latency=0)
        burns = burn_runs(env, emu, work / "burn")
    lines += burn_table(burns, costs)
    shutil.rmtree(work, ignore_errors=True)
    record("Batch on a Dask cluster", "\n".join(lines))


def batch_table(results: dict[str, dict[str, Any]]) -> list[str]:
    single = results["single process"]["wall"]
    ideal = 2 * LATENCY
    rows = [
        f"| {name} | {r['wall']:.1f} s | {r['wall'] / ideal:.2f} | {r['wall'] / single:.2f} | {r['start']:.1f} s "
        f"| {r['busy'] * 100:.0f}% ({r['start']:.1f}-{r['end']:.1f} s) | {r['item_s']:.2f} s | {r['cpu'] * 1000:.0f} ms "
        f"| {r['stats']['jobs_created']} / {r['stats']['max_concurrent_jobs']} | {r['report']['pacing']['rate_limited']} "
        f"| {r['report']['counts']['done']} | {r['load']:.1f} |"
        for name, r in results.items()
    ]
    return [
        f"**{ITEMS} items, {SLOTS} slots, {LATENCY:g} s job latency** (`subtool batch ... --sidecars-only --max-jobs {SLOTS} --no-cache`, "
        "console script, one run each on the same machine, the emulator on the same cores). Ideal: 2 rounds of the latency. "
        "The local cluster's start is in its wall time; the dask processes of the third row were started before it (their CPU "
        "during the batch is counted). Occupancy: the emulator's running jobs sampled every 0.1 s from the first job until "
        "the last one was created.",
        "",
        f"| batch | wall | wall / ideal ({ideal:g} s) | vs single process | first job after | slots busy while items waited "
        "| an item's wall time (mean) | CPU per item, every process | jobs created / peak running | 429s | done | load (1 min) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]


def overhead_text(costs: dict[str, float], results: dict[str, dict[str, Any]]) -> list[str]:
    per_item = ROUND_TRIPS * costs["trip"] + costs["dispatch"]
    item_wall = results["dask scheduler + 2 dask workers"]["item_s"]
    share = per_item / item_wall
    return [
        f"**The cluster path's own cost per item** (measured on the same dask cluster, idle): a change of an item's row sent, "
        f"committed by the client and answered takes {costs['trip'] * 1000:.1f} ms (median; 90th percentile "
        f"{costs['trip_p90'] * 1000:.1f} ms), a task starts {costs['dispatch'] * 1000:.0f} ms after it is submitted. An item makes "
        f"{ROUND_TRIPS} round trips: **{per_item * 1000:.0f} ms per item, {share * 100:.2f}% of its {item_wall:.2f} s** on the "
        f"cluster (goal < 5%: {'**met**' if share < 0.05 else '**not met**'}). With {SLOTS} items sending at once the client "
        f"committed {costs['burst_rate']:.0f} changes per second: the client, the state's only writer, would be the limit only "
        f"past about {costs['burst_rate'] / ROUND_TRIPS * 60:.0f} items per minute.",
        "",
    ]


def burn_table(burns: list[tuple[str, list[float], float, list[float]]], costs: dict[str, float]) -> list[str]:
    cores = os.cpu_count() or 1
    rows = [
        f"| {label} | {' / '.join(f'{w:.1f}' for w in walls)} s | {12 / statistics.median(walls) * 60:.1f} | {cpu:.1f} s "
        f"| {' / '.join(f'{x:.1f}' for x in loads)} |"
        for label, walls, cpu, loads in burns
    ]
    cpu_item = statistics.mean(cpu for _, _, cpu, _ in burns)
    per_machine = cores / cpu_item * 60
    client_limit = costs["burst_rate"] / ROUND_TRIPS * 60
    share = (ROUND_TRIPS * costs["trip"] + costs["dispatch"]) / cpu_item
    return [
        f"**Burn-heavy, no service** ({cores} cores): 6 videos of 15.8 s at 1280x720, each burned in French and in Spanish "
        "(12 items, `clean` style, libx264 CRF 20 `medium`), transcripts from the result cache (0 requests reached the "
        f"emulator). `--workers 1` runs one worker with {cores} threads, `--workers 2` two with {max(1, cores // 2)} each: "
        f"the same {cores} local slots as the single process. Each batch ran {BURN_ROUNDS} times, interleaved; items per "
        "minute from the median wall time (the local cluster's start included).",
        "",
        "| batch | wall (each run) | items per minute | CPU per item (every process) | load (1 min) at each run |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"Reading: on one {cores}-core machine more worker processes cannot burn faster, the cores are the limit (and the "
        f"local cluster's start, a few seconds, weighs on a batch this short). An item costs {cpu_item:.1f} s of CPU, nearly "
        f"all of it the encode, so a machine of C cores burns about C x {60 / cpu_item:.1f} items per minute when it has them "
        f"to itself ({per_machine:.0f} on these {cores}), and each machine added as a `dask worker` adds its own: the "
        f"cluster's share of an item ({ROUND_TRIPS * costs['trip'] * 1000 + costs['dispatch'] * 1000:.0f} ms on the client "
        f"and the scheduler) is {share * 100:.1f}% of its encode, and the client's commits cap the whole cluster near "
        f"{client_limit:.0f} items per minute, some {client_limit / per_machine:.0f} machines like this one. Before that, "
        "the shared storage must carry every input and output once (here some 3 MB per item).",
    ]


if __name__ == "__main__":
    main()
