"""Burn style overrides on the command line and colours as people write them: #RRGGBB and CSS
names converted to ASS (alpha, blue, green, red), checked like presets, and seen in the picture."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_sample, run_cli

from subtool.errors import UsageError
from subtool.models import BurnStyle
from subtool.presets import load_burn
from subtool.styles import ass_colour, override

SRT = "1\n00:00:00,000 --> 00:00:04,000\nHHHH HHHH\n"


@pytest.mark.parametrize(("text", "ass"), [
    ("#FFD700", "&H0000D7FF"), ("gold", "&H0000D7FF"), ("Gold", "&H0000D7FF"), ("#ff0000", "&H000000FF"),
    ("#abc", "&H00CCBBAA"), ("navy", "&H00800000"), ("&H80000000", "&H80000000"),
])
def test_colours_become_ass(text: str, ass: str) -> None:
    assert ass_colour(text) == ass


@pytest.mark.parametrize("text", ["redd", "#12345", "#GGGGGG", "", "&H123"])
def test_not_colours(text: str) -> None:
    assert ass_colour(text) is None


def test_override_checks_each_option() -> None:
    style = BurnStyle("x")
    changed = override(style, font_size=54, position="top", color="red", outline_color="#0000FF", box=True)
    assert (changed.font_size, changed.alignment, changed.primary_colour, changed.outline_colour, changed.border_style) == (
        0.05, 8, "&H000000FF", "&H00FF0000", 4)
    assert override(style, font_size=0.08).font_size == 0.08 and override(style) is style
    with pytest.raises(UsageError, match="--color 'redd' is not a colour") as caught:
        override(style, color="redd")
    assert "Did you mean 'red'?" in caught.value.line()
    with pytest.raises(UsageError, match="--font-size 2000 is out of range"):
        override(style, font_size=2000)
    with pytest.raises(UsageError, match="--position"):
        override(style, position="left")


def test_a_preset_may_write_colours_as_hex_or_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBTOOL_PRESETS_DIR", str(tmp_path))
    (tmp_path / "brand.toml").write_text('kind = "burn"\nprimary_colour = "#FFD700"\noutline_colour = "navy"\n', encoding="utf-8")
    style = load_burn("brand")
    assert style.primary_colour == "&H0000D7FF" and style.outline_colour == "&H00800000"
    (tmp_path / "bad.toml").write_text('kind = "burn"\nprimary_colour = "goldish"\n', encoding="utf-8")
    res = run_cli("presets", "show", "bad", env={"SUBTOOL_PRESETS_DIR": str(tmp_path)})
    assert res.returncode == 2 and "bad.toml" in res.stderr and "primary_colour" in res.stderr and "#RRGGBB" in res.stderr


def _frame(video: Path, at: float = 1.0) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(at), "-i", str(video), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(180, 320, 3)


def test_burn_with_overrides_draws_red_text_at_the_top(tmp_path: Path) -> None:
    video = tmp_path / "black.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=320x180:d=3", "-f", "lavfi", "-i",
                    "sine=d=3", "-shortest", "-c:v", "libx264", "-c:a", "aac", str(video)], check=True)
    (tmp_path / "black.en.srt").write_text(SRT, encoding="utf-8")
    res = run_cli("burn", str(video), str(tmp_path / "black.en.srt"), "-o", str(tmp_path / "out.mp4"), "--color", "red",
                  "--outline-color", "#FF0000", "--position", "top", "--font-size", "0.12")
    assert res.returncode == 0, res.stderr
    frame = _frame(tmp_path / "out.mp4").astype(int)
    red = (frame[..., 0] > 150) & (frame[..., 1] < 90) & (frame[..., 2] < 90)
    rows = np.nonzero(red.any(axis=1))[0]
    assert rows.size and rows.max() < 90, "red text, in the top half only"
    # Refused like a preset, naming the option; nothing written.
    res = run_cli("burn", str(video), str(tmp_path / "black.en.srt"), "-o", str(tmp_path / "o2.mp4"), "--color", "redd")
    assert res.returncode == 2 and "--color 'redd' is not a colour" in res.stderr and "Did you mean 'red'?" in res.stderr
    assert not (tmp_path / "o2.mp4").exists()


def test_run_style_options_need_a_burn(tmp_path: Path) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    res = run_cli("run", str(video), "--engine", "local", "--position", "top")
    assert res.returncode == 2 and "--position changes how subtitles are burned" in res.stderr and "--burn STYLE" in res.stderr
    res = run_cli("run", str(video), "--engine", "local", "--burn", "clean", "--color", "#12345")
    assert res.returncode == 2 and "--color '#12345' is not a colour" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.mp4"]
