"""Reuse before paying (--reuse): a wanted language already made is taken as it is, only the
missing ones go to the engine. The console script against the Gladia emulator; outputs read back
with ffprobe/ffmpeg."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pysubs2
import pytest
from conftest import SAMPLES, ffprobe_json, run_cli

from subtool.testing.gladia import EmulatorProcess

EN = "1\n00:00:00,500 --> 00:00:02,000\nHello there, a cue of our own.\n\n2\n00:00:02,500 --> 00:00:04,000\nThe second English cue.\n"
FR = "1\n00:00:00,500 --> 00:00:02,000\nBonjour, une réplique à nous.\n\n2\n00:00:02,500 --> 00:00:04,000\nLa deuxième réplique.\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as emu:
        yield emu


@pytest.fixture
def env(emulator: EmulatorProcess) -> dict[str, str]:
    return {"GLADIA_API_KEY": "test-key-reuse", "GLADIA_API_URL": emulator.url}


def _mkv_with_tracks(folder: Path, tracks: dict[str, str], *, forced: str | None = None) -> Path:
    """talk.mp4 with ``tracks`` (ISO 639-2 code -> SRT text) as subrip streams."""
    args = ["ffmpeg", "-v", "error", "-i", str(SAMPLES / "talk.mp4")]
    for i, text in enumerate(tracks.values()):
        (folder / f"in{i}.srt").write_text(text, encoding="utf-8")
        args += ["-i", str(folder / f"in{i}.srt")]
    args += ["-map", "0", *[x for i in range(len(tracks)) for x in ("-map", str(i + 1))], "-c", "copy", "-c:s", "srt"]
    for i, code in enumerate(tracks):
        args += [f"-metadata:s:s:{i}", f"language={code}"]
        if code == forced:
            args += [f"-disposition:s:{i}", "forced"]
    out = folder / "film.mkv"
    subprocess.run([*args, str(out)], check=True)
    for i in range(len(tracks)):
        (folder / f"in{i}.srt").unlink()
    return out


def _texts_of_stream(video: Path, index: int, folder: Path) -> list[str]:
    """The cue texts of stream ``index`` of ``video``, as ffmpeg reads them."""
    out = folder / f"read.{index}.srt"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-map", f"0:{index}", "-c:s", "srt", str(out)], check=True)
    return [e.plaintext for e in pysubs2.load(str(out))]


def _job(job_id: str, env: dict[str, str]) -> dict:
    res = run_cli("jobs", "get", job_id, "--json", env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_mkv_with_en_and_fr_tracks_pays_only_for_de(tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = _mkv_with_tracks(tmp_path, {"eng": EN, "fre": FR})
    before_en, before_fr = _texts_of_stream(video, 2, tmp_path), _texts_of_stream(video, 3, tmp_path)
    jobs = emulator.stats()["jobs_created"]
    res = run_cli("run", str(video), "-l", "en", "-t", "fr,de", "--json", env=env)
    assert res.returncode == 0, res.stderr
    assert emulator.stats()["jobs_created"] == jobs + 1  # one job
    doc = json.loads(res.stdout)["results"][0]
    [job_id] = doc["job_ids"]
    sent = _job(job_id, env)["request_params"]
    assert sent["translation_config"]["target_languages"] == ["de"]  # translation into de only
    origins = {t["language"]: (t["origin"], t["reused_from"]) for t in doc["tracks"]}
    assert origins["de"] == ("engine", None)
    assert origins["en"][0] == origins["fr"][0] == "track" and "input track #2" in origins["en"][1] and "#3" in origins["fr"][1]
    assert sorted(doc["languages"]) == ["de", "en", "fr"]
    # The output keeps the input's two tracks as they were, and adds German.
    out = Path(doc["output"])
    subs = [s for s in ffprobe_json(out)["streams"] if s["codec_type"] == "subtitle"]
    assert [s["tags"]["language"] for s in subs] == ["eng", "fre", "ger"]
    assert _texts_of_stream(out, subs[0]["index"], tmp_path) == before_en
    assert _texts_of_stream(out, subs[1]["index"], tmp_path) == before_fr
    # The sidecars of the reused languages hold the same cues (the English one is not the engine's).
    assert [e.plaintext for e in pysubs2.load(str(tmp_path / "film.en.srt"))] == before_en
    assert [e.plaintext for e in pysubs2.load(str(tmp_path / "film.fr.srt"))] == before_fr
    assert len(pysubs2.load(str(tmp_path / "film.de.srt"))) > 0
    text = run_cli("run", str(video), "-l", "en", "-t", "fr,de", "-d", str(tmp_path / "again"), env=env)
    assert text.returncode == 0, text.stderr
    assert "en reused from input track #2 of" in text.stderr and "fr reused from input track #3 of" in text.stderr


def test_nothing_missing_means_no_job(tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = _mkv_with_tracks(tmp_path, {"eng": EN})
    (tmp_path / "film.fr.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nUn fichier à côté.\n", encoding="utf-8")
    before = emulator.stats()
    res = run_cli("run", str(video), "-l", "en", "-t", "fr", "--sidecars-only", "--json", env=env)
    assert res.returncode == 0, res.stderr
    after = emulator.stats()
    assert (after["jobs_created"], after["uploads"]) == (before["jobs_created"], before["uploads"])
    doc = json.loads(res.stdout)["results"][0]
    assert doc["job_ids"] == [] and doc["audio_bytes"] == 0
    origins = {t["language"]: t["origin"] for t in doc["tracks"]}
    assert origins == {"en": "track", "fr": "sidecar"}
    # The sidecar is written in the format asked for (SRT), its cue unchanged; the WebVTT file is untouched.
    [cue] = pysubs2.load(str(tmp_path / "film.fr.srt"))
    assert (cue.start, cue.end, cue.plaintext) == (1000, 2500, "Un fichier à côté.")
    assert (tmp_path / "film.fr.vtt").read_text(encoding="utf-8").endswith("Un fichier à côté.\n")
    assert not (tmp_path / "film.transcript.json").exists()  # nothing was transcribed
    # The same run as a mux: every language is already in the video, so no new video is made.
    res = run_cli("run", str(video), "-l", "en", "-t", "fr", "-d", str(tmp_path / "mux"), "--json", env=env)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    subs = [s for s in ffprobe_json(doc["output"])["streams"] if s["codec_type"] == "subtitle"]
    assert [s["tags"]["language"] for s in subs] == ["eng", "fre"]  # the input's English track kept, the sidecar's French added
    assert emulator.stats()["jobs_created"] == before["jobs_created"]


def test_no_reuse_pays_for_every_language(tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = _mkv_with_tracks(tmp_path, {"eng": EN, "fre": FR})
    res = run_cli("run", str(video), "-l", "en", "-t", "fr,de", "--no-reuse", "--replace", "--json", env=env)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    [job_id] = doc["job_ids"]
    assert _job(job_id, env)["request_params"]["translation_config"]["target_languages"] == ["fr", "de"]
    assert {t["origin"] for t in doc["tracks"]} == {"engine"}
    assert [e.plaintext for e in pysubs2.load(str(tmp_path / "film.en.srt"))] != [e.plaintext for e in pysubs2.SSAFile.from_string(EN)]


def test_a_forced_track_is_not_a_whole_language(tmp_path: Path, env: dict[str, str]) -> None:
    video = _mkv_with_tracks(tmp_path, {"eng": EN, "fre": FR}, forced="fre")
    res = run_cli("run", str(video), "-l", "en", "-t", "fr", "--sidecars-only", "--json", env=env)
    assert res.returncode == 0, res.stderr
    origins = {t["language"]: t["origin"] for t in json.loads(res.stdout)["results"][0]["tracks"]}
    assert origins == {"en": "track", "fr": "engine"}


def test_dry_run_counts_no_job_for_what_is_reused(tmp_path: Path, env: dict[str, str]) -> None:
    video = _mkv_with_tracks(tmp_path, {"eng": EN, "fre": FR})
    res = run_cli("run", str(video), "-l", "en", "-t", "fr", "--dry-run", "--json", env=env)
    assert res.returncode == 0, res.stderr
    [summary] = json.loads(res.stdout)["inputs"]
    assert summary["jobs"] == 0 and summary["minutes_to_send"] is None and summary["translate"] == []
    assert set(summary["reused"]) == {"en", "fr"}
    assert "(reused: en, fr)" in run_cli("run", str(video), "-l", "en", "-t", "fr", "--dry-run", env=env).stdout


def test_batch_reuses_per_item_and_the_manifest_column_turns_it_off(tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess) -> None:
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        video = _mkv_with_tracks(folder, {"eng": EN})
        video.rename(tmp_path / f"{name}.mkv")
        (tmp_path / f"{name}.fr.srt").write_text(FR, encoding="utf-8")
    (tmp_path / "list.csv").write_text("input,languages,translate,delivery,reuse,outdir\n"
                                       "one.mkv,en,fr,sidecars,,out1\ntwo.mkv,en,fr,sidecars,no,out2\n", encoding="utf-8")
    before = emulator.stats()["jobs_created"]
    res = run_cli("batch", str(tmp_path / "list.csv"), "--no-cache", "--report", str(tmp_path / "report.json"), env=env)
    assert res.returncode == 0, res.stderr
    assert emulator.stats()["jobs_created"] == before + 1  # the item with reuse=no only
    items = {Path(i["input"]).name: i for i in json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["items"]}
    assert set(items["one.mkv"]["reused"]) == {"en", "fr"} and items["two.mkv"]["reused"] == {}
    assert [e.plaintext for e in pysubs2.load(str(tmp_path / "out1" / "one.fr.srt"))] == [e.plaintext for e in pysubs2.SSAFile.from_string(FR)]
    assert [e.plaintext for e in pysubs2.load(str(tmp_path / "out2" / "two.fr.srt"))] != [e.plaintext for e in pysubs2.SSAFile.from_string(FR)]
    bad = tmp_path / "bad.csv"
    bad.write_text("input,reuse\none.mkv,perhaps\n", encoding="utf-8")
    res = run_cli("batch", str(bad), "--dry-run", env=env)
    assert res.returncode != 0 and "perhaps" in res.stdout + res.stderr and "Traceback" not in res.stderr


def test_a_rerun_makes_its_own_earlier_outputs_again_rather_than_reusing_them(tmp_path: Path, env: dict[str, str],
                                                                              emulator: EmulatorProcess) -> None:
    video = tmp_path / "talk.mp4"
    video.write_bytes((SAMPLES / "talk.mp4").read_bytes())
    first = run_cli("run", str(video), "-t", "fr", "--sidecars-only", "--profile", "netflix", env=env)
    assert first.returncode == 0, first.stderr
    jobs = emulator.stats()["jobs_created"]
    # Another profile: the French file is built again under it, not the old one delivered (the
    # profile is part of what the service is asked, so this is a job of its own).
    again = run_cli("run", str(video), "-t", "fr", "--sidecars-only", "--profile", "vertical", "--force", env=env)
    assert again.returncode == 0, again.stderr
    assert "reused from" not in again.stderr, again.stderr
    assert emulator.stats()["jobs_created"] == jobs + 1
    width = max(len(line) for e in pysubs2.load(str(tmp_path / "talk.fr.srt")).events for line in e.plaintext.splitlines())
    assert width <= 25  # the vertical profile's lines, not netflix's 42
    # Without --force the earlier outputs are outputs: refused, not silently taken as someone else's work.
    res = run_cli("run", str(video), "-t", "fr", "--sidecars-only", env=env)
    assert res.returncode != 0 and "talk" in res.stderr and "--force" in res.stderr, res.stderr
    # Someone else's file (no transcript of subtool's beside it) is still reused.
    (tmp_path / "talk.transcript.json").unlink()
    res = run_cli("run", str(video), "-t", "fr", "--sidecars-only", "-d", str(tmp_path / "out"), env=env)
    assert res.returncode == 0 and "fr reused from sidecar" in res.stderr, res.stderr
