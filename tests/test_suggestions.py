"""Mistakes a new user makes get one line that names the way out: the closest preset, style,
profile, command and language, -d for a folder given to -o, VIDEO before the subtitle; never a
score or an internal term."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_sample, run_cli

from subtool import languages
from subtool.errors import LanguageError
from subtool.suggest import closest

SRT = "1\n00:00:01,000 --> 00:00:02,500\nBonjour.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy_sample("talk.mp4", tmp_path)
    (tmp_path / "talk.fr.srt").write_text(SRT, encoding="utf-8")
    return tmp_path


def _refused(res, code: int = 2) -> str:  # type: ignore[no-untyped-def]
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    line = res.stderr.strip()
    assert "score" not in line and "Traceback" not in line and "internal" not in line, line
    return line


def test_closest_preset_style_and_profile(folder: Path) -> None:
    line = _refused(run_cli("presets", "show", "boxd"))
    assert "Did you mean 'boxed'?" in line
    line = _refused(run_cli("run", "talk.mp4", "--burn", "boxd", "--engine", "local", cwd=folder))
    assert "no burn preset called 'boxd'" in line and "Did you mean 'boxed'?" in line
    line = _refused(run_cli("run", "talk.mp4", "--profile", "netflx", "--engine", "local", cwd=folder))
    assert "Did you mean 'netflix'?" in line
    line = _refused(run_cli("run", "talk.mp4", "--mux", "mkv-multy", "--engine", "local", cwd=folder))
    assert "Did you mean 'mkv-multi'?" in line
    # Nothing close: the names, and no guess.
    line = _refused(run_cli("presets", "show", "zzzzzz"))
    assert "Did you mean" not in line and "Available: " in line
    assert not list(folder.glob("talk.*.mkv")) and not list(folder.glob("*.transcript.json"))


def test_presets_name_is_show_name() -> None:
    short, full = run_cli("presets", "boxed"), run_cli("presets", "show", "boxed")
    assert short.returncode == 0 and short.stdout == full.stdout and "border_style = 4" in short.stdout
    assert "Did you mean 'boxed'?" in _refused(run_cli("presets", "boxd"))


def test_closest_command() -> None:
    line = _refused(run_cli("rn", "talk.mp4"))
    assert "no command 'rn'" in line and "Did you mean 'run'?" in line
    assert "Did you mean 'presets'?" in _refused(run_cli("preset", "list"))


def test_language_name_suggests_its_code(folder: Path) -> None:
    line = _refused(run_cli("run", "talk.mp4", "-l", "english", "--engine", "local", cwd=folder))
    assert "unknown language code 'english'" in line and "Did you mean en (English)?" in line
    line = _refused(run_cli("transcribe", "talk.mp4", "-t", "Français", "--engine", "local", cwd=folder))
    assert "Did you mean fr (French)?" in line
    assert languages.code_named("brazilian portuguese") == "pt-BR"
    with pytest.raises(LanguageError) as caught:
        languages.normalize("qqqq")
    assert "Did you mean" not in caught.value.line()


def test_output_folder_points_to_outdir(folder: Path) -> None:
    line = _refused(run_cli("run", "talk.mp4", "--engine", "local", "-o", "out/", cwd=folder))
    assert "-o out/ is a folder" in line and "Use -d out/" in line
    (folder / "deliveries").mkdir()
    line = _refused(run_cli("run", "talk.mp4", "--engine", "local", "-o", "deliveries", cwd=folder))
    assert "Use -d deliveries" in line
    line = _refused(run_cli("burn", "talk.mp4", "talk.fr.srt", "-o", "deliveries", cwd=folder))
    assert "-o deliveries is a folder" in line and "deliveries/talk.burned.mp4" in line
    assert not (folder / "out").exists() and not list((folder / "deliveries").iterdir())


def test_subtitle_where_the_video_belongs(folder: Path) -> None:
    line = _refused(run_cli("burn", "talk.fr.srt", "talk.mp4", cwd=folder))
    assert "VIDEO comes first" in line and "subtool burn VIDEO SUBTITLE" in line and "talk.fr.srt" in line
    line = _refused(run_cli("mux", "talk.fr.srt", "talk.mp4", cwd=folder))
    assert "VIDEO comes first" in line
    res = run_cli("probe", "talk.fr.srt", cwd=folder)
    assert res.returncode == 3 and "score" not in res.stdout + res.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["talk.fr.srt", "talk.mp4"]


def test_closest_is_only_a_close_one() -> None:
    assert closest("Boxd", ["boxed", "clean"]) == "boxed"
    assert closest("zz", ["boxed", "clean"]) is None


def test_a_language_name_after_the_colon_gets_its_code(folder: Path) -> None:
    (folder / "plain.srt").write_text(SRT, encoding="utf-8")
    for name in ("german", "Deutsch"):
        line = _refused(run_cli("mux", "talk.mp4", f"plain.srt:{name}", "-o", "out.mkv", cwd=folder))
        assert f"unknown language code '{name}' after ':'" in line and "Did you mean plain.srt:de (German)?" in line, line
    assert not (folder / "out.mkv").exists()


def test_a_translation_the_service_lacks_does_not_point_at_the_offline_engine(folder: Path) -> None:
    env = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": "http://127.0.0.1:9"}  # refused before any request
    line = _refused(run_cli("run", "talk.mp4", "-t", "fil", "--dry-run", env=env, cwd=folder))
    assert "does not translate into 'fil'" in line and "--engine local" not in line, line  # it translates only into English
