"""The yt-dlp post-processor (``--use-postprocessor Subtool:...``): yt-dlp's own console script
in a subprocess, against a web server on loopback serving a page that embeds a video and lists a
WebVTT subtitle track, with the Gladia emulator behind subtool. yt-dlp finds the plugin as an
installed subtool provides it (the ``yt_dlp_plugins`` namespace package on its path)."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pysubs2
import pytest
from conftest import ROOT, SAMPLES, ffprobe_json, run_cli

from subtool.testing.gladia import EmulatorProcess

YT_DLP = str(Path(sys.executable).parent / "yt-dlp")
VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nBonjour à tous, sous-titres de la page.\n\n00:00:02.500 --> 00:00:04.000\nDeuxième réplique.\n"
PAGE = ('<!doctype html><html><head><title>A talk</title></head><body><video controls><source src="talk.mp4" type="video/mp4">'
        '<track kind="subtitles" src="talk.fr.vtt" srclang="fr" label="Français"></video></body></html>')


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as emu:
        yield emu


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "talk.mp4").write_bytes((SAMPLES / "talk.mp4").read_bytes())
    (root / "talk.fr.vtt").write_text(VTT, encoding="utf-8")
    (root / "page.html").write_text(PAGE, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _yt_dlp(*args: str, emulator: EmulatorProcess, cwd: Path) -> subprocess.CompletedProcess[str]:
    # subtool's folder on the path, as an install puts it there (the editable install's .pth, or site-packages).
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "GLADIA_API_KEY": "test-key-plugin", "GLADIA_API_URL": emulator.url, "PYTHONPATH": path}
    env.pop("YTDLP_NO_PLUGINS", None)
    return subprocess.run([YT_DLP, "--no-config", "--no-cache-dir", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_plugin_is_found_by_yt_dlp(tmp_path: Path, emulator: EmulatorProcess) -> None:
    res = _yt_dlp("-v", "--simulate", "--use-postprocessor", "Subtool", "http://127.0.0.1:9/none", emulator=emulator, cwd=tmp_path)
    assert "Post-Processor Plugins: SubtoolPP" in res.stderr


def test_page_video_into_mkv_with_the_page_subtitles_reused(site: str, tmp_path: Path, emulator: EmulatorProcess) -> None:
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    jobs = emulator.stats()["jobs_created"]
    res = _yt_dlp("--write-subs", "--sub-langs", "all", "--use-postprocessor", "Subtool:translate=fr,es;deliver=mkv-multi",
                  "-P", f"home:{out}", "-P", f"temp:{scratch}", "-o", "video.%(ext)s",
                  "--print", "after_move:filepath", "--exec", "echo EXEC {}", f"{site}/page.html", emulator=emulator, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    final = out / "video.mkv"
    assert res.stdout.splitlines()[0] == str(final)  # --print after_move:filepath sees the subtitled file
    assert f"EXEC {final}" in res.stdout  # and so does --exec
    assert final.exists() and not (out / "video.mp4").exists()  # the download replaced (yt-dlp deleted it, no -k)
    subs = [s for s in ffprobe_json(final)["streams"] if s["codec_type"] == "subtitle"]
    assert sorted(s["tags"]["language"] for s in subs) == ["eng", "fre", "spa"]
    # French came from the page: the emulator made one job, translating into Spanish only.
    assert emulator.stats()["jobs_created"] == jobs + 1
    [transcript] = [json.loads((out / "video.transcript.json").read_text(encoding="utf-8"))]
    [job_id] = transcript["job_ids"]
    job = run_cli("jobs", "get", job_id, "--json", env={"GLADIA_API_KEY": "test-key-plugin", "GLADIA_API_URL": emulator.url})
    assert json.loads(job.stdout)["request_params"]["translation_config"]["target_languages"] == ["es"]
    # Sidecars named as yt-dlp names subtitles, moved with the video; the French one holds the page's cues.
    assert {p.name for p in out.iterdir()} >= {"video.en.srt", "video.fr.srt", "video.es.srt", "video.fr.vtt"}
    page_cues = [e.plaintext for e in pysubs2.SSAFile.from_string(VTT)]
    assert [e.plaintext for e in pysubs2.load(str(out / "video.fr.srt"))] == page_cues
    fre = next(s for s in subs if s["tags"]["language"] == "fre")
    read = tmp_path / "fre.srt"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(final), "-map", f"0:{fre['index']}", str(read)], check=True)
    assert [e.plaintext for e in pysubs2.load(str(read))] == page_cues
    assert not scratch.exists() or not any(scratch.iterdir())  # nothing left in yt-dlp's temporary folder


def test_no_reuse_pays_for_the_page_language_too(site: str, tmp_path: Path, emulator: EmulatorProcess) -> None:
    res = _yt_dlp("--write-subs", "--sub-langs", "all", "--use-postprocessor", "Subtool:translate=fr;reuse=no;deliver=sidecars",
                  "-o", "video.%(ext)s", f"{site}/page.html", emulator=emulator, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    transcript = json.loads((tmp_path / "video.transcript.json").read_text(encoding="utf-8"))
    assert "fr" in transcript["translations"]
    assert (tmp_path / "video.mp4").exists()  # sidecars only: the download stays as it is


def test_bad_argument_fails_before_the_download_in_yt_dlps_format(site: str, tmp_path: Path, emulator: EmulatorProcess) -> None:
    res = _yt_dlp("--use-postprocessor", "Subtool:translate=fr;colour=red", "-o", "video.%(ext)s", f"{site}/page.html",
                  emulator=emulator, cwd=tmp_path)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines()[-1].startswith("ERROR: Postprocessing: Subtool: unknown argument 'colour'")
    assert "Traceback" not in res.stderr and not list(tmp_path.glob("*.mp4"))  # nothing downloaded
    res = _yt_dlp("--use-postprocessor", "Subtool:reuse=maybe", "-o", "video.%(ext)s", f"{site}/page.html", emulator=emulator, cwd=tmp_path)
    assert res.returncode == 1 and "ERROR: Postprocessing: Subtool: reuse=maybe: takes yes or no" in res.stderr
    res = _yt_dlp("--use-postprocessor", "Subtool:cues=servce", "-o", "video.%(ext)s", f"{site}/page.html", emulator=emulator, cwd=tmp_path)
    assert res.returncode == 1 and "ERROR: Postprocessing: Subtool: cues=servce: takes subtool or service" in res.stderr
    assert not list(tmp_path.glob("*.mp4"))


def test_errors_are_postprocessing_errors_and_ignore_errors_goes_on(site: str, tmp_path: Path, emulator: EmulatorProcess) -> None:
    # An unknown mux preset is found by subtool's plan, after the download: yt-dlp's own error line and exit code.
    res = _yt_dlp("--use-postprocessor", "Subtool:deliver=no-such-preset", "-o", "video.%(ext)s", f"{site}/page.html",
                  emulator=emulator, cwd=tmp_path)
    assert res.returncode == 1
    [line] = [x for x in res.stderr.splitlines() if x.startswith("ERROR:")]
    assert line.startswith("ERROR: Postprocessing: Subtool: ") and "no-such-preset" in line and "Traceback" not in res.stderr
    # With --ignore-errors yt-dlp goes on to the next URL (the media file itself): it is downloaded and subtitled.
    other = tmp_path / "other"
    other.mkdir()
    res = _yt_dlp("--ignore-errors", "--use-postprocessor", "Subtool:when=before_dl", "-o", "%(id)s.%(ext)s", f"{site}/page.html",
                  f"{site}/talk.mp4", emulator=emulator, cwd=other)
    assert res.returncode == 1
    errors = [x for x in res.stderr.splitlines() if x.startswith("ERROR:")]
    assert len(errors) == 2 and all("runs on the downloaded video" in e and "when=after_move" in e for e in errors)
    assert len(list(other.glob("*.mp4"))) == 2  # both downloaded: --ignore-errors went on


def test_after_move_runs_too_and_exec_sees_the_subtitled_file(site: str, tmp_path: Path, emulator: EmulatorProcess) -> None:
    res = _yt_dlp("--use-postprocessor", "Subtool:when=after_move;languages=en;deliver=mp4-mov-text", "-o", "talk.%(ext)s",
                  "--exec", "echo EXEC {}", f"{site}/talk.mp4", emulator=emulator, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    final = tmp_path / "talk.mp4"  # the same container: the file yt-dlp wrote is replaced in place
    assert f"EXEC {final}" in res.stdout
    subs = [s for s in ffprobe_json(final)["streams"] if s["codec_type"] == "subtitle"]
    assert [(s["codec_name"], s["tags"]["language"]) for s in subs] == [("mov_text", "eng")]
    assert not [p for p in tmp_path.iterdir() if "subtitled" in p.name or "subtool-part" in p.name]


def test_run_on_a_url_reuses_the_platforms_subtitles(site: str, tmp_path: Path, emulator: EmulatorProcess) -> None:
    env = {"GLADIA_API_KEY": "test-key-plugin", "GLADIA_API_URL": emulator.url}
    res = run_cli("run", f"{site}/page.html", "-t", "fr,es", "--sidecars-only", "-d", str(tmp_path / "subs"), "--json", env=env)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    [job_id] = doc["job_ids"]
    job = run_cli("jobs", "get", job_id, "--json", env=env)
    assert json.loads(job.stdout)["request_params"]["translation_config"]["target_languages"] == ["es"]
    fr = next(t for t in doc["tracks"] if t["language"] == "fr")
    assert fr["origin"] == "platform" and "downloaded by yt-dlp" in fr["reused_from"]
    assert [e.plaintext for e in pysubs2.load(fr["path"])] == [e.plaintext for e in pysubs2.SSAFile.from_string(VTT)]
    # Every language the page has, and only sidecars: neither the media nor a job.
    before = emulator.stats()
    res = run_cli("run", f"{site}/page.html", "-l", "fr", "--sidecars-only", "-d", str(tmp_path / "fr"), "--json", env=env)
    assert res.returncode == 0, res.stderr
    after = emulator.stats()
    assert (after["jobs_created"], after["uploads"], after["requests"]) == (before["jobs_created"], before["uploads"], before["requests"])
    assert sorted(p.name for p in (tmp_path / "fr").iterdir()) == ["A talk.fr.srt"]
    # --no-reuse pays for it.
    res = run_cli("run", f"{site}/page.html", "-l", "en", "-t", "fr", "--no-reuse", "--sidecars-only", "-d", str(tmp_path / "paid"), "--json", env=env)
    assert res.returncode == 0 and {t["origin"] for t in json.loads(res.stdout)["results"][0]["tracks"]} == {"engine"}


def test_machine_captions_are_reused_only_with_reuse_auto(tmp_path: Path, emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    """The post-processor on an info dict as yt-dlp hands it over after --write-subs --write-auto-subs."""
    from yt_dlp_plugins.postprocessor.subtool_pp import SubtoolPP

    monkeypatch.setenv("GLADIA_API_KEY", "test-key-plugin")
    monkeypatch.setenv("GLADIA_API_URL", emulator.url)
    video = tmp_path / "clip.mp4"
    video.write_bytes((SAMPLES / "talk.mp4").read_bytes())
    captions = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nmachine words\n"
    (tmp_path / "clip.en.vtt").write_text(captions, encoding="utf-8")
    (tmp_path / "clip.fr.vtt").write_text(VTT, encoding="utf-8")

    def info() -> dict:
        vtt = [{"ext": "vtt", "url": "http://127.0.0.1:9/x.vtt"}]
        return {"filepath": str(video), "ext": "mp4", "subtitles": {"fr": vtt}, "automatic_captions": {"en": vtt, "fr": vtt},
                "requested_subtitles": {"en": {"ext": "vtt", "filepath": str(tmp_path / "clip.en.vtt")},
                                        "fr": {"ext": "vtt", "filepath": str(tmp_path / "clip.fr.vtt")}}}

    jobs = emulator.stats()["jobs_created"]
    deleted, done = SubtoolPP(None, languages="en", translate="fr", deliver="sidecars", cache="no").run(info())
    assert deleted == [] and done["filepath"] == str(video)
    assert emulator.stats()["jobs_created"] == jobs + 1  # English is the platform's machine captions: transcribed
    assert [e.plaintext for e in pysubs2.load(str(tmp_path / "clip.en.srt"))] != ["machine words"]
    assert [e.plaintext for e in pysubs2.load(str(tmp_path / "clip.fr.srt"))] == [e.plaintext for e in pysubs2.SSAFile.from_string(VTT)]
    assert str(tmp_path / "clip.en.srt") in done["__files_to_move"]  # moved with the video by yt-dlp
    for made in ("clip.en.srt", "clip.fr.srt", "clip.transcript.json"):  # a fresh download (else clip.en.srt, a sidecar, comes first)
        (tmp_path / made).unlink()
    SubtoolPP(None, languages="en", translate="fr", deliver="sidecars", reuse_auto="yes").run(info())
    assert emulator.stats()["jobs_created"] == jobs + 1  # with reuse_auto both are taken: no job
    assert [e.plaintext for e in pysubs2.load(str(tmp_path / "clip.en.srt"))] == ["machine words"]
