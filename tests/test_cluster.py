"""``subtool batch --cluster`` / ``--workers`` on a real Dask cluster on loopback (``dask scheduler``
and ``dask worker`` processes, or the local cluster ``--workers`` starts) against the Gladia
emulator: one job limit for the account, a worker or the client killed mid-batch, a worker that
cannot see an input, the key never leaving the processes that read it."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SUBTOOL, copy_sample, default_signals, ffprobe_json, run_cli

from subtool.testing.gladia import EmulatorProcess

pytestmark = pytest.mark.timeout(300)

DASK = str(Path(sys.executable).parent / "dask")
# A dead worker's leases come back after the lease timeout (Dask's default 30 s): shorter here, and
# the scheduler looks every second. Every process of a test reads these (the client registers the
# semaphore with its own timeout).
DASK_ENV = {
    "DASK_DISTRIBUTED__SCHEDULER__LOCKS__LEASE_TIMEOUT": "10s",
    "DASK_DISTRIBUTED__SCHEDULER__LOCKS__LEASE_VALIDATION_INTERVAL": "1s",
    "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "5s",
}


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes (no nanny: a killed worker stays dead), their
    logs in files; ``hide`` mounts an empty folder over a path for one worker (a user and mount
    namespace of its own: that worker does not see what is there)."""

    def __init__(self, folder: Path, env: dict[str, str], workers: int = 2, nthreads: int = 2, hide: dict[int, Path] | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "scheduler.json"
        self.env = {**os.environ, **DASK_ENV, **env}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.scheduler = self._spawn([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
                                      "--scheduler-file", str(self.file)], "scheduler")
        deadline = time.monotonic() + 60
        while not self._written():
            assert self.scheduler.poll() is None, self.log("scheduler")
            assert time.monotonic() < deadline, "the scheduler wrote no scheduler file"
            time.sleep(0.05)
        self.nthreads = nthreads
        self.workers: list[subprocess.Popen[bytes]] = []
        for n in range(workers):
            self.add_worker(f"w{n}", hide=(hide or {}).get(n), wait=False)
        with self.client() as client:
            client.wait_for_workers(workers, timeout=90)

    def add_worker(self, name: str, hide: Path | None = None, wait: bool = True) -> None:
        cmd = [DASK, "worker", "--scheduler-file", str(self.file), "--nthreads", str(self.nthreads), "--no-nanny", "--no-dashboard",
               "--name", name]
        if hide is not None:
            mount = f"mount -t tmpfs tmpfs {shlex.quote(str(hide))} && exec {shlex.join(cmd)}"
            cmd = ["unshare", "-m", *(["-r"] if os.geteuid() != 0 else []), "sh", "-c", mount]
        self.workers.append(self._spawn(cmd, name))
        if wait:
            with self.client() as client:
                client.wait_for_workers(sum(1 for w in self.workers if w.poll() is None), timeout=90)

    def _written(self) -> bool:
        try:
            return bool(json.loads(self.file.read_text()).get("address"))
        except (OSError, ValueError):
            return False

    def _spawn(self, cmd: list[str], name: str) -> subprocess.Popen[bytes]:
        with open(self.folder / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.folder.glob("*.log")))

    def client(self):  # type: ignore[no-untyped-def]
        from distributed import Client

        return Client(scheduler_file=str(self.file), set_as_default=False)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def emu(request: pytest.FixtureRequest) -> Iterator[EmulatorProcess]:
    latency = getattr(request, "param", 1.5)
    with EmulatorProcess(latency=latency, max_concurrent=3) as e:
        yield e


def env_for(e: EmulatorProcess, key: str = "cluster-test-key") -> dict[str, str]:
    return {"GLADIA_API_KEY": key, "GLADIA_API_URL": e.url, **DASK_ENV}


@pytest.fixture
def cluster(tmp_path: Path, emu: EmulatorProcess) -> Iterator[Cluster]:
    c = Cluster(tmp_path / "dask", env_for(emu))
    try:
        yield c
    finally:
        c.stop()


def memos(folder: Path, n: int, prefix: str = "memo") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [copy_sample("memo.mp3", folder, f"{prefix}{i:02d}.mp3") for i in range(n)]


def rows(state: Path) -> dict[str, dict[str, object]]:
    """The state's rows by key, read while the batch writes (WAL allows it)."""
    if not state.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5) as db:
            db.row_factory = sqlite3.Row
            return {r["key"]: dict(r) for r in db.execute("SELECT * FROM items")}
    except sqlite3.Error:
        return {}


