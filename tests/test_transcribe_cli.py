"""``subtool transcribe`` end to end: the console script as a subprocess, the real SDK, the
Gladia emulator on loopback, real ffmpeg."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from conftest import SAMPLES, SUBTOOL, copy_sample, default_signals, run_cli

from subtool.testing.gladia import EmulatorProcess

KEY = "sk-live-7d1e2b9c4a"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def emu():
    with EmulatorProcess(keys=[KEY]) as e:
        yield e


@pytest.fixture
def env(emu) -> dict[str, str]:
    emu.reset()
    emu.fault(latency=0)
    return {"GLADIA_API_KEY": KEY, "GLADIA_API_URL": emu.url}


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def srt_text(path: Path) -> str:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and "-->" not in ln and not ln.strip().isdigit()]
    return " ".join(lines)


def assert_no_key(*texts: str, folders: tuple[Path, ...] = ()) -> None:
    for text in texts:
        assert KEY not in text
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), path


def cache_root() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"])


def test_video_with_two_translations_writes_every_sidecar(emu, env, tmp_path: Path) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    r = run_cli("transcribe", str(video), "-t", "fr,es", "--format", "srt,vtt", "--keep-raw", env=env)
    assert r.returncode == 0, r.stderr
    for lang in ("en", "fr", "es"):
        for fmt in ("srt", "vtt"):
            assert (tmp_path / f"talk.{lang}.{fmt}").stat().st_size > 0
    spoken = words((SAMPLES / "talk.txt").read_text())
    assert words(srt_text(tmp_path / "talk.en.srt")) == spoken
    assert (tmp_path / "talk.en.vtt").read_text().startswith("WEBVTT")
    doc = json.loads((tmp_path / "talk.transcript.json").read_text())
    assert doc["schema"] == "subtool.transcript/1" and doc["language"] == "en" and doc["engine"] == "gladia"
    assert list(doc["translations"]) == ["fr", "es"]
    assert doc["job_ids"] and UUID.fullmatch(doc["job_ids"][0])
    assert doc["utterances"][0]["start"] >= 0.9  # speech starts at 1.0 s in the sample
    raw = json.loads((tmp_path / "talk.raw.json").read_text())
    assert raw[0]["job"]["id"] == doc["job_ids"][0]
    # --keep-raw keeps the service's own JSON (fields the SDK's types drop included)
    served = httpx.get(f"{emu.url}/v2/pre-recorded/{doc['job_ids'][0]}", headers={"x-gladia-key": KEY}).json()
    assert raw[0]["job"] == served and "error_code" in served and "custom_metadata" in served
    stats = emu.stats()
    assert stats["uploads"] == 1 and stats["jobs_created"] == 1
    assert stats["upload_bytes"] < video.stat().st_size / 4  # audio only, not the video
    assert not list(tmp_path.glob("*.subtool-part*"))
    assert_no_key(r.stdout, r.stderr, folders=(tmp_path, cache_root()))


def test_second_run_uses_the_cache_and_no_cache_calls_again(emu, env, tmp_path: Path) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    first = run_cli("--quiet", "transcribe", str(video), "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["results"][0]["cached"] is False
    before = emu.stats()
    again = run_cli("transcribe", str(video), "--force", "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["results"][0]["cached"] is True
    assert emu.stats() == before  # not one API call
    fresh = run_cli("transcribe", str(video), "--force", "--no-cache", "--json", env=env)
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout)["results"][0]["cached"] is False
    after = emu.stats()
    assert after["uploads"] == before["uploads"] + 1 and after["jobs_created"] == before["jobs_created"] + 1
    assert_no_key(first.stdout, again.stdout, fresh.stdout, folders=(cache_root(),))


@pytest.mark.parametrize(("args", "needle"), [
    (["-t", "tlh"], "does not translate into 'tlh'"),
    (["-l", "zz"], "unknown language code 'zz'"),
    (["-l", "wo"], "does not transcribe 'wo'"),
])
def test_unknown_language_is_refused_before_upload(emu, env, tmp_path: Path, args: list[str], needle: str) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    r = run_cli("transcribe", str(video), *args, env=env)
    assert r.returncode == 2
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("subtool:")]
    assert len(errors) == 1 and needle in errors[0] and "Traceback" not in r.stderr
    assert emu.stats()["uploads"] == 0 and emu.stats()["requests"]["create"] == 0


def test_existing_output_is_refused_before_upload(emu, env, tmp_path: Path) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    (tmp_path / "talk.fr.srt").write_text("mine\n")
    r = run_cli("transcribe", str(video), "-t", "fr", env=env)
    assert r.returncode == 2 and "talk.fr.srt: already exists" in r.stderr
    assert emu.stats()["uploads"] == 0
    assert (tmp_path / "talk.fr.srt").read_text() == "mine\n"


def test_bad_inputs(emu, env, tmp_path: Path) -> None:
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video\n")
    r = run_cli("transcribe", str(notes), env=env)
    assert r.returncode == 3 and "notes.mp4" in r.stderr
    r = run_cli("transcribe", str(copy_sample("talk.mp4", tmp_path)), "--audio-stream", "3", env=env)
    assert r.returncode == 2 and "--audio-stream 3 does not exist" in r.stderr
    r = run_cli("transcribe", str(tmp_path / "missing.mp4"), env=env)
    assert r.returncode == 3 and "missing.mp4" in r.stderr
    video = copy_sample("talk.mp4", tmp_path)
    r = run_cli("transcribe", str(video), "--max-speakers", "3", env=env)
    assert r.returncode == 2 and "--max-speakers needs --diarize" in r.stderr
    r = run_cli("transcribe", str(video), "--diarize", "--min-speakers", "4", "--max-speakers", "2", env=env)
    assert r.returncode == 2 and "--min-speakers 4 is more than --max-speakers 2" in r.stderr
    r = run_cli("transcribe", str(video), "--code-switching", env=env)
    assert r.returncode == 2 and "--code-switching needs the languages" in r.stderr
    assert emu.stats()["uploads"] == 0
    r = run_cli("transcribe", str(video), "--diarize", "--min-speakers", "1", "--max-speakers", "3", "--json", env=env)
    assert r.returncode == 0, r.stderr


def test_refused_and_missing_key(emu, env, tmp_path: Path) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    bad = run_cli("transcribe", str(video), env={**env, "GLADIA_API_KEY": "sk-wrong-0000"})
    assert bad.returncode == 4
    assert "the key was refused (HTTP 401)" in bad.stderr and "sk-wrong-0000" not in bad.stderr
    missing = run_cli("transcribe", str(video), "--engine", "gladia", env={"GLADIA_API_URL": env["GLADIA_API_URL"]})
    assert missing.returncode == 4 and "GLADIA_API_KEY" in missing.stderr
    assert not list(tmp_path.glob("talk.*.srt"))
    assert_no_key(bad.stdout, bad.stderr, missing.stdout, missing.stderr, folders=(tmp_path, cache_root()))


@pytest.mark.parametrize("fault", [
    {"endpoint": "create", "status": 429, "count": 4},  # a 429 storm
    {"endpoint": "upload", "status": 500, "count": 2},
    {"endpoint": "create", "status": 503, "count": 1},
    {"endpoint": "get", "drop": 2},  # dropped connections while polling
    {"endpoint": "upload", "drop": 1},
])
def test_transient_faults_are_retried(emu, env, tmp_path: Path, fault: dict) -> None:
    emu.fault(**fault)
    video = copy_sample("talk.mp4", tmp_path)
    r = run_cli("transcribe", str(video), env=env)
    assert r.returncode == 0, r.stderr
    assert "Welcome" in (tmp_path / "talk.en.srt").read_text()
    stats = emu.stats()
    endpoint = fault["endpoint"]
    assert stats["requests"][endpoint] >= fault.get("count", fault.get("drop", 0)) + 1
    assert stats["jobs_created"] == 1  # a retried create makes no second job
    assert_no_key(r.stdout, r.stderr)


def test_job_error_reports_the_service_code(emu, env, tmp_path: Path) -> None:
    emu.fault(job_error={"code": 422, "count": 1, "message": "Unprocessable audio"})
    r = run_cli("transcribe", str(copy_sample("talk.mp4", tmp_path)), env=env)
    assert r.returncode == 4
    line = r.stderr.strip().splitlines()[-1]
    assert "error code 422" in line and UUID.search(line)
    assert not list(tmp_path.glob("talk.*.*[!4]"))  # nothing written but the input
    assert_no_key(r.stdout, r.stderr, folders=(tmp_path, cache_root()))


def test_unreachable_service_gives_up_within_its_window_and_says_so(tmp_path: Path) -> None:
    """No deadline set: one request is retried within a window (not the 4-hour run deadline), and
    the retries are said on stderr even without a terminal."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    started = time.monotonic()
    r = run_cli("transcribe", str(copy_sample("talk.mp4", tmp_path)),
                env={"GLADIA_API_KEY": KEY, "GLADIA_API_URL": f"http://127.0.0.1:{port}", "SUBTOOL_GLADIA_RETRY_WINDOW": "4"})
    assert r.returncode == 4, r.stderr
    assert time.monotonic() - started < 30
    assert "note: retrying in" in r.stderr
    assert f"could not reach the service at http://127.0.0.1:{port} while uploading" in r.stderr.strip().splitlines()[-1]
    assert_no_key(r.stdout, r.stderr, folders=(tmp_path,))


