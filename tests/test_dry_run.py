"""``--dry-run`` on run and batch: every check, then the plan (jobs, minutes, pieces, cache hits,
files), with nothing uploaded, downloaded or written: the emulator counts no upload and no job,
the output folder stays as it was, and no batch state is made."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_sample, run_cli

from subtool.testing.gladia import EmulatorProcess


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=0.2) as emu:
        yield emu


@pytest.fixture
def env(emulator: EmulatorProcess) -> dict[str, str]:
    emulator.reset()
    return {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emulator.url}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def _nothing_sent(emulator: EmulatorProcess) -> None:
    stats = emulator.stats()
    assert stats["uploads"] == 0 and stats["jobs_created"] == 0, stats


def test_run_dry_run_names_jobs_minutes_and_files(tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    before = _snapshot(tmp_path)
    res = run_cli("run", str(video), "-l", "en", "-t", "fr,es", "--mux", "mkv-multi", "-d", str(out), "--dry-run", "--json", env=env)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["dry_run"] is True and doc["engine"] == "gladia" and doc["jobs"] == 1
    [item] = doc["inputs"]
    duration = float(json.loads(run_cli("probe", str(video), "--json").stdout)[0]["duration"])
    assert item["jobs"] == 1 and item["pieces"] == 1 and item["cached"] is False and item["sent"] == "audio"
    assert math.isclose(item["minutes_to_send"], duration / 60, abs_tol=0.01) and math.isclose(doc["minutes_to_send"], duration / 60, abs_tol=0.01)
    assert item["audio_bytes"] and item["audio_bytes"] < video.stat().st_size / 5  # the extracted audio, not the video
    assert item["files"] == [str(out / f"talk.{lang}.srt") for lang in ("en", "fr", "es")] + [
        str(out / "talk.transcript.json"), str(out / "talk.subtitled.mkv")]
    _nothing_sent(emulator)
    assert _snapshot(tmp_path) == before
    # The table says the same in words.
    res = run_cli("run", str(video), "-l", "en", "-t", "fr,es", "-d", str(out), "--dry-run", env=env)
    assert res.returncode == 0, res.stderr
    assert "jobs       1" in res.stdout and "cache      miss" in res.stdout and str(out / "talk.fr.srt") in res.stdout
    assert "Nothing was uploaded, downloaded or written" in res.stdout
    _nothing_sent(emulator)


def test_long_input_counts_its_pieces_and_a_cached_one_no_job(tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    # A job that takes 4 s of audio: the sample (about 16 s) is sent as pieces of about 2 s.
    long_env = {**env, "SUBTOOL_GLADIA_MAX_DURATION": "4"}
    res = run_cli("run", str(video), "--sidecars-only", "--dry-run", "--json", env=long_env)
    assert res.returncode == 0, res.stderr
    [item] = json.loads(res.stdout)["inputs"]
    assert item["pieces"] == math.ceil(item["seconds"] / 2) and item["jobs"] == item["pieces"] > 2
    assert item["files"][0] == str(tmp_path / "talk.<spoken>.srt")
    _nothing_sent(emulator)
    # Once transcribed, the cache holds it: no job, no minute.
    assert run_cli("transcribe", str(video), "-d", str(tmp_path / "first"), env=env).returncode == 0
    emulator.reset()
    res = run_cli("run", str(video), "--sidecars-only", "--dry-run", "--json", env=env)
    [item] = json.loads(res.stdout)["inputs"]
    assert item["cached"] is True and item["jobs"] == 0 and item["minutes_to_send"] is None
    _nothing_sent(emulator)


def test_dry_run_still_refuses_what_the_run_would(tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    (tmp_path / "talk.subtitled.mkv").write_bytes(b"earlier")
    res = run_cli("run", str(video), "--dry-run", env=env)
    assert res.returncode == 2 and "exists" in res.stderr and "Traceback" not in res.stderr
    _nothing_sent(emulator)


def test_batch_dry_run_plans_every_item_and_makes_no_state(tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess) -> None:
    copy_sample("talk.mp4", tmp_path, "ep1.mp4")
    copy_sample("talk.mp4", tmp_path, "ep2.mp4")
    (tmp_path / "episodes.csv").write_text(
        "input,languages,translate,delivery,outdir\nep1.mp4,en,fr,mkv-multi,out/\nep2.mp4,en,\"fr,de\",burn:boxd,out/\n", encoding="utf-8")
    before = _snapshot(tmp_path)
    res = run_cli("batch", str(tmp_path / "episodes.csv"), "--dry-run", "--json", env=env, cwd=tmp_path)
    assert res.returncode == 1, res.stderr  # one item would be refused
    doc = json.loads(res.stdout)
    first, second = doc["inputs"]
    assert first["jobs"] == 1 and first["error"] is None and first["output"] == str(tmp_path / "out" / "ep1.subtitled.mkv")
    assert "Did you mean 'boxed'?" in second["error"] and "ep2.mp4" in second["error"]
    assert doc["jobs"] == 1
    _nothing_sent(emulator)
    assert _snapshot(tmp_path) == before and not (tmp_path / ".subtool-batch.sqlite").exists()
    assert not any(name.endswith(".sqlite") for name in os.listdir(tmp_path))
