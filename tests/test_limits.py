"""Inputs far outside any subtitle are refused at once, naming what and why, instead of keeping
ffmpeg busy for minutes: a cue of megabytes (mov_text's encoder is quadratic in a cue's size),
and ASS effects no subtitle uses (a glyph taller than the picture, a blur of radius 100) that
libass would redraw on every frame. The timeouts below only guard the test run: what is asserted
is the refusal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import ffprobe_json, run_cli

ASS_HEAD = """[Script Info]
ScriptType: v4.00+
PlayResX: 1280
PlayResY: 720

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Noto Sans,48,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits") / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=320x180:d=2:r=25", "-f", "lavfi", "-i", "sine=d=2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def _ass(path: Path, *lines: str) -> Path:
    events = "".join(f"Dialogue: 0,0:00:00.{i}0,0:00:01.90,Default,,0,0,0,,{text}\n" for i, text in enumerate(lines))
    path.write_text(ASS_HEAD + events, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def huge_cue(clip: Path) -> Path:
    """A WebVTT file whose second cue holds 10 MB of text (lines of words)."""
    words = " ".join(["word"] * 12)
    text = "\n".join([words] * (10_000_000 // (len(words) + 1)))
    path = clip.with_name("huge.en.vtt")
    path.write_text(f"WEBVTT\n\n00:00:00.000 --> 00:00:00.500\nFine\n\n00:00:01.000 --> 00:00:01.500\n{text}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_a_10_mb_cue_is_refused_before_ffmpeg(ext: str, clip: Path, huge_cue: Path, tmp_path: Path) -> None:
    out = tmp_path / f"out{ext}"
    r = run_cli("mux", str(clip), str(huge_cue), "-o", str(out), timeout=120)  # was: minutes of mov_text encoding, then a failure
    assert r.returncode == 3, r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith(f"subtool: {huge_cue}: cue 2 at 0:00:01.000 holds ") and "more than 5,000 is not a subtitle" in line, line
    assert ("mov_text cannot store it" in line) == (ext == ".mp4")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_10_mb_cue_is_not_burned(clip: Path, huge_cue: Path, tmp_path: Path) -> None:
    r = run_cli("burn", str(clip), str(huge_cue), "-o", str(tmp_path / "out.mp4"), timeout=120)
    assert r.returncode == 3, r.stderr
    assert "cue 2 at 0:00:01.000" in r.stderr and "drawing it on every frame" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_long_ass_drawings_and_real_cues_are_kept(clip: Path, tmp_path: Path) -> None:
    """A vector drawing's path is not text: a logo of 20,000 characters of path is typesetting."""
    path = " ".join(f"l {i % 300} {(i * 7) % 200}" for i in range(2500))
    sub = _ass(tmp_path / "signs.en.ass", "{\\p1\\pos(10,10)}m 0 0 " + path + "{\\p0}", "A cue of " + "many words " * 100)
    r = run_cli("mux", str(clip), str(sub), "-o", str(tmp_path / "out.mkv"))
    assert r.returncode == 0, r.stderr
    assert [s["codec_name"] for s in ffprobe_json(tmp_path / "out.mkv")["streams"] if s["codec_type"] == "subtitle"] == ["ass"]


@pytest.mark.parametrize(("tags", "named"), [
    ("{\\fs3000\\blur100\\t(\\frz3600)}", "\\fs3000: glyphs 3000 px tall on a 720 px canvas"),
    ("{\\fs48\\fscy2000\\t(\\frz3600)}", "\\fscy2000: glyphs 960 px tall on a 720 px canvas"),
    ("{\\blur100}", "\\blur100: a blur that wide"),
    ("{\\fs60\\t(0,1000,\\be80)}", "\\be80: a blur that wide"),
])
def test_heavy_ass_effects_are_refused_naming_the_event_and_the_tag(tags: str, named: str, clip: Path, tmp_path: Path) -> None:
    sub = _ass(tmp_path / "fx.en.ass", "{\\fs60\\blur3\\t(\\frz20)}Real typesetting", tags + "Too much")
    r = run_cli("burn", str(clip), str(sub), "-o", str(tmp_path / "out.mp4"), timeout=120)
    assert r.returncode == 3, r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith(f"subtool: {sub}: event 2 at 0:00:00.100 asks for {named}"), line
    assert "--allow-heavy" in line
    assert not (tmp_path / "out.mp4").exists()


def test_allow_heavy_burns_it_anyway(clip: Path, tmp_path: Path) -> None:
    sub = _ass(tmp_path / "fx.en.ass", "{\\blur80}Glow on purpose")
    out = tmp_path / "out.mp4"
    r = run_cli("burn", str(clip), str(sub), "-o", str(out), "--allow-heavy", timeout=300)
    assert r.returncode == 0, r.stderr
    assert [s["codec_type"] for s in ffprobe_json(out)["streams"]] == ["video", "audio"]
