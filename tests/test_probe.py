"""`subtool probe` on real files with real ffprobe: the samples, and bad inputs made here."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLES, run_cli

from subtool.errors import MediaError
from subtool.media.probe import probe, require


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@pytest.mark.parametrize(
    ("name", "fmt", "types", "audio_codec"),
    [
        ("talk.mp4", "mp4", ["video", "audio"], "aac"),
        ("bonjour.mkv", "matroska", ["video", "audio"], "opus"),
        ("memo.mp3", "mp3", ["audio"], "mp3"),
    ],
)
def test_samples_probe_ok(name: str, fmt: str, types: list[str], audio_codec: str) -> None:
    info = probe(SAMPLES / name)
    assert info.ok, info.problems
    assert fmt in info.format_names
    assert [s.type for s in info.streams] == types
    assert info.audio_streams[0].codec == audio_codec
    assert info.audio_streams[0].channels == 1
    assert info.duration is not None and 5 < info.duration < 30
    assert info.size == (SAMPLES / name).stat().st_size
    if "video" in types:
        v = info.video_streams[0]
        assert (v.width, v.height, v.fps) == (320, 180, 10.0)


def test_json_output_is_one_document(tmp_path: Path) -> None:
    res = run_cli("probe", "--json", str(SAMPLES / "talk.mp4"), str(SAMPLES / "memo.mp3"))
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [Path(d["path"]).name for d in doc] == ["talk.mp4", "memo.mp3"]
    assert doc[0]["problems"] == [] and doc[0]["ok"] is True
    assert doc[0]["streams"][1]["language"] == "eng"


def test_table_view_is_human_readable() -> None:
    res = run_cli("probe", str(SAMPLES / "talk.mp4"))
    assert res.returncode == 0
    assert "0:00:16" in res.stdout and "MB" in res.stdout and "verdict  ok" in res.stdout


def _make_bad(kind: str, d: Path) -> Path:
    if kind == "missing":
        return d / "nope.mp4"
    if kind == "empty":
        p = d / "empty.mp4"
        p.write_bytes(b"")
        return p
    if kind == "random":
        p = d / "random.mp4"
        p.write_bytes(bytes(range(256)) * 64)
        return p
    if kind == "lyrics":  # ffprobe reads it (as LRC, a subtitle stream): still not media
        p = d / "song.mp4"
        p.write_text("[00:01.00]Hello there\n[00:03.00]Second line\n")
        return p
    if kind == "text":
        p = d / "notes.mkv"
        p.write_text("this is a shopping list, not a video\n" * 20)
        return p
    if kind == "truncated":
        # The sample keeps its index first (faststart), so the header still reads: only decoding
        # its end shows the damage.
        src = (SAMPLES / "talk.mp4").read_bytes()
        p = d / "cut.mp4"
        p.write_bytes(src[: len(src) // 2])
        return p
    if kind == "truncated_moov_last":
        p = d / "cut2.mp4"
        full = d / "full.mp4"
        _ffmpeg("-i", str(SAMPLES / "talk.mp4"), "-c", "copy", str(full))
        data = full.read_bytes()
        p.write_bytes(data[: len(data) // 2])
        return p
    if kind == "truncated_mkv":
        src = (SAMPLES / "bonjour.mkv").read_bytes()
        p = d / "cut.mkv"
        p.write_bytes(src[: len(src) // 2])
        return p
    if kind == "no_audio":
        p = d / "silent-film.mp4"
        _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(p))
        return p
    if kind == "too_long":
        # 136 minutes of FLAC silence: about 1.5 MB, made in a couple of seconds.
        p = d / "long.flac"
        _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", str(136 * 60), "-c:a", "flac", str(p))
        return p
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("missing", "missing"),
        ("empty", "empty"),
        ("random", "not_media"),
        ("text", "not_media"),
        ("lyrics", "not_media"),
        ("truncated", "corrupt"),
        ("truncated_moov_last", "corrupt"),
        ("truncated_mkv", "corrupt"),
        ("no_audio", "no_audio"),
        ("too_long", "too_long"),
    ],
)
def test_bad_inputs_give_code_exit_3_and_one_line(kind: str, code: str, tmp_path: Path) -> None:
    path = _make_bad(kind, tmp_path)
    before = path.read_bytes() if path.exists() else None
    res = run_cli("probe", "--json", str(path))
    assert res.returncode == 3, res.stderr
    doc = json.loads(res.stdout)
    codes = [p["code"] for p in doc[0]["problems"] if p["fatal"]]
    assert codes[0] == code
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in res.stderr
    assert f"[{code}]" in lines[0]
    if before is not None:
        assert path.read_bytes() == before  # inputs are never modified
    with pytest.raises(MediaError) as exc:
        require(probe(path))
    assert exc.value.code == code and exc.value.exit_code == 3


def test_youtube_platform_has_the_lower_limit(tmp_path: Path) -> None:
    p = tmp_path / "two-hours.flac"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", str(125 * 60), "-c:a", "flac", str(p))
    assert probe(p).ok
    yt = probe(p, platform="youtube")
    assert [x.code for x in yt.problems if x.fatal] == ["too_long"]
    assert run_cli("probe", "--platform", "youtube", str(p)).returncode == 3
    assert run_cli("probe", str(p)).returncode == 0


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_audio_shorter_than_the_picture_is_not_corrupt(ext: str, tmp_path: Path) -> None:
    p = tmp_path / f"short-audio.{ext}"
    codec = "aac" if ext == "mp4" else "libopus"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5:duration=8", "-f", "lavfi", "-i", "sine=d=3",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", codec, str(p))
    info = probe(p)
    assert info.ok, info.problems
    assert info.audio_streams[0].duration is not None and info.audio_streams[0].duration < 4


def test_notes_are_not_problems(tmp_path: Path) -> None:
    p = tmp_path / "clip.webm"
    _ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=1", "-c:a", "libopus", str(p))
    info = probe(p)
    assert info.ok
    assert [x.code for x in info.problems] == ["format_converted"]


def test_an_odd_audio_codec_is_a_note(tmp_path: Path) -> None:
    p = tmp_path / "apple.m4a"
    _ffmpeg("-f", "lavfi", "-i", "sine=d=1", "-c:a", "alac", str(p))
    info = probe(p)
    assert info.ok and [x.code for x in info.problems] == ["codec_converted"] and "alac" in info.problems[0].message


def test_mixed_inputs_exit_3_but_report_all(tmp_path: Path) -> None:
    bad = _make_bad("empty", tmp_path)
    res = run_cli("probe", str(SAMPLES / "memo.mp3"), str(bad))
    assert res.returncode == 3
    assert "memo.mp3" in res.stdout and "verdict  ok" in res.stdout
    assert res.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "name",
    ["with space.mp4", "quote's \"double\".mp4", "colon: here.mp4", "[brackets] (1).mp4", "comma, semi;.mp4", "Ünïcödé 日本語.mp4", "-dash.mp4"],
)
def test_awkward_file_names(name: str, tmp_path: Path) -> None:
    p = tmp_path / name
    shutil.copyfile(SAMPLES / "talk.mp4", p)
    res = run_cli("probe", "--json", str(p))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)[0]["path"] == str(p)
    # a relative name starting with a dash is not taken for an option
    res = run_cli("probe", "--", name, cwd=tmp_path)
    assert res.returncode == 0, res.stderr


def test_help_is_fast_path_without_heavy_imports() -> None:
    code = "import sys, subtool.cli, subtool.cli.probe, subtool.media.probe; print(sorted(m for m in ('yt_dlp','gladiaio_sdk','faster_whisper','httpx') if m in sys.modules))"
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
