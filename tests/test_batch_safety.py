"""``subtool batch`` against what the real world does to it: two batches on one state, manifests
whose rows write the same file or write outside their folder, state files that are damaged,
foreign or hold a row that cannot be read. The console script runs as a subprocess, against the
Gladia emulator where a job could be paid."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_sample, run_cli
from test_batch import check_sidecars, env_for, memo_copies, popen, stages, wait_for

from subtool.testing.gladia import EmulatorProcess

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def emu() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=0.2) as e:
        yield e


# -- item 4: one batch per state --------------------------------------------------------------------


def test_a_second_batch_on_the_same_state_is_refused_at_once_and_a_killed_one_releases_it(tmp_path: Path) -> None:
    paths = memo_copies(tmp_path / "in", 6)
    out = tmp_path / "out"
    state = out / ".subtool-batch.sqlite"
    args = ("batch", *map(str, paths), "--sidecars-only", "-t", "fr", "-d", str(out), "--max-jobs", "2", "--no-cache", "--resume")
    with EmulatorProcess(latency=1.5, max_concurrent=3) as emu:
        first, second = popen(*args, env=env_for(emu)), popen(*args, env=env_for(emu))
        deadline = time.monotonic() + 60
        while first.poll() is None and second.poll() is None:
            assert time.monotonic() < deadline, "neither batch was refused"
            time.sleep(0.05)
        loser, winner = (first, second) if first.poll() is not None else (second, first)
        _, stderr = loser.communicate(timeout=10)
        assert loser.returncode == 2, stderr
        assert f"{state}: is in use by another subtool batch (pid {winner.pid})" in stderr
        assert "Traceback" not in stderr and "internal error" not in stderr
        wait_for(state, winner, lambda s: s.get("submitted", 0) >= 1 and s.get("done", 0) >= 1)
        assert emu.stats()["max_concurrent_jobs"] <= 2  # one batch's --max-jobs, not two batches'
        winner.kill()  # SIGKILL: the lock goes with the process
        winner.communicate(timeout=10)
        assert (out / ".subtool-batch.sqlite.lock").read_text().strip() == str(winner.pid)  # left behind, but no longer held
        r = run_cli(*args, "--json", env=env_for(emu))
        assert r.returncode == 0, r.stderr
        stats = emu.stats()
    assert stats["jobs_created"] == 6  # each item paid once, by one batch
    doc = json.loads(r.stdout)
    assert doc["counts"]["failed"] == 0 and doc["counts"]["done"] + doc["counts"]["skipped"] == 6
    check_sidecars(out, [p.stem for p in paths], ["en", "fr"])
    assert not (out / ".subtool-batch.sqlite.lock").exists()  # removed by the run that ended well
    assert stages(state) == {"done": 6}


# -- item 5: two rows, one file ---------------------------------------------------------------------


def test_rows_that_would_write_the_same_file_are_refused_before_any_job(tmp_path: Path, emu: EmulatorProcess) -> None:
    folder = tmp_path / "job"
    (folder / "out").mkdir(parents=True)
    (folder / "link").symlink_to(folder / "out")
    for name in ("a", "b", "c", "d", "e"):
        copy_sample("memo.mp3", folder, f"{name}.mp3")
    copy_sample("talk.mp4", folder, "v1.mp4")
    copy_sample("talk.mp4", folder, "v2.mp4")
    manifest = folder / "lot.csv"
    manifest.write_text(
        "input,delivery,output,outdir\n"
        "v1.mp4,mkv-multi,out/final.mkv,\n"  # 2
        "v2.mp4,mkv-multi,out/../out/final.mkv,\n"  # 3: the same file through ..
        "a.mp3,sidecars,,out\n"  # 4
        "sub/../a.mp3,sidecars,,link\n"  # 5: the same outputs through a symlink (and another spelling of the input)
        "b.mp3,sidecars,,out\n"  # 6
        "B.mp3,sidecars,,out\n"  # 7: another name on a case-sensitive disk: not a clash
    )
    (folder / "B.mp3").write_bytes((folder / "b.mp3").read_bytes())
    for force in ([], ["--force"]):
        r = run_cli("batch", str(manifest), "--no-cache", "--json", *force, "--restart", env=env_for(emu))
        assert r.returncode == 1, r.stderr
        items = json.loads(r.stdout)["items"]
        assert [i["status"] for i in items] == ["done", "failed", "done", "failed", "done", "done"]
        assert items[1]["exit_code"] == 2
        assert f"{manifest}:3: would write {folder / 'out' / 'final.mkv'}, which {manifest}:2 also writes" in items[1]["error"]
        assert f"{manifest}:5: would write {folder / 'out' / 'a.'}" in items[3]["error"] and f"which {manifest}:4 also writes" in items[3]["error"]
    assert emu.stats()["jobs_created"] == 8  # four items, twice: the refused rows never paid
    assert {"B.en.srt", "b.en.srt"} <= {p.name for p in (folder / "out").iterdir()}


def test_case_probe_on_this_disk(tmp_path: Path) -> None:
    from subtool.batch.claims import _case_insensitive

    assert _case_insensitive(tmp_path) is False  # Linux filesystems here are case-sensitive
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


# -- item 6: a manifest writes inside its folder ------------------------------------------------------


def test_a_manifest_writes_only_inside_its_folder_unless_allowed(tmp_path: Path, emu: EmulatorProcess) -> None:
    folder = tmp_path / "shared" / "project"
    folder.mkdir(parents=True)
    copy_sample("talk.mp4", folder)
    copy_sample("memo.mp3", folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    far = copy_sample("memo.mp3", elsewhere, "far.mp3")
    manifest = folder / "lot.csv"
    manifest.write_text(
        "input,delivery,output,outdir\n"
        "talk.mp4,mkv-multi,../../x.mkv,\n"  # 2: two folders up
        f"memo.mp3,sidecars,,{tmp_path / 'abs'}\n"  # 3: an absolute folder outside
        f"{far},sidecars,,subs\n"  # 4: reads outside (a note), writes inside
    )
    r = run_cli("batch", str(manifest), "--no-cache", "--json", env=env_for(emu))
    assert r.returncode == 1, r.stderr
    items = json.loads(r.stdout)["items"]
    assert [i["status"] for i in items] == ["failed", "failed", "done"]
    assert items[0]["exit_code"] == 2
    assert items[0]["error"].startswith(f"{manifest}:2: would write into {tmp_path}, outside the manifest's folder")
    assert "--allow-outside" in items[0]["error"]
    assert items[1]["error"].startswith(f"{manifest}:3: would write into {tmp_path / 'abs'}, outside")
    assert f"{manifest}:4: reads {far}, outside the manifest's folder {folder}" in r.stderr
    assert emu.stats()["jobs_created"] == 1
    assert not (tmp_path / "x.mkv").exists() and not (tmp_path / "abs").exists()
    # The -d folder is the user's own choice: outputs there are fine.
    r = run_cli(
        "batch", str(manifest), "--no-cache", "--json", "--force", "-d", str(tmp_path / "abs"), "--state", str(tmp_path / "s2.sqlite"), env=env_for(emu)
    )
    assert [i["status"] for i in json.loads(r.stdout)["items"]] == ["failed", "done", "done"], r.stderr
    r = run_cli("batch", str(manifest), "--no-cache", "--json", "--force", "--allow-outside", "--resume", env=env_for(emu))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "x.mkv").exists() and (tmp_path / "abs" / "memo.en.srt").exists()


# -- item 8: state files that cannot be used ----------------------------------------------------------


def _one_line_refusal(r: object, *needles: str) -> None:
    assert r.returncode == 2, r.stderr  # type: ignore[attr-defined]
    stderr = r.stderr  # type: ignore[attr-defined]
    assert stderr.count("\n") == 1 and "Traceback" not in stderr and "internal error" not in stderr, stderr
    for needle in needles:
        assert needle in stderr


def test_random_bytes_as_state(tmp_path: Path) -> None:
    copy_sample("memo.mp3", tmp_path)
    state = tmp_path / "state.sqlite"
    junk = random.Random(7).randbytes(20000)
    state.write_bytes(junk)
    args = ("batch", str(tmp_path / "memo.mp3"), "--engine", "local", "--sidecars-only", "--state", str(state))
    _one_line_refusal(run_cli(*args, "--resume"), f"{state}: is not a usable subtool batch state: damaged, or not a SQLite file", "--state NEW_FILE", "--restart")
    assert state.read_bytes() == junk
    r = run_cli(*args, "--restart", "--json")
    assert r.returncode == 0, r.stderr
    assert f"set aside as {state}.damaged" in r.stderr
    assert (tmp_path / "state.sqlite.damaged").read_bytes() == junk  # kept, not deleted
    assert stages(state) == {"done": 1}


def test_a_database_of_another_application_is_never_touched(tmp_path: Path) -> None:
    state = tmp_path / "accounts.sqlite"
    with sqlite3.connect(state) as db:
        db.execute("CREATE TABLE items (sku TEXT, price REAL)")
        db.execute("INSERT INTO items VALUES ('a', 1.5)")
    before = state.read_bytes()
    args = ("batch", str(tmp_path / "none.mp3"), "--engine", "local", "--sidecars-only", "--state", str(state))
    for extra in ("--resume", "--restart"):
        _one_line_refusal(run_cli(*args, extra), f"{state}: is not a subtool batch state", "items table has other columns", "--state NEW_FILE")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("PRAGMA application_id = 1234")
        db.execute("CREATE TABLE notes (t TEXT)")
    _one_line_refusal(run_cli("batch", str(tmp_path / "none.mp3"), "--engine", "local", "--state", str(other)), "another application (id 0x4d2)")
    assert state.read_bytes() == before


def test_a_state_with_a_damaged_page(tmp_path: Path) -> None:
    manifest = tmp_path / "lot.csv"
    manifest.write_text("input\n" + "".join(f"missing-input-number-{i}.mp4\n" for i in range(40)))
    r = run_cli("batch", str(manifest), "--engine", "local")
    assert r.returncode == 1
    state = tmp_path / ".subtool-batch.sqlite"
    data = bytearray(state.read_bytes())
    assert len(data) >= 3 * 4096  # several pages
    noise = random.Random(3)
    for i in range(len(data) // 3, 2 * len(data) // 3):
        data[i] = noise.randrange(256)
    state.write_bytes(bytes(data))
    r = run_cli("batch", str(manifest), "--engine", "local", "--resume")
    _one_line_refusal(r, f"{state}: is not a usable subtool batch state: damaged", "--restart")
    assert "SQLite's check: Page" in r.stderr or "database disk image is malformed" in r.stderr  # where the noise fell decides which


def test_a_row_that_cannot_be_read_is_polled_again_by_its_job_id(tmp_path: Path, emu: EmulatorProcess) -> None:
    paths = memo_copies(tmp_path / "in", 3)
    out = tmp_path / "out"
    args = ("batch", *map(str, paths), "--sidecars-only", "-t", "de", "-d", str(out), "--no-cache", "--json")
    assert run_cli(*args, env=env_for(emu)).returncode == 0
    state = out / ".subtool-batch.sqlite"
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT key, job_id FROM items ORDER BY position").fetchall()
        db.execute("UPDATE items SET stage = 'transcribed', transcript = '{\"utterances\": [' WHERE key = ?", (rows[0][0],))
        db.execute("UPDATE items SET transcript = 'not json' WHERE key = ?", (rows[1][0],))  # a done row
        db.execute("UPDATE items SET outputs = '[\"cut' WHERE key = ?", (rows[2][0],))
    for srt in out.glob("memo00.*"):
        srt.unlink()
    before = emu.stats()
    r = run_cli(*args, "--resume", env=env_for(emu))
    assert r.returncode == 0, r.stderr
    after = emu.stats()
    assert after["jobs_created"] == before["jobs_created"] == 3  # nothing created again
    assert after["requests"]["get"] > before["requests"]["get"]  # the known jobs were polled
    items = json.loads(r.stdout)["items"]
    assert [i["status"] for i in items] == ["done", "done", "done"]
    assert [i["job_id"] for i in items] == [job for _, job in rows]
    assert f"its job {rows[0][1]} is polled again" in r.stderr and "its outputs are written again" in r.stderr
    check_sidecars(out, [p.stem for p in paths], ["en", "de"])
    r = run_cli(*args, "--resume", env=env_for(emu))
    assert r.returncode == 0 and json.loads(r.stdout)["counts"]["skipped"] == 3
    assert os.path.getsize(state) > 0
