"""`subtool run` end to end, as a user runs it: the console script in a subprocess, against the
Gladia emulator (through the real SDK) and the embedded engine, checked with ffprobe."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pysubs2
import pytest
from conftest import SAMPLES, copy_sample, ffprobe_json, run_cli

import subtool
from subtool.errors import LanguageError, UsageError
from subtool.testing.gladia import EmulatorProcess


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=0.3) as emu:
        yield emu


@pytest.fixture
def gladia_env(emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"GLADIA_API_KEY": "test-key-for-run", "GLADIA_API_URL": emulator.url}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def _subs(path: str | Path) -> list[dict]:
    return [s for s in ffprobe_json(path)["streams"] if s["codec_type"] == "subtitle"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_mp4_into_mkv_with_three_languages(tmp_path: Path, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    before = _sha(video)
    res = run_cli("run", str(video), "-t", "fr,es", "--format", "srt,vtt", "--mux", "mkv-multi", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    out = Path(doc["output"])
    assert out == tmp_path / "talk.subtitled.mkv" and out.exists()
    assert doc["engine"] == "gladia" and doc["language"] == "en" and doc["languages"] == ["en", "fr", "es"]
    assert doc["job_ids"] and {"audio", "transcribe", "mux"} <= set(doc["timings"])
    subs = _subs(out)
    assert [s["tags"]["language"] for s in subs] == ["eng", "fre", "spa"]
    assert [s["tags"].get("title") for s in subs] == ["English", "Français", "Español"]
    # The English track is not shown by default over English speech: the first other one is.
    assert [s["disposition"]["default"] for s in subs] == [0, 1, 0]
    # The result reports the flags the file carries (it said default=False for every track).
    flags = {t["language"]: t["default"] for t in doc["tracks"]}
    assert flags == {"en": False, "fr": True, "es": False}
    for lang in ("en", "fr", "es"):
        for fmt in ("srt", "vtt"):
            assert (tmp_path / f"talk.{lang}.{fmt}").exists()
    spoken = " ".join(e.plaintext for e in pysubs2.load(str(tmp_path / "talk.en.srt"))).lower()
    assert "subtitle tool" in spoken.replace("\n", " ")
    assert _sha(video) == before
    assert "test-key-for-run" not in res.stdout + res.stderr


def test_mkv_into_mp4_mov_text(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    video = copy_sample("bonjour.mkv", tmp_path)
    out = tmp_path / "out" / "bonjour.mp4"
    res = run_cli("run", str(video), "-l", "fr", "-t", "en", "--mux", "mp4-mov-text", "-o", str(out))
    assert res.returncode == 0, res.stderr
    subs = _subs(out)
    assert [s["codec_name"] for s in subs] == ["mov_text", "mov_text"]
    assert [s["tags"]["language"] for s in subs] == ["fra", "eng"]
    assert str(out) in res.stdout.splitlines()


def test_audio_only_sidecars_and_no_video_refused_before_upload(tmp_path: Path, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    audio = copy_sample("memo.mp3", tmp_path)
    uploads = emulator.stats()["uploads"]
    res = run_cli("run", str(audio), "--mux", "mkv-multi")
    assert res.returncode == 2 and "no video stream" in res.stderr and "--sidecars-only" in res.stderr
    assert emulator.stats()["uploads"] == uploads
    res = run_cli("run", str(audio), "--sidecars-only", "-d", str(tmp_path / "subs"))
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "subs").iterdir()) == ["memo.en.srt", "memo.transcript.json"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-t", "xx"], "unknown translation target code 'xx'"),
        (["--mux", "no-such-preset"], "no mux preset called 'no-such-preset'"),
        (["--mux", "mkv-multi", "--burn", "clean"], "choose one of"),
        (["--profile", "nope"], "no profile preset called 'nope'"),
        (["-t", "fr", "--default", "de"], "--default de is not a translation target"),
        (["-l", "en", "-t", "fr", "--default", "de"], "--default de is neither a spoken language (-l en) nor a translation target"),
        (["--burn", "clean", "--burn-language", "de"], "--burn-language de is not a translation target"),
        (["--burn", "clean", "-t", "fr,es"], "--burn needs to know which language to burn"),
    ],
)
def test_typos_cost_nothing(args: list[str], needle: str, tmp_path: Path, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    before = emulator.stats()
    res = run_cli("run", str(video), *args)
    assert res.returncode == 2, res.stderr
    assert needle in res.stderr and "Traceback" not in res.stderr
    after = emulator.stats()
    assert (after["uploads"], after["jobs_created"]) == (before["uploads"], before["jobs_created"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.mp4"]


def test_a_container_that_cannot_take_the_streams_is_refused_before_upload(tmp_path: Path, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    clip = tmp_path / "clip.webm"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:d=2:r=10", "-i", str(SAMPLES / "memo.mp3"),
                    "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "50k", "-c:a", "libopus", "-b:a", "24k",
                    "-shortest", str(clip)], check=True)
    before = emulator.stats()
    res = run_cli("run", str(clip), "--mux", "mkv-multi", "-o", str(tmp_path / "out.mov"))
    assert res.returncode == 2 and "MOV cannot carry this input's video vp9" in res.stderr
    res = run_cli("run", str(clip), "-o", str(tmp_path / "out.avi"))
    assert res.returncode == 2 and "cannot tell the container from the extension '.avi'" in res.stderr
    assert emulator.stats()["uploads"] == before["uploads"] and sorted(p.name for p in tmp_path.iterdir()) == ["clip.webm"]


def test_existing_output_refused_before_any_work(tmp_path: Path, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    (tmp_path / "talk.subtitled.mkv").write_bytes(b"keep me")
    before = emulator.stats()["uploads"]
    res = run_cli("run", str(video), "--mux", "mkv-multi")
    assert res.returncode == 2 and "already exists" in res.stderr and "--force" in res.stderr
    assert emulator.stats()["uploads"] == before
    assert (tmp_path / "talk.subtitled.mkv").read_bytes() == b"keep me"


def test_bad_media_is_exit_3(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video")
    res = run_cli("run", str(bad))
    assert res.returncode == 3
    assert res.stderr.strip().splitlines()[-1].startswith(f"subtool: {bad}: not a media file")


def test_local_engine_mp4_burn(tmp_path: Path) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    out = tmp_path / "talk.burned.mp4"
    res = run_cli("run", str(video), "--engine", "local", "-l", "en", "--burn", "clean", "-o", str(out), "--json")
    assert res.returncode == 0, res.stderr
    assert "engine: local" not in res.stdout  # notes go to stderr, stdout is the document
    doc = json.loads(res.stdout)["results"][0]
    assert doc["engine"] == "local" and doc["output"] == str(out)
    streams = ffprobe_json(out)["streams"]
    assert [s["codec_type"] for s in streams] == ["video", "audio"]
    assert streams[0]["codec_name"] == "h264" and streams[1]["codec_name"] == "aac"
    original = ffprobe_json(video)["format"]
    assert abs(float(ffprobe_json(out)["format"]["duration"]) - float(original["duration"])) < 0.5


def test_burn_against_the_service_spoken_language_by_default(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    video = copy_sample("bonjour.mkv", tmp_path)
    res = run_cli("run", str(video), "-t", "en", "--burn", "boxed", "--burn-language", "en", "-o", str(tmp_path / "en.mp4"), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    assert doc["language"] == "fr" and doc["languages"] == ["fr", "en"] and "burn" in doc["timings"]
    streams = ffprobe_json(tmp_path / "en.mp4")["streams"]
    assert [(s["codec_type"], s["codec_name"]) for s in streams] == [("video", "h264"), ("audio", "opus")]  # audio copied
    # no -t and no --burn-language: the spoken (detected) language is burned
    res = run_cli("run", str(video), "--burn", "clean", "-d", str(tmp_path / "fr"), "--json")
    assert res.returncode == 0, res.stderr
    out = Path(json.loads(res.stdout)["results"][0]["output"])
    assert out == tmp_path / "fr" / "bonjour.burned.mp4" and [s["codec_type"] for s in ffprobe_json(out)["streams"]] == ["video", "audio"]


def test_local_engine_mkv_mux_and_audio_sidecars(tmp_path: Path) -> None:
    video = tmp_path / "clip.mkv"  # a real Matroska file: the sample's streams copied
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(SAMPLES / "talk.mp4"), "-c", "copy", str(video)], check=True)
    assert ffprobe_json(video)["format"]["format_name"].startswith("matroska")
    res = run_cli("run", str(video), "--engine", "local", "-l", "en", "--mux", "mkv-multi")
    assert res.returncode == 0, res.stderr
    assert [s["tags"]["language"] for s in _subs(tmp_path / "clip.subtitled.mkv")] == ["eng"]
    audio = copy_sample("memo.mp3", tmp_path)
    res = run_cli("run", str(audio), "--engine", "local", "-l", "en", "--sidecars-only")
    assert res.returncode == 0, res.stderr
    text = " ".join(e.plaintext for e in pysubs2.load(str(tmp_path / "memo.en.srt"))).lower()
    assert "voice memo" in text.replace("\n", " ")


# -- URLs, served on loopback --------------------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    copy_sample("talk.mp4", root)
    (root / "watch.html").write_text(
        "<html><head><title>Editors: a talk / part 1?</title></head><body><video src=\"talk.mp4\"></video></body></html>"
    )
    copy_sample("talk.mp4", root, "copy.mp4")
    (root / "two.html").write_text('<html><head><title>Two talks</title></head><body><video src="talk.mp4"></video><video src="copy.mp4"></video></body></html>')
    (root / "text.html").write_text("<html><head><title>Nothing here</title></head><body><p>No video.</p></body></html>")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_direct_media_url_into_mkv(tmp_path: Path, site: str, gladia_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    res = run_cli("run", f"{site}/talk.mp4", "-t", "fr", "--mux", "mkv-multi", "-d", str(out))
    assert res.returncode == 0, res.stderr
    made = sorted(p.name for p in out.iterdir())
    assert "talk.subtitled.mkv" in made and "talk.en.srt" in made and "talk.fr.srt" in made
    assert not [n for n in made if n.endswith(".mp4")]  # the download was only a means
    assert [s["tags"]["language"] for s in _subs(out / "talk.subtitled.mkv")] == ["eng", "fre"]


def test_html_page_url_named_from_title(tmp_path: Path, site: str, gladia_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    res = run_cli("run", f"{site}/watch.html", "--mux", "mkv-multi", "-d", str(out))
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in out.iterdir())
    video = [n for n in names if n.endswith(".subtitled.mkv")]
    assert len(video) == 1 and video[0].startswith("Editors_ a talk _ part 1")
    assert not any(c in video[0] for c in ':/?')


def test_sidecars_only_url_is_fetched_by_the_service(tmp_path: Path, site: str, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    before = emulator.stats()["uploads"]
    res = run_cli("run", f"{site}/talk.mp4", "--sidecars-only", "-d", str(tmp_path / "subs"), "--json")
    assert res.returncode == 0, res.stderr
    assert emulator.stats()["uploads"] == before  # nothing downloaded or uploaded by us
    assert (tmp_path / "subs" / "talk.en.srt").exists()
    # a page with a <video>: the service is handed the media file's URL, not the page
    res = run_cli("run", f"{site}/watch.html", "--sidecars-only", "-d", str(tmp_path / "page"), "--json")
    assert res.returncode == 0, res.stderr
    assert emulator.stats()["uploads"] == before
    assert len(list((tmp_path / "page").glob("Editors_ a talk _ part 1*.en.srt"))) == 1


def test_playlist_sidecars_handed_to_the_service(tmp_path: Path, site: str, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    before = emulator.stats()
    res = run_cli("run", f"{site}/two.html", "--sidecars-only", "-d", str(tmp_path / "subs"))
    assert res.returncode == 2 and "--playlist" in res.stderr
    res = run_cli("run", f"{site}/two.html", "--playlist", "--sidecars-only", "-o", str(tmp_path / "x.mkv"))
    assert res.returncode == 2 and "-o names one output, but the playlist has 2 videos" in res.stderr
    res = run_cli("run", f"{site}/two.html", "--playlist", "--sidecars-only", "-d", str(tmp_path / "subs"), "--json")
    assert res.returncode == 0, res.stderr
    after = emulator.stats()
    assert after["uploads"] == before["uploads"] and after["jobs_created"] == before["jobs_created"] + 2  # URLs handed over
    assert len(list((tmp_path / "subs").glob("*.en.srt"))) == 2


def test_url_longer_than_the_service_takes_is_downloaded_and_chunked(
    tmp_path: Path, site: str, gladia_env: dict[str, str], emulator: EmulatorProcess
) -> None:
    before = emulator.stats()
    knobs = {"SUBTOOL_GLADIA_MAX_DURATION": "10", "SUBTOOL_GLADIA_CHUNK_TARGET": "6"}  # the 16 s sample is "too long"
    res = run_cli("run", f"{site}/talk.mp4", "--sidecars-only", "-d", str(tmp_path / "subs"), "--json", env=knobs)
    assert res.returncode == 0, res.stderr
    after = emulator.stats()
    assert after["uploads"] - before["uploads"] == after["jobs_created"] - before["jobs_created"] >= 2  # audio chunks sent
    assert len(json.loads(res.stdout)["results"][0]["job_ids"]) >= 2
    cues = pysubs2.load(str(tmp_path / "subs" / "talk.en.srt"))  # chunks are not the sample: placeholder words
    assert cues[0].start >= 900 and cues[-1].end > 12_000  # the later chunk's words shifted by its offset


def test_cookies_mean_the_audio_is_fetched_here(tmp_path: Path, site: str, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc\n")
    before = emulator.stats()["uploads"]
    res = run_cli("run", f"{site}/talk.mp4", "--sidecars-only", "--cookies", str(cookies), "-d", str(tmp_path / "subs"))
    assert res.returncode == 0, res.stderr
    assert emulator.stats()["uploads"] == before + 1  # the service cannot use our cookies
    bad = tmp_path / "cookies.json"
    bad.write_text('{"session": "abc"}')
    res = run_cli("run", f"{site}/talk.mp4", "--sidecars-only", "--cookies", str(bad), "-d", str(tmp_path / "subs2"))
    assert res.returncode == 3 and str(bad) in res.stderr and "Traceback" not in res.stderr


def test_other_url_schemes_are_refused_as_such(tmp_path: Path) -> None:
    res = run_cli("run", "ftp://example.com/talk.mp4", "-d", str(tmp_path / "out"))
    assert res.returncode == 3 and "ftp:// links are not supported" in res.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", ["closed-port", "text.html"])
def test_bad_urls_exit_3_and_leave_nothing(path: str, tmp_path: Path, site: str, gladia_env: dict[str, str]) -> None:
    url = "http://127.0.0.1:9/talk.mp4" if path == "closed-port" else f"{site}/{path}"
    out = tmp_path / "out"
    out.mkdir()
    res = run_cli("run", url, "--mux", "mkv-multi", "-d", str(out))
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr and url in res.stderr
    assert list(out.iterdir()) == []


# -- the library -----------------------------------------------------------------------------------


def test_library_run(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    results = subtool.run(video, translate=["de"], mux="mkv-multi", outdir=tmp_path / "lib")
    assert len(results) == 1
    r = results[0]
    assert r.output == str(tmp_path / "lib" / "talk.subtitled.mkv")
    assert [t.language for t in r.tracks] == ["en", "de"]
    assert [s["tags"]["language"] for s in _subs(r.output)] == ["eng", "ger"]
    with pytest.raises(LanguageError):
        subtool.run(video, translate=["zz"], outdir=tmp_path / "lib2")
    with pytest.raises(UsageError):
        subtool.run(video, mux="mkv-multi", outdir=tmp_path / "lib")  # outputs exist
    info = subtool.probe(SAMPLES / "talk.mp4")
    assert info.ok
    # the command's other options, as keyword arguments
    [side] = subtool.run(
        video, sidecars_only=True, keep_raw=True, vocabulary=["subtitle"], translate=["fr"], translation_model="enhanced",
        audio_stream=0, diarize=True, speakers=1, outdir=tmp_path / "lib3", cache=False,
    )
    assert side.output is None and (tmp_path / "lib3" / "talk.raw.json").exists() and side.languages == ["en", "fr"]
    with pytest.raises(UsageError, match="--speakers needs --diarize"):
        subtool.run(video, speakers=2, outdir=tmp_path / "lib4")
    with pytest.raises(UsageError, match="--audio-stream 3 does not exist"):
        subtool.run(video, audio_stream=3, outdir=tmp_path / "lib4")