def test_deadline_timeout_says_what_was_waited_for(emu, env, tmp_path: Path) -> None:
    emu.fault(latency=30)
    r = run_cli("transcribe", str(copy_sample("talk.mp4", tmp_path)), env={**env, "SUBTOOL_GLADIA_DEADLINE": "2"})
    assert r.returncode == 4
    assert re.search(r"job \S+ did not finish within the 2 s deadline \(last status: (queued|processing)\)", r.stderr), r.stderr
    assert_no_key(r.stdout, r.stderr, folders=(tmp_path, cache_root()))


def test_ctrl_c_names_the_running_job(emu, env, tmp_path: Path) -> None:
    emu.fault(latency=60)
    video = copy_sample("talk.mp4", tmp_path)
    proc = subprocess.Popen([SUBTOOL, "-v", "transcribe", str(video)], env={**os.environ, **env}, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, preexec_fn=default_signals)
    seen = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # -v: the engine says "job <id> created" once it holds the id
            seen.append(line)
            if re.search(r"job \S+ created", line):
                break
        assert emu.stats()["jobs_created"] == 1, "".join(seen)
        proc.send_signal(signal.SIGINT)
        out, rest = proc.communicate(timeout=30)
        err = "".join(seen) + rest
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    ids = set(UUID.findall(err))
    assert len(ids) == 1 and "still at the service" in err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("talk.*.srt")) and not list(tmp_path.glob("*.subtool-part*"))
    assert_no_key(out, err)


