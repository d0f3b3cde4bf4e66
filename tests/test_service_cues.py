"""`--cues service`: the service's own SRT/VTT files delivered (normalised), muxed as any track,
checked against the profile with `check`'s rules and every break reported; the transcript keeps
both, so a cached result switches without a job; refused up front where the service cannot
deliver; a file the service did not return falls back to subtool's cues, that file only.

Against the emulator in its messy mode: like the real capture, its translated SRT drops the last
word and its VTT splits a cue the SRT does not, so the formats' files differ."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pysubs2
import pytest
from conftest import copy_sample, ffprobe_json, run_cli

from subtool.subtitles import normalize_service_subtitles
from subtool.testing.gladia import EmulatorProcess

LANGS = ("en", "fr", "es")


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(messy_translations=True) as e:
        yield e


def env_for(e: EmulatorProcess) -> dict[str, str]:
    return {"GLADIA_API_KEY": "k", "GLADIA_API_URL": e.url}


def _service_files(raw_path: Path) -> dict[tuple[str, str], str]:
    """(language, format) -> the subtitle text the service returned, from the job's own JSON."""
    [entry] = json.loads(raw_path.read_text(encoding="utf-8"))
    result = entry["job"]["result"]
    out = {(result["transcription"]["languages"][0], s["format"]): s["subtitles"] for s in result["transcription"]["subtitles"]}
    for item in result["translation"]["results"]:
        out.update({(item["languages"][0], s["format"]): s["subtitles"] for s in item["subtitles"]})
    return out


def _cues(text: str, fmt: str) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.plaintext) for e in pysubs2.SSAFile.from_string(text, format_=fmt).events]


def _run(tmp_path: Path, e: EmulatorProcess, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    res = run_cli("run", str(tmp_path / "talk.mp4"), "-t", "fr,es", "--format", "srt,vtt", "--json", *args, env=env_for(e))
    assert res.returncode == 0, res.stderr
    return res, json.loads(res.stdout)["results"][0]


def test_service_files_delivered_muxed_checked_and_reported(tmp_path: Path, emu: EmulatorProcess) -> None:
    copy_sample("talk.mp4", tmp_path)
    jobs = emu.stats()["jobs_created"]
    res, doc = _run(tmp_path, emu, "--cues", "service", "--keep-raw", "--mux", "mkv-multi")
    assert emu.stats()["jobs_created"] == jobs + 1
    raw = tmp_path / "talk.raw.json"
    # The request asked the service for every format the run writes.
    [entry] = json.loads(raw.read_text(encoding="utf-8"))
    assert entry["job"]["request_params"]["subtitles_config"]["formats"] == ["srt", "vtt"]
    service = _service_files(raw)
    assert set(service) == {(lang, fmt) for lang in LANGS for fmt in ("srt", "vtt")}
    for lang in LANGS:
        for fmt in ("srt", "vtt"):
            written = (tmp_path / f"talk.{lang}.{fmt}").read_bytes().decode("utf-8")
            assert written == normalize_service_subtitles(service[lang, fmt], fmt)
            assert _cues(written, fmt) == _cues(service[lang, fmt], fmt)  # the service's cues, times and words
        srt = (tmp_path / f"talk.{lang}.srt").read_text(encoding="utf-8")
        stamps = re.findall(r"^(\d\d:\d\d:\d\d[,.]\d\d\d) --> ", srt, flags=re.MULTILINE)
        assert stamps and all("," in s for s in stamps)  # the service writes a dot
        numbers = [int(n) for n in re.findall(r"^(\d+)\n\d\d:", srt, flags=re.MULTILINE)]
        assert numbers == list(range(1, len(stamps) + 1))
    # The formats differ as the service wrote them (the VTT splits a cue the SRT keeps whole).
    assert len(_cues(service["fr", "vtt"], "vtt")) == len(_cues(service["fr", "srt"], "srt")) + 1
    # The muxed tracks are the service's SRT cues.
    out = Path(doc["output"])
    subs = [s for s in ffprobe_json(out)["streams"] if s["codec_type"] == "subtitle"]
    assert [s["tags"]["language"] for s in subs] == ["eng", "fre", "spa"]
    for n, lang in enumerate(LANGS):
        read = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-map", f"0:s:{n}", "-f", "srt", "-"],
                              capture_output=True, text=True, check=True).stdout
        muxed, returned = _cues(read, "srt"), _cues(service[lang, "srt"], "srt")
        # Remuxing this MP4 (its video has an edit list) into Matroska shifts every packet by the
        # video's 46 ms start, the same for subtool's own cues (``subtool mux``): compared shift aside.
        shift = muxed[0][0] - returned[0][0]
        assert 0 <= shift <= 100
        assert [(a - shift, b - shift, text) for a, b, text in muxed] == returned
    # Every break of the profile is reported, as `subtool check` finds it in each file.
    violations = doc["violations"]
    assert violations and all(v["cues"] == "service" for v in violations)
    for lang in LANGS:
        for fmt in ("srt", "vtt"):
            path = tmp_path / f"talk.{lang}.{fmt}"
            checked = run_cli("check", str(path), "--profile", "netflix", "--json")
            found = {(v["cue"], v["code"], v["message"]) for f in json.loads(checked.stdout) for v in f["violations"]}
            assert found and found == {(v["cue"], v["code"], v["message"]) for v in violations if v["path"] == str(path)}
            assert any(str(path) in w and "service's subtitles break the netflix profile" in w for w in doc["warnings"])
    assert "break the netflix profile" in res.stderr
    # transcript.json keeps the service's files and the words subtool builds its cues from.
    transcript = json.loads((tmp_path / "talk.transcript.json").read_text(encoding="utf-8"))
    assert set(transcript["subtitles"]) == set(LANGS) and transcript["utterances"]


