"""media.audio: silences found whatever the temporary folder is called (its name goes into a filter graph)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from subtool.media.audio import find_silences


@pytest.fixture(scope="module")
def tone_gap_tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("silence") / "gap.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=1,apad=pad_dur=1", "-f", "lavfi", "-i", "sine=d=1",
                    "-filter_complex", "[0][1]concat=n=2:v=0:a=1", str(path)], check=True)
    return path


@pytest.mark.parametrize("folder", ["plain", "o'brien", "q'u:o,t[e];x", "back\\slash", "a=b %d", " space ", "new\nline"])
def test_find_silences_in_any_temporary_folder(tone_gap_tone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str) -> None:
    """The report file's path is an ``ametadata`` option: a quote in it (a home folder such as
    /home/o'brien) made ffmpeg fail when the graph was escaped by hand."""
    temp = tmp_path / folder
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    [(start, end)] = find_silences(tone_gap_tone)
    assert start == pytest.approx(1.0, abs=0.05) and end == pytest.approx(2.0, abs=0.05)
    assert not list(temp.iterdir())  # its own temporary folder is gone
