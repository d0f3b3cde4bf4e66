"""``subtool batch`` against the Gladia emulator: job slots, bad items, kills and resume, 429s,
manifests. The console script runs as a subprocess; the media are copies of the samples."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pysubs2
import pytest
from conftest import SAMPLES, SUBTOOL, copy_sample, default_signals, ffprobe_json, run_cli

from subtool.testing.gladia import EmulatorProcess

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def emu(request: pytest.FixtureRequest) -> Iterator[EmulatorProcess]:
    latency, concurrent = getattr(request, "param", (1.0, 3))
    with EmulatorProcess(latency=latency, max_concurrent=concurrent) as e:
        yield e


def env_for(e: EmulatorProcess) -> dict[str, str]:
    return {"GLADIA_API_KEY": "batch-test-key", "GLADIA_API_URL": e.url}


def memo_copies(folder: Path, n: int, prefix: str = "memo") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [copy_sample("memo.mp3", folder, f"{prefix}{i:02d}.mp3") for i in range(n)]


def stages(state: Path) -> dict[str, int]:
    """Items per stage, read by another process while the batch writes (WAL allows it)."""
    if not state.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5) as db:
            return dict(db.execute("SELECT stage, count(*) FROM items GROUP BY stage").fetchall())
    except sqlite3.Error:
        return {}


def wait_for(state: Path, proc: subprocess.Popen[str], ready: callable, timeout: float = 90) -> dict[str, int]:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = stages(state)
        if ready(seen):
            return seen
        assert proc.poll() is None, f"the batch ended early: {proc.communicate()}"
        time.sleep(0.05)
    raise AssertionError(f"state never got there: {stages(state)}")


def check_sidecars(outdir: Path, stems: list[str], langs: list[str]) -> None:
    for stem in stems:
        for lang in langs:
            subs = pysubs2.load(str(outdir / f"{stem}.{lang}.srt"))
            assert len(subs) > 0, (stem, lang)


def popen(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([SUBTOOL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env},
                            preexec_fn=default_signals)


def test_twelve_inputs_with_bad_ones_never_exceed_three_jobs(tmp_path: Path, emu: EmulatorProcess) -> None:
    good = memo_copies(tmp_path / "in", 8)
    (tmp_path / "in" / "empty.mp4").write_bytes(b"")
    (tmp_path / "in" / "notes.mp4").write_text("this is not a video\n")
    talk = (SAMPLES / "talk.mp4").read_bytes()
    (tmp_path / "in" / "cut.mp4").write_bytes(talk[: len(talk) // 2])  # reads fine in its header; found on extraction
    report = tmp_path / "report.json"
    out = tmp_path / "out"
    r = run_cli(
        "batch", str(tmp_path / "in" / "*.mp3"), str(tmp_path / "in" / "empty.mp4"), str(tmp_path / "in" / "notes.mp4"),
        str(tmp_path / "in" / "missing.mkv"), str(tmp_path / "in" / "cut.mp4"), "--sidecars-only", "-t", "fr", "--max-jobs", "3",
        "-d", str(out), "--no-cache", "--report", str(report), env=env_for(emu),
    )
    assert r.returncode == 1, r.stderr
    stats = emu.stats()
    assert stats["max_concurrent_jobs"] <= 3
    assert stats["jobs_created"] == 8 and stats["uploads"] == 8  # nothing of the truncated file was sent
    assert stats["requests"]["create"] == 8  # not one create refused with 429
    doc = json.loads(report.read_text())
    assert doc["counts"] == {"total": 12, "done": 8, "skipped": 0, "failed": 4, "interrupted": 0}
    assert doc["pacing"]["rate_limited"] == 0 and doc["pacing"]["peak_jobs"] <= 3
    by_name = {Path(i["input"]).name: i for i in doc["items"]}
    assert "empty" in by_name["empty.mp4"]["error"] and by_name["empty.mp4"]["exit_code"] == 3
    assert "not a media file" in by_name["notes.mp4"]["error"]
    assert "not found" in by_name["missing.mkv"]["error"]
    assert "truncated or corrupt" in by_name["cut.mp4"]["error"] and by_name["cut.mp4"]["exit_code"] == 3
    assert not list(out.glob("cut.*"))
    for path in good:
        item = by_name[path.name]
        assert item["status"] == "done" and item["job_id"] and item["languages"] == ["en", "fr"]
    check_sidecars(out, [p.stem for p in good], ["en", "fr"])
    # The table goes to stdout (plain when not a terminal), the failures to stderr.
    assert "memo00.mp3\tdone" in r.stdout and "8 done" in r.stdout
    assert "failed: " in r.stderr and "empty.mp4" in r.stderr


def manifest_with_mux(tmp_path: Path, n_audio: int) -> tuple[Path, list[str], list[str]]:
    """A CSV: ``n_audio`` memo copies as sidecars, two talk.mp4 copies muxed into MKV."""
    folder = tmp_path / "job"
    memos = memo_copies(folder / "audio", n_audio)
    videos = [copy_sample("talk.mp4", folder, f"talk{i}.mp4") for i in range(2)]
    lines = ["input,translate,delivery,outdir"]
    lines += [f"audio/{p.name},fr,sidecars,out" for p in memos]
    lines += [f"{v.name},fr,mkv-multi,out" for v in videos]
    manifest = folder / "batch.csv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest, [p.stem for p in memos], [v.stem for v in videos]


def check_all_outputs(out: Path, audio: list[str], videos: list[str]) -> None:
    check_sidecars(out, audio + videos, ["en", "fr"])
    for stem in videos:
        streams = ffprobe_json(out / f"{stem}.subtitled.mkv")["streams"]
        subs = [s for s in streams if s["codec_type"] == "subtitle"]
        assert sorted(s["tags"]["language"] for s in subs) == ["eng", "fre"]
        assert any(s["codec_type"] == "video" for s in streams)


@pytest.mark.parametrize("emu", [(1.5, 3)], indirect=True)
def test_sigkill_mid_batch_then_resume_pays_each_item_once(tmp_path: Path, emu: EmulatorProcess) -> None:
    manifest, audio, videos = manifest_with_mux(tmp_path, 6)
    state = manifest.parent / ".subtool-batch.sqlite"
    args = ("batch", str(manifest), "--max-jobs", "2", "--no-cache")
    proc = popen(*args, env=env_for(emu))
    seen = wait_for(state, proc, lambda s: s.get("done", 0) >= 1 and s.get("submitted", 0) >= 1)
    proc.kill()  # SIGKILL: no clean-up at all
    proc.wait(10)
    assert seen.get("done", 0) < 8
    r = run_cli(*args, "--resume", "--json", env=env_for(emu))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["counts"]["failed"] == 0 and doc["counts"]["done"] + doc["counts"]["skipped"] == 8
    assert doc["counts"]["skipped"] >= 1
    assert emu.stats()["jobs_created"] == 8  # each item transcribed exactly once
    check_all_outputs(manifest.parent / "out", audio, videos)
    leftovers = [p.name for p in (manifest.parent / "out").iterdir() if ".tmp" in p.name or p.name.startswith(".")]
    assert leftovers == []
    # A third run skips everything and asks the service for nothing.
    r = run_cli(*args, "--resume", "--json", env=env_for(emu))
    assert r.returncode == 0 and json.loads(r.stdout)["counts"]["skipped"] == 8
    assert emu.stats()["jobs_created"] == 8


@pytest.mark.parametrize("emu", [(2.0, 3)], indirect=True)
def test_ctrl_c_names_open_jobs_and_resume_polls_them(tmp_path: Path, emu: EmulatorProcess) -> None:
    paths = memo_copies(tmp_path / "in", 6)
    out = tmp_path / "out"
    args = ("batch", *map(str, paths), "--sidecars-only", "-t", "es", "-d", str(out), "--max-jobs", "3", "--no-cache")
    proc = popen(*args, env=env_for(emu))
    state = out / ".subtool-batch.sqlite"
    wait_for(state, proc, lambda s: s.get("submitted", 0) >= 2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    with sqlite3.connect(state) as db:
        open_jobs = [j for (j,) in db.execute("SELECT job_id FROM items WHERE stage = 'submitted'")]
    assert open_jobs and all(j in stderr for j in open_jobs)
    assert "Jobs still at the service" in stderr
    r = run_cli(*args, "--resume", "--json", env=env_for(emu))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert emu.stats()["jobs_created"] == 6
    by_job = {i["job_id"]: i for i in doc["items"]}
    assert all(by_job[j]["status"] == "done" for j in open_jobs)  # finished by polling the same ids
    check_sidecars(out, [p.stem for p in paths], ["en", "es"])


@pytest.mark.parametrize("emu", [(0.3, None)], indirect=True)
def test_rerun_without_resume_is_refused_and_costs_nothing(tmp_path: Path, emu: EmulatorProcess) -> None:
    paths = memo_copies(tmp_path, 2)
    args = ("batch", *map(str, paths), "--sidecars-only", "-d", str(tmp_path / "out"), "--no-cache")
    assert run_cli(*args, env=env_for(emu)).returncode == 0
    assert emu.stats()["jobs_created"] == 2
    r = run_cli(*args, env=env_for(emu))
    assert r.returncode == 2
    assert ".subtool-batch.sqlite" in r.stderr and "--resume" in r.stderr and "--restart" in r.stderr
    assert emu.stats()["jobs_created"] == 2
    # --restart starts over deliberately (and pays again).
    r = run_cli(*args, "--restart", "--force", env=env_for(emu))
    assert r.returncode == 0, r.stderr
    assert emu.stats()["jobs_created"] == 4


@pytest.mark.parametrize("emu", [(0.5, None)], indirect=True)
def test_a_429_storm_slows_the_batch_but_it_completes(tmp_path: Path, emu: EmulatorProcess) -> None:
    paths = memo_copies(tmp_path, 5)
    emu.fault(endpoint="create", status=429, count=8)
    r = run_cli("batch", *map(str, paths), "--sidecars-only", "-d", str(tmp_path / "out"), "--max-jobs", "3", "--no-cache", "--json", env=env_for(emu))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["counts"]["done"] == 5
    assert doc["pacing"]["rate_limited"] >= 1
    assert doc["pacing"]["lowest_limit"] < 3  # the batch lowered its own pace
    assert emu.stats()["jobs_created"] == 5
    check_sidecars(tmp_path / "out", [p.stem for p in paths], ["en"])


@pytest.mark.parametrize("emu", [(0.2, None)], indirect=True)
def test_csv_and_toml_manifests(tmp_path: Path, emu: EmulatorProcess) -> None:
    folder = tmp_path / "projet"
    (folder / "clips").mkdir(parents=True)
    odd = copy_sample("memo.mp3", folder / "clips", 'été, "deux".mp3')
    plain = copy_sample("memo.mp3", folder / "clips", "plain.mp3")
    csv_text = (
        "Input,Languages,Translate,Delivery,Outdir\n"
        '"clips/été, ""deux"".mp3",en,"fr, de",sidecars,sorties\n'
        "clips/plain.mp3,,es de,sidecars,sorties\n"
        "\n"
    )
    (folder / "lot.csv").write_text(csv_text, encoding="utf-8")
    r = run_cli("batch", str(folder / "lot.csv"), "--no-cache", "--json", env=env_for(emu), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    items = {Path(i["input"]).name: i for i in doc["items"]}
    assert items[odd.name]["languages"] == ["en", "fr", "de"]
    assert items[plain.name]["languages"] == ["en", "es", "de"]
    out = folder / "sorties"  # relative to the manifest, not to the current folder
    check_sidecars(out, [odd.stem], ["en", "fr", "de"])
    assert (folder / "sorties" / ".subtool-batch.sqlite").exists() is False  # the state sits beside the manifest
    assert (folder / ".subtool-batch.sqlite").exists()

    toml_text = (
        '[defaults]\ndelivery = "sidecars"\ntranslate = ["it"]\noutdir = "toml-out"\n\n'
        f'[[item]]\ninput = "clips/{odd.name.replace(chr(34), chr(92) + chr(34))}"\n\n'
        '[[item]]\ninput = "clips/plain.mp3"\ntranslate = "pt"\n'
    )
    (folder / "lot.toml").write_text(toml_text, encoding="utf-8")
    r = run_cli("batch", str(folder / "lot.toml"), "--no-cache", "--json", "--state", str(tmp_path / "toml.sqlite"), env=env_for(emu))
    assert r.returncode == 0, r.stderr
    items = {Path(i["input"]).name: i for i in json.loads(r.stdout)["items"]}
    assert items[odd.name]["languages"] == ["en", "it"] and items[plain.name]["languages"] == ["en", "pt"]
    check_sidecars(folder / "toml-out", [odd.stem], ["en", "it"])
    check_sidecars(folder / "toml-out", ["plain"], ["en", "pt"])


@pytest.mark.parametrize(
    ("name", "text", "needles"),
    [
        ("bad.csv", "input,langauges\nclips/a.mp3,en\n", ["unknown column 'langauges'", "bad.csv:1", "Did you mean 'languages'?"]),
        ("open.csv", 'input,translate\n"clips/a.mp3,fr\n', ["open.csv", "not valid CSV"]),
        ("wide.csv", "input,translate\nclips/a.mp3,fr,de\n", ["wide.csv:2", "3 cells"]),
        ("noinput.csv", "languages\nen\n", ["no 'input' column"]),
        ("bad.toml", "[[item]]\ninput = 'a.mp3'\nspeed = 2\n", ["unknown column 'speed'", "item 1"]),
        ("broken.toml", "[[item]\ninput = 'a.mp3'\n", ["not valid TOML", "line 1"]),
        ("typed.toml", "[[item]]\ninput = 'a.mp3'\noutdir = 7\n", ["item 1", "key 'outdir' must be text, not int"]),
        ("list.toml", "[[item]]\ninput = 'a.mp3'\ndelivery = ['sidecars']\n", ["key 'delivery' must be text, not list"]),
        ("table.toml", "[defaults]\ntranslate = {x = 1}\n[[item]]\ninput = 'a.mp3'\n", ["[defaults]", "text or a list of texts"]),
    ],
)
def test_malformed_manifests_are_usage_errors(tmp_path: Path, name: str, text: str, needles: list[str]) -> None:
    manifest = tmp_path / name
    manifest.write_text(text)
    r = run_cli("batch", str(manifest), "--engine", "local")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    for needle in needles:
        assert needle in r.stderr
    assert not (tmp_path / ".subtool-batch.sqlite").exists()


def test_library_run_batch_with_mappings(tmp_path: Path) -> None:
    from subtool.batch import run_batch
    from subtool.engines.base import TranscribeOptions
    from subtool.engines.gladia.engine import GladiaEngine

    memo = copy_sample("memo.mp3", tmp_path)
    with EmulatorProcess(latency=0.2) as e:
        engine = GladiaEngine(api_key="lib-key", api_url=e.url, max_jobs=2)
        events: list[dict[str, object]] = []
        report = run_batch(
            [{"input": str(memo), "translate": "fr"}, {"input": str(tmp_path / "nope.mp4")}],
            state_path=tmp_path / "state.sqlite", max_jobs=2, engine=engine, options=TranscribeOptions(use_cache=False),
            defaults={"delivery": "sidecars", "outdir": str(tmp_path / "out")}, on_event=events.append,
        )
        assert e.stats()["jobs_created"] == 1
    assert report.exit_code == 1
    assert [i.status for i in report.items] == ["done", "failed"]
    assert report.items[1].exit_code == 3 and "nope.mp4" in (report.items[1].error or "")
    assert events and events[-1]["done"] == 1 and events[-1]["failed"] == 1
    check_sidecars(tmp_path / "out", ["memo"], ["en", "fr"])
    assert SAMPLES.joinpath("memo.mp3").stat().st_size == memo.stat().st_size  # the input is untouched


@pytest.mark.parametrize("emu", [(0.2, None)], indirect=True)
def test_an_item_that_failed_after_its_transcription_is_not_paid_twice(tmp_path: Path, emu: EmulatorProcess) -> None:
    memo = copy_sample("memo.mp3", tmp_path)
    talk = copy_sample("talk.mp4", tmp_path)
    manifest = tmp_path / "lot.csv"
    # French may be spoken (detection among en, fr) and is to be burned: the speech is English, so
    # the item fails at delivery, after its transcription. An empty row names its place once.
    manifest.write_text(
        f'input,languages,delivery,burn_language\n{memo.name},,sidecars,\n{talk.name},"en,fr",burn:clean,fr\n,,sidecars,\n', encoding="utf-8"
    )
    args = ("batch", str(manifest), "--no-cache", "--json", "-d", str(tmp_path / "out"))
    r = run_cli(*args, env=env_for(emu))
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert [i["status"] for i in doc["items"]] == ["done", "failed", "failed"]
    assert "no fr subtitles were made to burn" in doc["items"][1]["error"]
    assert doc["items"][2]["error"].count("lot.csv:4") == 1
    created = emu.stats()["jobs_created"]
    assert created == 2
    r = run_cli(*args, "--resume", env=env_for(emu))
    assert r.returncode == 1
    assert emu.stats()["jobs_created"] == created  # the failed items' transcripts, jobs, are not bought again


@pytest.mark.parametrize("emu", [(0.2, None)], indirect=True)
def test_url_items_with_cookies_and_a_playlist(tmp_path: Path, emu: EmulatorProcess) -> None:
    import functools
    import http.server
    import threading

    site = tmp_path / "site"
    site.mkdir()
    copy_sample("talk.mp4", site)
    copy_sample("talk.mp4", site, "copy.mp4")
    (site / "two.html").write_text('<html><head><title>Two</title></head><body><video src="talk.mp4"></video><video src="copy.mp4"></video></body></html>')
    cookies_seen: list[str | None] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            cookies_seen.append(self.headers.get("Cookie"))
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123\n")
    try:
        r = run_cli("batch", f"{base}/talk.mp4", f"{base}/two.html", "--sidecars-only", "--cookies", str(cookies), "--no-cache",
                    "-d", str(tmp_path / "out"), "--json", env=env_for(emu))
    finally:
        server.shutdown()
    assert r.returncode == 1, r.stderr
    items = json.loads(r.stdout)["items"]
    assert [i["status"] for i in items] == ["done", "failed"]
    assert "is a playlist of 2 videos" in items[1]["error"] and "its own item" in items[1]["error"]
    assert emu.stats()["uploads"] == 1  # with cookies the audio is fetched here, not by the service
    assert "session=abc123" in cookies_seen
    check_sidecars(tmp_path / "out", ["talk"], ["en"])


@pytest.mark.parametrize("emu", [(0.2, None)], indirect=True)
def test_resume_makes_a_done_items_missing_outputs_again_from_its_transcript(tmp_path: Path, emu: EmulatorProcess) -> None:
    manifest, audio, videos = manifest_with_mux(tmp_path, 2)
    out = manifest.parent / "out"
    args = ("batch", str(manifest), "--no-cache", "--json")
    r = run_cli(*args, env=env_for(emu))
    assert r.returncode == 0, r.stderr
    created = emu.stats()["jobs_created"]
    assert created == 4
    video = out / f"{videos[0]}.subtitled.mkv"
    sidecar = out / f"{audio[1]}.fr.srt"
    video.unlink()
    sidecar.unlink()
    r = run_cli(*args, "--resume", env=env_for(emu))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert emu.stats()["jobs_created"] == created  # made again from the recorded transcripts: nothing bought again
    status = {Path(i["input"]).stem: i["status"] for i in doc["items"]}
    assert status == {audio[0]: "skipped", audio[1]: "done", videos[0]: "done", videos[1]: "skipped"}
    assert f"{video.name} is missing" in r.stderr and f"{sidecar.name} is missing" in r.stderr
    listed = [f for i in doc["items"] for f in [*i["outputs"], *([i["output"]] if i.get("output") else [])]]
    assert listed and all(Path(f).exists() for f in listed)
    check_all_outputs(out, audio, videos)
