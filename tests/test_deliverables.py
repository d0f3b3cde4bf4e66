"""What a run delivers is what it says: the burned language, the default track, a language added
twice, where side files go (beside -o's file, never into the input's folder), and the README's
library snippet, run as written. Against the Gladia emulator, checked with ffprobe and frames."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pysubs2
import pytest
from conftest import ROOT, copy_sample, ffprobe_json, run_cli

import subtool
from subtool.testing.gladia import EmulatorProcess


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=0.2) as emu:
        yield emu


@pytest.fixture
def gladia_env(emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"GLADIA_API_KEY": "test-key-deliverables", "GLADIA_API_URL": emulator.url}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def _subs(path: str | Path) -> list[dict]:
    return [s for s in ffprobe_json(path)["streams"] if s["codec_type"] == "subtitle"]


def _gray_frame(video: Path, at: float) -> np.ndarray:
    """One decoded frame as 8-bit gray pixels, as a player would show it."""
    info = next(s for s in ffprobe_json(video)["streams"] if s["codec_type"] == "video")
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at:.3f}", "-i", f"file:{video}", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(out, dtype=np.uint8).reshape(int(info["height"]), int(info["width"])).astype(np.int16)


# -- issue 12 item 1: the burned track is the one the name says ---------------------------------------


def test_run_burns_the_only_target_and_says_so(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    out = tmp_path / "out"
    res = run_cli("run", str(video), "-t", "fr", "--burn", "clean", "-d", str(out), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    assert doc["output"] == str(out / "talk.fr.burned.mp4") and doc["burned"] == "fr"

    # The frame burned by `run` is the one the burn makes from the French sidecar, not the English
    # (media.burn: `subtool burn` refuses the emulator's French, whose 3-line cues break the profile).
    from subtool.media.burn import burn
    from subtool.presets import load_burn

    fr, en = out / "talk.fr.srt", out / "talk.en.srt"
    for sub, name in ((fr, "ref.fr.mp4"), (en, "ref.en.mp4")):
        burn(video, sub, tmp_path / name, style=load_burn("clean"))
    cue = pysubs2.load(str(fr))[0]
    at = (cue.start + cue.end) / 2000
    got = _gray_frame(Path(doc["output"]), at)
    same = np.abs(got - _gray_frame(tmp_path / "ref.fr.mp4", at)).mean()
    other = np.abs(got - _gray_frame(tmp_path / "ref.en.mp4", at)).mean()
    assert same < 0.5 < other, (same, other)


def test_library_and_batch_burn_the_only_target(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    [result] = subtool.run(video, translate=["fr"], burn="clean", outdir=tmp_path / "lib")
    assert result.burned == "fr" and result.output == str(tmp_path / "lib" / "talk.fr.burned.mp4")

    manifest = tmp_path / "batch.csv"
    manifest.write_text("input,translate,delivery,burn_language,outdir\ntalk.mp4,fr,burn:clean,,batch-out\n", encoding="utf-8")
    res = run_cli("batch", str(manifest), "--json")
    assert res.returncode == 0, res.stderr
    [item] = json.loads(res.stdout)["items"]
    assert item["burned"] == "fr" and item["output"] == str(tmp_path / "batch-out" / "talk.fr.burned.mp4")


def test_several_targets_need_the_burn_language_before_paying(tmp_path: Path, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    before = emulator.stats()["jobs_created"]
    res = run_cli("run", str(video), "-l", "en", "-t", "fr,es", "--burn", "clean")
    assert res.returncode == 2 and "--burn-language" in res.stderr
    assert emulator.stats()["jobs_created"] == before


# -- issue 12 items 7 and 8: default tracks, forced titles, a language added twice ---------------


def test_mp4_default_warning_only_when_it_is_true(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10:duration=2", "-f", "lavfi",
                    "-i", "sine=duration=2", "-c:v", "libx264", "-c:a", "aac", "-metadata:s:a:0", "language=eng",
                    f"file:{video}"], check=True)
    for lang in ("en", "fr"):
        (tmp_path / f"clip.{lang}.srt").write_text("1\n00:00:00,200 --> 00:00:01,500\nHello\n", encoding="utf-8")
    # Nobody asked for "no default": no warning that there is no way to say so.
    res = run_cli("mux", str(video), str(tmp_path / "clip.fr.srt"), "-o", str(tmp_path / "a.mp4"), "--json")
    assert res.returncode == 0, res.stderr
    assert "no way to mark" not in res.stderr
    assert [t["default"] for t in json.loads(res.stdout)["tracks"]] == [True]
    res = run_cli("mux", str(video), str(tmp_path / "clip.fr.srt"), "-o", str(tmp_path / "b.mp4"), "--default", "none")
    assert res.returncode == 0 and "no way to mark no subtitle track as default" in res.stderr
    # mp4-mov-text ("first"): the English track is not shown over English speech; French is.
    res = run_cli("mux", str(video), str(tmp_path / "clip.en.srt"), str(tmp_path / "clip.fr.srt"), "--preset", "mp4-mov-text",
                  "-o", str(tmp_path / "c.mp4"))
    assert res.returncode == 0, res.stderr
    assert [s["disposition"]["default"] for s in _subs(tmp_path / "c.mp4")] == [0, 1]
    # An English track alone on English speech: MP4 will show it, and the user is told.
    res = run_cli("mux", str(video), str(tmp_path / "clip.en.srt"), "--preset", "mp4-mov-text", "-o", str(tmp_path / "d.mp4"))
    assert res.returncode == 0 and "the audio's own language" in res.stderr


def test_run_warns_of_a_language_added_twice_and_replace_drops_the_old(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    old = tmp_path / "old.en.srt"
    old.write_text("1\n00:00:00,500 --> 00:00:02,000\nAn old English track\n", encoding="utf-8")
    carrying = tmp_path / "carrying.mkv"
    assert run_cli("mux", str(video), str(old), "-o", str(carrying)).returncode == 0

    # --no-reuse: with reuse (the default) English would be taken from the input's own track, not
    # added again (tests/test_reuse.py); here English is transcribed and added over it.
    res = run_cli("run", str(carrying), "-l", "en", "-t", "fr", "--no-reuse", "-o", str(tmp_path / "twice.mkv"))
    assert res.returncode == 0, res.stderr
    assert "already has a en subtitle stream" in res.stderr and "--replace" in res.stderr
    assert [s["tags"]["language"] for s in _subs(tmp_path / "twice.mkv")] == ["eng", "eng", "fre"]

    res = run_cli("run", str(carrying), "-l", "en", "-t", "fr", "--no-reuse", "--replace", "-o", str(tmp_path / "once.mkv"), "--force")
    assert res.returncode == 0, res.stderr
    assert "already has" not in res.stderr
    assert [s["tags"]["language"] for s in _subs(tmp_path / "once.mkv")] == ["eng", "fre"]
    assert "An old English track" not in subprocess.run(
        ["ffmpeg", "-v", "error", "-i", f"file:{tmp_path / 'once.mkv'}", "-map", "0:s:0", "-f", "srt", "-"],
        capture_output=True, text=True, check=True).stdout
    res = run_cli("run", str(carrying), "-t", "fr", "--burn", "clean", "--replace")
    assert res.returncode == 2 and "--replace applies to --mux" in res.stderr

    # batch: --replace for every item, or the manifest's replace column per row
    manifest = tmp_path / "jobs.csv"
    manifest.write_text("input,languages,translate,replace,output\n"
                        "carrying.mkv,en,fr,yes,b1.mkv\ncarrying.mkv,en,fr,no,b2.mkv\ncarrying.mkv,en,fr,maybe,b3.mkv\n", encoding="utf-8")
    res = run_cli("batch", str(manifest), "--no-reuse", "--json")
    assert res.returncode == 1, res.stderr  # the third row fails alone
    items = json.loads(res.stdout)["items"]
    assert [i["status"] for i in items] == ["done", "done", "failed"] and "replace must be yes or no" in items[2]["error"]
    assert [s["tags"]["language"] for s in _subs(tmp_path / "b1.mkv")] == ["eng", "fre"]
    assert [s["tags"]["language"] for s in _subs(tmp_path / "b2.mkv")] == ["eng", "eng", "fre"]


# -- issue 12 item 11: the README's library snippet runs as written --------------------------------


def _readme_python() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no Python example"
    return blocks[0]


def test_readme_library_snippet_runs(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    copy_sample("talk.mp4", tmp_path)
    code = _readme_python()
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                         env={**os.environ, **gladia_env})
    assert res.returncode == 0, res.stderr
    # What it says it makes, it made.
    for made in ("talk.subtitled.mkv", "subs/talk.en.srt", "subs/talk.fr.vtt", "subs/talk.mkv", "subs/talk.fr.mp4"):
        assert (tmp_path / made).exists(), made
    assert [s["tags"]["language"] for s in _subs(tmp_path / "subs" / "talk.mkv")] == ["eng", "fre"]


# -- issue 13 item 10 (part): a downloaded URL's transcript names the URL ----------------------------


def test_downloaded_url_transcript_names_the_url(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    import functools
    import http.server
    import threading

    root = tmp_path / "site"
    root.mkdir()
    copy_sample("talk.mp4", root)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/talk.mp4"
        res = run_cli("run", url, "--mux", "mkv-multi", "-d", str(tmp_path / "out"))
        assert res.returncode == 0, res.stderr
    finally:
        server.shutdown()
    doc = json.loads((tmp_path / "out" / "talk.transcript.json").read_text(encoding="utf-8"))
    assert doc["source"] == url


# -- issue 23: side files follow the output -------------------------------------------------------------


def _snapshot(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir())


@pytest.fixture
def footage(tmp_path: Path) -> Iterator[Path]:
    """A read-only folder holding interview.mp4 (a read-only bind mount: the tests run as root,
    whom a mode 555 folder would not stop)."""
    src = tmp_path / "footage-src"
    src.mkdir()
    copy_sample("talk.mp4", src, "interview.mp4")
    ro = tmp_path / "footage"
    ro.mkdir()
    subprocess.run(["mount", "--bind", str(src), str(ro)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], check=True)
        with pytest.raises(OSError):
            (ro / "probe").write_text("x")
        yield ro
    finally:
        subprocess.run(["umount", str(ro)], check=True)


def test_side_files_go_beside_the_output_not_into_a_read_only_input_folder(
    tmp_path: Path, footage: Path, gladia_env: dict[str, str]
) -> None:
    before = _snapshot(footage)
    deliveries = tmp_path / "deliveries"
    out = deliveries / "interview.mkv"
    res = run_cli("run", str(footage / "interview.mp4"), "-t", "fr", "--format", "srt,vtt", "--keep-raw", "--mux", "mkv-multi",
                  "-o", str(out), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    expected = {"interview.mkv", "interview.en.srt", "interview.en.vtt", "interview.fr.srt", "interview.fr.vtt",
                "interview.transcript.json", "interview.raw.json"}
    assert {p.name for p in deliveries.iterdir()} == expected
    assert all(Path(f).parent == deliveries for f in doc["files"])
    assert _snapshot(footage) == before

    # A second run names the existing file beside the output; with --force it succeeds.
    again = run_cli("run", str(footage / "interview.mp4"), "-t", "fr", "--mux", "mkv-multi", "-o", str(out))
    assert again.returncode == 2 and str(deliveries) in again.stderr and "already exists" in again.stderr
    forced = run_cli("run", str(footage / "interview.mp4"), "-t", "fr", "--mux", "mkv-multi", "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert _snapshot(footage) == before


def test_batch_and_library_follow_the_same_rule(tmp_path: Path, footage: Path, gladia_env: dict[str, str]) -> None:
    before = _snapshot(footage)
    manifest = tmp_path / "jobs.csv"
    manifest.write_text(f"input,translate,output\n{footage / 'interview.mp4'},fr,delivered/cut1.mkv\n", encoding="utf-8")
    res = run_cli("batch", str(manifest), "--state", str(tmp_path / "state.sqlite"), "--json")
    assert res.returncode == 0, res.stderr
    made = {p.name for p in (tmp_path / "delivered").iterdir()}
    assert {"cut1.mkv", "cut1.en.srt", "cut1.fr.srt", "cut1.transcript.json"} <= made

    [result] = subtool.run(footage / "interview.mp4", translate=["fr"], output=tmp_path / "lib" / "cut2.mkv")
    assert {Path(f).parent for f in result.files} == {tmp_path / "lib"}
    assert (tmp_path / "lib" / "cut2.en.srt").exists() and (tmp_path / "lib" / "cut2.transcript.json").exists()
    assert _snapshot(footage) == before