def test_long_input_is_chunked_concurrently_and_stitched(emu, env, tmp_path: Path) -> None:
    # ~38 s: talk, 4 s of silence, talk again; with the limit lowered to 20 s and 12 s chunks.
    long = tmp_path / "long.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(SAMPLES / "talk.mp4"), "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono:d=4",
         "-i", str(SAMPLES / "talk.mp4"), "-filter_complex",
         "[0:a]aresample=16000,aformat=channel_layouts=mono[a];[2:a]aresample=16000,aformat=channel_layouts=mono[b];[a][1:a][b]concat=n=3:v=0:a=1[out]",
         "-map", "[out]", "-c:a", "libopus", "-b:a", "24k", str(long)],
        check=True,
    )
    # Long enough that the chunks' jobs overlap even when extracting a chunk is slow (loaded CI).
    emu.fault(latency=4)
    knobs = {"SUBTOOL_GLADIA_MAX_DURATION": "20", "SUBTOOL_GLADIA_CHUNK_TARGET": "12"}
    r = run_cli("transcribe", str(long), "-t", "fr", "--keep-raw", "--json", env={**env, **knobs})
    assert r.returncode == 0, r.stderr
    stats = emu.stats()
    assert stats["jobs_created"] >= 3 and stats["max_concurrent_jobs"] > 1
    doc = json.loads((tmp_path / "long.transcript.json").read_text())
    raw = json.loads((tmp_path / "long.raw.json").read_text())
    assert len(doc["job_ids"]) == len(raw) == stats["jobs_created"]
    offsets = [part["offset"] for part in raw]
    assert offsets[0] == 0 and offsets == sorted(offsets) and offsets[1] > 5
    starts = {w["start"] for u in doc["utterances"] for w in u["words"]}
    spans = [part["span"] for part in raw]
    shared = [(b[0], a[1]) for a, b in pairwise(spans) if b[0] < a[1]]  # where no silence was near a cut
    for part in raw:
        for u in part["job"]["result"]["transcription"]["utterances"]:
            for w in u["words"]:
                at = round(w["start"] + part["offset"], 3)
                # every word shifted by its chunk's start (where chunks overlap, one of its two copies)
                assert at in starts or any(lo <= at <= hi for lo, hi in shared)
    words = [w for u in doc["utterances"] for w in u["words"]]
    all_starts = [w["start"] for w in words]
    assert all_starts == sorted(all_starts) and all_starts[-1] > 20
    assert all(a["end"] <= b["start"] for a, b in pairwise(words))  # none kept twice
    assert [u["start"] for u in doc["translations"]["fr"]] == [u["start"] for u in doc["utterances"]]
    assert doc["duration"] == pytest.approx(json.loads(r.stdout)["results"][0]["duration"])