def test_switching_cues_on_a_cached_result_creates_no_job(tmp_path: Path, emu: EmulatorProcess) -> None:
    copy_sample("talk.mp4", tmp_path)
    _, first = _run(tmp_path, emu, "--sidecars-only")
    own = {(lang, fmt): (tmp_path / f"talk.{lang}.{fmt}").read_text(encoding="utf-8") for lang in LANGS for fmt in ("srt", "vtt")}
    assert not first["cached"] and all(v["cues"] == "subtool" for v in first["violations"])
    jobs = emu.stats()["jobs_created"]
    _, second = _run(tmp_path, emu, "--sidecars-only", "--cues", "service", "--force")
    assert second["cached"] and emu.stats()["jobs_created"] == jobs
    transcript = json.loads((tmp_path / "talk.transcript.json").read_text(encoding="utf-8"))
    for lang in LANGS:
        for fmt in ("srt", "vtt"):
            text = (tmp_path / f"talk.{lang}.{fmt}").read_text(encoding="utf-8")
            assert text == transcript["subtitles"][lang][fmt] and text != own[lang, fmt]
    _, third = _run(tmp_path, emu, "--sidecars-only", "--cues", "subtool", "--force")  # and back
    assert third["cached"] and emu.stats()["jobs_created"] == jobs
    assert all((tmp_path / f"talk.{lang}.{fmt}").read_text(encoding="utf-8") == own[lang, fmt] for lang, fmt in own)


