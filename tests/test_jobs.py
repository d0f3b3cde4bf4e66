"""``subtool jobs list|get|delete`` against the emulator, and ``run --resume-job``: an interrupted
run's job taken up again, no new job created; a job that is not the input's is refused."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SUBTOOL, copy_sample, default_signals, run_cli

from subtool.testing.gladia import EmulatorProcess


@pytest.fixture
def service() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=2.0) as emu:
        yield emu


def _env(emu: EmulatorProcess) -> dict[str, str]:
    return {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emu.url}


def _interrupted_job(video: Path, emu: EmulatorProcess, *args: str) -> str:
    """Start a run, stop it with Ctrl-C once its job is created (said with -v); the job id."""
    proc = subprocess.Popen([SUBTOOL, "-v", "run", str(video), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **_env(emu)}, start_new_session=True, preexec_fn=default_signals)
    assert proc.stderr is not None
    seen = []
    job = None
    for line in proc.stderr:
        seen.append(line)
        match = re.search(r"job (\S+) created", line)
        if match:
            job = match.group(1)
            break
    assert job is not None, "".join(seen)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130 and job in rest and "--resume-job ID" in rest, rest
    return job


def test_resume_job_takes_the_job_up_without_a_new_one(tmp_path: Path, service: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    job = _interrupted_job(video, service, "-t", "fr", "--sidecars-only")
    assert service.stats()["jobs_created"] == 1 and not list(tmp_path.glob("talk.*.srt"))
    res = run_cli("run", str(video), "-t", "fr", "--sidecars-only", "--resume-job", job, "--json", env=_env(service))
    assert res.returncode == 0, res.stderr
    [result] = json.loads(res.stdout)["results"]
    assert result["job_ids"] == [job] and result["languages"] == ["en", "fr"]
    assert (tmp_path / "talk.fr.srt").exists() and (tmp_path / "talk.en.srt").exists()
    assert service.stats()["jobs_created"] == 1  # no new job was paid for
    # That job is not another input's, nor one made without the translation asked for now.
    memo = copy_sample("memo.mp3", tmp_path)
    res = run_cli("run", str(memo), "--sidecars-only", "--resume-job", job, env=_env(service))
    assert res.returncode == 2 and f"job {job} was given" in res.stderr and "another input's job" in res.stderr
    res = run_cli("run", str(video), "-t", "fr,de", "--sidecars-only", "--force", "--resume-job", job, env=_env(service))
    assert res.returncode == 2 and "without the translation into de" in res.stderr
    assert service.stats()["jobs_created"] == 1


def test_jobs_list_get_delete(tmp_path: Path, service: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    res = run_cli("run", str(video), "-t", "es", "--sidecars-only", "--json", env=_env(service))
    assert res.returncode == 0, res.stderr
    [job] = json.loads(res.stdout)["results"][0]["job_ids"]
    listed = run_cli("jobs", "list", env=_env(service))
    assert listed.returncode == 0 and job in listed.stdout and "done" in listed.stdout
    doc = json.loads(run_cli("jobs", "list", "--json", env=_env(service)).stdout)
    assert [j["id"] for j in doc] == [job] and doc[0]["translate"] == ["es"] and doc[0]["token"]
    got = run_cli("jobs", "get", job, env=_env(service))
    assert got.returncode == 0 and f"id          {job}" in got.stdout and "status      done" in got.stdout
    raw = json.loads(run_cli("jobs", "get", job, "--json", env=_env(service)).stdout)
    assert raw["id"] == job and raw["result"]["transcription"]["utterances"]
    assert run_cli("jobs", "delete", job, env=_env(service)).returncode == 0
    gone = run_cli("jobs", "get", job, env=_env(service))
    assert gone.returncode == 4 and f"the service has no job {job}" in gone.stderr and "Traceback" not in gone.stderr
    assert run_cli("jobs", "list", "--json", env=_env(service)).stdout.strip() == "[]"
    res = run_cli("jobs", "list")
    assert res.returncode == 4 and "no Gladia API key" in res.stderr