def wait_for(state: Path, proc: subprocess.Popen[str], ready, timeout: float = 120) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = rows(state)
        if ready([r["stage"] for r in seen.values()]):
            return seen
        assert proc.poll() is None, f"the batch ended early: {proc.communicate()}"
        time.sleep(0.05)
    raise AssertionError(f"the state never got there: {[r['stage'] for r in rows(state).values()]}")


STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_batch_left() -> Iterator[None]:
    """A batch a failed test left running is killed with it."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def popen(*args: str, env: dict[str, str], session: bool = False) -> subprocess.Popen[str]:
    proc = subprocess.Popen([SUBTOOL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env},
                            preexec_fn=default_signals, start_new_session=session)
    STARTED.append(proc)
    return proc


def check_sidecars(out: Path, stems: list[str], langs: list[str]) -> None:
    import pysubs2

    for stem in stems:
        for lang in langs:
            assert len(pysubs2.load(str(out / f"{stem}.{lang}.srt"))) > 0, (stem, lang)


def no_429(emu: EmulatorProcess, jobs: int) -> None:
    stats = emu.stats()
    assert stats["max_concurrent_jobs"] <= 3
    assert stats["jobs_created"] == jobs
    assert stats["requests"]["create"] == jobs  # not one create refused for a fourth job at once


def test_two_local_workers_never_exceed_max_jobs_and_ctrl_c_resumes(tmp_path: Path, emu: EmulatorProcess) -> None:
    paths = memos(tmp_path / "in", 8)
    out, report = tmp_path / "out", tmp_path / "report.json"
    args = ("batch", *map(str, paths), "--sidecars-only", "-t", "fr", "-d", str(out), "--max-jobs", "3", "--no-cache", "--workers", "2")
    emu.fault(endpoint="create", status=429, count=1, retry_after=60)  # an item waits in its backoff when stopped
    proc = popen(*args, env=env_for(emu), session=True)
    state = out / ".subtool-batch.sqlite"
    wait_for(state, proc, lambda stages: stages.count("submitted") >= 2)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C at a terminal: the local cluster's workers get it too
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    open_jobs = [str(r["job_id"]) for r in rows(state).values() if r["stage"] == "submitted"]
    assert open_jobs and all(job in stderr for job in open_jobs)  # named, and recorded: --resume polls them
    assert stderr.count("dask dashboard: http://127.0.0.1:") == 1
    r = run_cli(*args, "--resume", "--report", str(report), env=env_for(emu))
    assert r.returncode == 0, r.stderr
    stats = emu.stats()
    assert stats["max_concurrent_jobs"] <= 3 and stats["jobs_created"] == 8
    assert stats["requests"]["create"] == 9  # the one 429 asked for: each worker process alone would allow 3, 6 at once
    doc = json.loads(report.read_text())
    assert doc["schema"] == "subtool.batch/1" and doc["counts"]["done"] + doc["counts"]["skipped"] == 8
    assert {i["job_id"] for i in doc["items"]} >= set(open_jobs)  # finished by polling the same jobs
    assert 1 <= doc["pacing"]["peak_jobs"] <= 3
    check_sidecars(out, [p.stem for p in paths], ["en", "fr"])


def test_two_batches_on_one_scheduler_share_the_account(tmp_path: Path, emu: EmulatorProcess, cluster: Cluster) -> None:
    procs = []
    for name in ("a", "b"):
        paths = memos(tmp_path / name, 6, prefix=name)
        procs.append(popen("batch", *map(str, paths), "--sidecars-only", "-d", str(tmp_path / name / "out"), "--max-jobs", "3",
                           "--no-cache", "--cluster", str(cluster.file), env=env_for(emu)))
    links = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=240)
        assert proc.returncode == 0, stderr
        links += [line.split(": ", 1)[1] for line in stderr.splitlines() if line.startswith("dask dashboard: ")]
    no_429(emu, 12)
    assert len(links) == 2 and links[0] == links[1]  # said once by each batch: the scheduler's own
    with urllib.request.urlopen(links[0], timeout=30) as page:
        assert page.status == 200
    for name in ("a", "b"):
        check_sidecars(tmp_path / name / "out", [f"{name}{i:02d}" for i in range(6)], ["en"])
    # Another size for the same account on this scheduler would add up: refused before anything.
    extra = memos(tmp_path / "c", 1, prefix="c")
    r = run_cli("batch", str(extra[0]), "--sidecars-only", "--max-jobs", "5", "--no-cache", "--cluster", str(cluster.file), env=env_for(emu))
    assert r.returncode == 2, r.stderr
    assert "--max-jobs" in r.stderr and "Traceback" not in r.stderr
    assert emu.stats()["jobs_created"] == 12


@pytest.mark.parametrize("emu", [2.5], indirect=True)
def test_a_worker_killed_mid_batch_every_item_finishes_each_paid_once(tmp_path: Path, emu: EmulatorProcess) -> None:
    c = Cluster(tmp_path / "dask", env_for(emu), workers=1)
    paths = memos(tmp_path / "in", 6)
    out = tmp_path / "out"
    proc = popen("batch", *map(str, paths), "--sidecars-only", "-d", str(out), "--max-jobs", "3", "--no-cache", "--json",
                 "--cluster", str(c.file), env=env_for(emu))
    try:
        state = out / ".subtool-batch.sqlite"
        wait_for(state, proc, lambda stages: stages.count("submitted") >= 2)
        c.workers[0].send_signal(signal.SIGKILL)  # its items were waiting on their jobs
        assert proc.stderr is not None
        said = next((line for line in iter(proc.stderr.readline, "") if "has no workers left" in line), "")
        c.add_worker("w1")  # once the batch has said that it waits for one
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:  # before its workers: it would wait for them
            proc.kill()
            proc.wait(10)
        c.stop()
    assert proc.returncode == 0, stderr
    assert "dask worker tcp://127.0.0.1:" in said
    doc = json.loads(stdout)
    assert doc["counts"]["done"] == 6 and doc["counts"]["failed"] == 0
    assert sum(int(str(r["attempts"])) >= 2 for r in rows(state).values()) >= 2  # taken up again on the other worker
    no_429(emu, 6)  # their jobs polled by their ids, never created again
    check_sidecars(out, [p.stem for p in paths], ["en"])


def manifest_with_mux(folder: Path, n_audio: int) -> tuple[Path, list[str], list[str]]:
    audio = memos(folder / "audio", n_audio)
    videos = [copy_sample("talk.mp4", folder, f"talk{i}.mp4") for i in range(2)]
    lines = ["input,translate,delivery,outdir", *[f"audio/{p.name},fr,sidecars,out" for p in audio],
             *[f"{v.name},fr,mkv-multi,out" for v in videos]]
    manifest = folder / "batch.csv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest, [p.stem for p in audio], [v.stem for v in videos]


def test_the_client_killed_then_resume_pays_nothing_again(tmp_path: Path, emu: EmulatorProcess, cluster: Cluster) -> None:
    folder = tmp_path / "job"
    manifest, audio, videos = manifest_with_mux(folder, 6)
    state = folder / ".subtool-batch.sqlite"
    args = ("batch", str(manifest), "--max-jobs", "3", "--no-cache", "--cluster", str(cluster.file))
    proc = popen(*args, env=env_for(emu))
    wait_for(state, proc, lambda stages: "done" in stages and "submitted" in stages)
    proc.kill()  # SIGKILL: the client's tasks are forgotten by the scheduler, its items on the workers stop
    proc.wait(10)
    r = run_cli(*args, "--resume", "--json", env=env_for(emu))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["counts"]["failed"] == 0 and doc["counts"]["done"] + doc["counts"]["skipped"] == 8
    assert doc["counts"]["skipped"] >= 1
    no_429(emu, 8)  # every job recorded (or only its token) was polled, none made again
    out = folder / "out"
    check_sidecars(out, audio + videos, ["en", "fr"])
    for stem in videos:
        streams = ffprobe_json(out / f"{stem}.subtitled.mkv")["streams"]
        assert sorted(s["tags"]["language"] for s in streams if s["codec_type"] == "subtitle") == ["eng", "fre"]
        assert any(s["codec_type"] == "video" for s in streams)
    assert [p.name for p in out.iterdir() if ".tmp" in p.name or p.name.startswith(".")] == []


@pytest.mark.parametrize("emu", [0.5], indirect=True)
def test_a_worker_that_cannot_see_an_input(tmp_path: Path, emu: EmulatorProcess) -> None:
    seen = memos(tmp_path / "in", 4)
    hidden = memos(tmp_path / "in" / "private", 1, prefix="hidden")[0]
    c = Cluster(tmp_path / "dask", env_for(emu), hide={1: hidden.parent})
    try:
        report = tmp_path / "report.json"
        r = run_cli("batch", *map(str, [*seen, hidden]), "--sidecars-only", "-d", str(tmp_path / "out"), "--no-cache",
                    "--cluster", str(c.file), "--report", str(report), env=env_for(emu))
    finally:
        c.stop()
    assert r.returncode == 1, r.stderr
    items = {Path(i["input"]).name: i for i in json.loads(report.read_text())["items"]}
    error = items[hidden.name]["error"]
    assert items[hidden.name]["status"] == "failed" and items[hidden.name]["exit_code"] == 3
    assert str(hidden) in error and "worker w1 (tcp://127.0.0.1:" in error and "cannot see it" in error
    failed = [line for line in r.stderr.splitlines() if line.startswith("failed: ")]
    assert failed == [f"failed: {error}"]  # one line
    assert all(items[p.name]["status"] == "done" for p in seen)
    stats = emu.stats()
    assert stats["uploads"] == 4 and stats["jobs_created"] == 4  # nothing of the hidden item was sent


@pytest.mark.parametrize("emu", [1.0], indirect=True)
def test_the_key_never_travels_and_a_refused_job_fails_its_item_alone(tmp_path: Path, emu: EmulatorProcess) -> None:
    def task_specs(dask_scheduler) -> list[bytes]:  # type: ignore[no-untyped-def]  # on the scheduler: every task it holds
        import cloudpickle

        return [cloudpickle.dumps(ts.run_spec) + repr(ts.run_spec).encode() for ts in dask_scheduler.tasks.values()]

    key = f"sk-i15-{uuid.uuid4().hex}"
    c = Cluster(tmp_path / "dask", env_for(emu, key))
    try:
        paths = memos(tmp_path / "in", 4)
        out, report = tmp_path / "out", tmp_path / "report.json"
        emu.fault(endpoint="create", status=400, count=1)  # the SDK's HttpError behind the item's error
        proc = popen("batch", *map(str, paths), "--sidecars-only", "-d", str(out), "--max-jobs", "3", "--no-cache", "-v",
                     "--cluster", str(c.file), "--report", str(report), env=env_for(emu, key))
        wait_for(out / ".subtool-batch.sqlite", proc, lambda stages: "submitted" in stages)
        with c.client() as client:
            specs = b"".join(client.run_on_scheduler(task_specs))
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        c.stop()
    assert proc.returncode == 1, stderr
    doc = json.loads(report.read_text())
    assert doc["counts"] == {"total": 4, "done": 3, "skipped": 0, "failed": 1, "interrupted": 0}
    refused = next(i for i in doc["items"] if i["status"] == "failed")
    assert "HTTP 400" in refused["error"] and refused["exit_code"] == 4
    assert any(str(p).encode() in specs for p in paths)  # the tasks' arguments were read
    places = {"tasks": specs, "stdout": stdout.encode(), "stderr": stderr.encode(), "report": report.read_bytes(),
              "logs": c.logs().encode()}
    places |= {p.name: p.read_bytes() for p in out.glob(".subtool-batch.sqlite*")}
    assert {name for name, data in places.items() if key.encode() in data} == set()
    assert emu.stats()["jobs_created"] == 3


def test_without_dask_the_extra_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subtool
    from subtool.errors import UsageError

    memo = copy_sample("memo.mp3", tmp_path)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(UsageError, match=r"pip install 'subtool\[cluster\]'") as caught:
        subtool.run_batch([str(memo)], workers=2, engine="local", state_path=tmp_path / "state.sqlite")
    assert "--workers" in caught.value.line()
    assert not (tmp_path / "state.sqlite").exists()


def test_cluster_options_refused_in_one_line(tmp_path: Path) -> None:
    memo = copy_sample("memo.mp3", tmp_path)
    env = {**DASK_ENV, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    for args, needle in [
        (("--workers", "2", "--cluster", "tcp://127.0.0.1:9"), "exclude each other"),
        (("--cluster", "tcp://127.0.0.1:9", "--local-jobs", "2"), "--nthreads"),
        (("--cluster", "tcp://127.0.0.1:9"), "could not reach the Dask scheduler at tcp://127.0.0.1:9"),
    ]:
        r = run_cli("batch", str(memo), "--engine", "local", "--sidecars-only", *args, env=env, cwd=tmp_path)
        assert r.returncode == 2, r.stderr
        assert needle in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / ".subtool-batch.sqlite").exists()  # refused before the state was made
    assert not (Path.cwd() / ".subtool-batch.sqlite").exists()