def test_a_file_the_service_did_not_return_falls_back_for_that_file_only(tmp_path: Path, emu: EmulatorProcess) -> None:
    copy_sample("talk.mp4", tmp_path)
    own = tmp_path / "own"
    _run(tmp_path, emu, "--sidecars-only", "-d", str(own), "--no-cache")
    emu.fault(missing_subtitles=["fr:vtt", "es"])
    try:
        _, doc = _run(tmp_path, emu, "--sidecars-only", "--cues", "service", "--keep-raw", "--no-cache")
    finally:
        emu.fault(missing_subtitles=[])
    service = _service_files(tmp_path / "talk.raw.json")
    assert ("fr", "vtt") not in service and ("fr", "srt") in service and ("es", "srt") not in service
    fallback = {("fr", "vtt"), ("es", "srt"), ("es", "vtt")}
    for lang in LANGS:
        for fmt in ("srt", "vtt"):
            text = (tmp_path / f"talk.{lang}.{fmt}").read_text(encoding="utf-8")
            if (lang, fmt) in fallback:
                assert text == (own / f"talk.{lang}.{fmt}").read_text(encoding="utf-8")
                said = f"{tmp_path / f'talk.{lang}.{fmt}'}: the service returned no {lang} {fmt.upper()} subtitles"
                assert any(w.startswith(said) for w in doc["warnings"]), doc["warnings"]
            else:
                assert text == normalize_service_subtitles(service[lang, fmt], fmt)
    assert sum("the service returned no" in w for w in doc["warnings"]) == 3
    sources = {v["path"]: v["cues"] for v in doc["violations"]}
    assert sources.get(str(tmp_path / "talk.fr.srt")) == "service" and sources.get(str(tmp_path / "talk.es.srt"), "subtool") == "subtool"


def test_strict_refuses_service_files_that_break_the_profile(tmp_path: Path, emu: EmulatorProcess) -> None:
    copy_sample("talk.mp4", tmp_path)
    res = run_cli("transcribe", str(tmp_path / "talk.mp4"), "--cues", "service", "--strict", "--profile", "netflix", env=env_for(emu))
    assert res.returncode == 1, res.stderr
    assert "break the netflix profile" in res.stderr and "nothing was written (--strict)" in res.stderr
    assert "--cues subtool" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.mp4"]


@pytest.mark.parametrize(("args", "needle"), [
    (["--engine", "local"], "--cues service delivers the subtitle files the Gladia service writes, and the local engine writes none"),
    (["--engine", "gladia", "--format", "srt,ass"], "it writes srt and vtt, not ass"),
])
def test_what_the_service_cannot_deliver_is_refused_up_front(tmp_path: Path, emu: EmulatorProcess, args: list[str], needle: str) -> None:
    copy_sample("talk.mp4", tmp_path)
    jobs = emu.stats()["jobs_created"]
    res = run_cli("transcribe", str(tmp_path / "talk.mp4"), "--cues", "service", *args, env=env_for(emu))
    assert res.returncode == 2, res.stderr
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert emu.stats()["jobs_created"] == jobs and sorted(p.name for p in tmp_path.iterdir()) == ["talk.mp4"]


def test_cues_from_the_config_file_and_a_bad_value(tmp_path: Path, emu: EmulatorProcess) -> None:
    copy_sample("talk.mp4", tmp_path)
    config = tmp_path / "config.toml"
    config.write_text('cues = "service"\n', encoding="utf-8")
    res = run_cli("transcribe", "talk.mp4", "--engine", "local", env={"SUBTOOL_CONFIG": str(config)}, cwd=tmp_path)
    assert res.returncode == 2 and "the local engine writes none" in res.stderr, res.stderr
    res = run_cli("transcribe", "talk.mp4", "--cues", "servce", env=env_for(emu), cwd=tmp_path)
    assert res.returncode == 2 and "'servce' is not one of 'subtool', 'service'" in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "talk.mp4"]


def test_a_batch_with_service_cues_and_the_local_engine_is_refused_before_its_state(tmp_path: Path) -> None:
    copy_sample("talk.mp4", tmp_path)
    res = run_cli("batch", "talk.mp4", "--cues", "service", "--engine", "local", cwd=tmp_path)
    assert res.returncode == 2 and "the local engine writes none" in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.mp4"]  # no state file either


def test_batch_items_choose_their_cues_in_the_manifest(tmp_path: Path, emu: EmulatorProcess) -> None:
    folder = tmp_path / "lot"
    folder.mkdir()
    for name in ("a", "b", "c"):
        copy_sample("talk.mp4", folder, f"{name}.mp4")
    (folder / "lot.csv").write_text(
        "input,translate,delivery,cues\na.mp4,fr,sidecars,service\nb.mp4,fr,sidecars,\nc.mp4,fr,sidecars,servce\n", encoding="utf-8")
    res = run_cli("batch", str(folder / "lot.csv"), "--format", "srt,vtt", "--keep-raw", "--json", env=env_for(emu))
    assert res.returncode == 1, res.stderr  # item c failed
    items = {Path(i["input"]).name: i for i in json.loads(res.stdout)["items"]}
    assert items["c.mp4"]["status"] == "failed" and "cues must be subtool or service, not 'servce'" in items["c.mp4"]["error"]
    assert items["a.mp4"]["status"] == items["b.mp4"]["status"] == "done"
    service = _service_files(folder / "a.raw.json")
    for lang in ("en", "fr"):
        for fmt in ("srt", "vtt"):
            assert (folder / f"a.{lang}.{fmt}").read_text(encoding="utf-8") == normalize_service_subtitles(service[lang, fmt], fmt)
    # b has subtool's own cues: the same words, its own cue times.
    b_service = _service_files(folder / "b.raw.json")
    assert (folder / "b.fr.srt").read_text(encoding="utf-8") != normalize_service_subtitles(b_service["fr", "srt"], "srt")
    assert not (folder / "c.en.srt").exists()
    # What the service's files break is said as they are written, and is in the report per item.
    assert "a.fr.vtt: " in res.stderr and "cue(s) of the service's subtitles break the netflix profile" in res.stderr
    reported = items["a.mp4"]["violations"]
    assert reported and {v["cues"] for v in reported} == {"service"} and any(v["path"].endswith("a.fr.vtt") for v in reported)
    checked = run_cli("check", str(folder / "a.fr.vtt"), "--profile", "netflix", "--json")
    assert {(v["cue"], v["code"]) for f in json.loads(checked.stdout) for v in f["violations"]} == {
        (v["cue"], v["code"]) for v in reported if v["path"].endswith("a.fr.vtt")}
    assert all(v["cues"] == "subtool" for v in items["b.mp4"]["violations"]) and items["c.mp4"]["violations"] == []
    assert not [line for line in res.stderr.splitlines() if "b.fr." in line and "service's subtitles" in line]


def test_the_service_file_is_burned_as_it_wrote_it(tmp_path: Path, emu: EmulatorProcess) -> None:
    copy_sample("talk.mp4", tmp_path)
    remade = "are made for the social-vertical style's"
    res = run_cli("run", str(tmp_path / "talk.mp4"), "-t", "fr", "--cues", "service", "--profile", "netflix", "--burn", "social-vertical", "--json", env=env_for(emu))
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    assert doc["burned"] == "fr" and Path(doc["output"]).exists() and remade not in res.stderr
    # What the service's netflix-shaped cues break in the style's vertical profile is said.
    assert any(w.startswith(f"{doc['output']} (burned fr): ") and "break the vertical profile" in w for w in doc["warnings"]), doc["warnings"]
    assert (tmp_path / "talk.fr.srt").read_text(encoding="utf-8") == json.loads(
        (tmp_path / "talk.transcript.json").read_text(encoding="utf-8"))["subtitles"]["fr"]["srt"]
    jobs = emu.stats()["jobs_created"]
    # subtool's own cues are made again for the style's profile (from the cache: no job).
    res = run_cli("run", str(tmp_path / "talk.mp4"), "-t", "fr", "--profile", "netflix", "--burn", "social-vertical", "--force", env=env_for(emu))
    assert res.returncode == 0 and remade in res.stderr, res.stderr
    assert emu.stats()["jobs_created"] == jobs
