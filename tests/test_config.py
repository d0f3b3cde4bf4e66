"""The config file and the environment as defaults for run, transcribe and batch: each level
overrides the one below (command line > environment > config file > built-in), 'config show'
says where each value came from, and bad keys are refused as presets' are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_sample, run_cli

from subtool.testing.gladia import EmulatorProcess


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as emu:
        yield emu


def _planned(video: Path, env: dict[str, str], *args: str) -> dict:
    res = run_cli("run", str(video), "--sidecars-only", "--dry-run", "--json", *args, env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["inputs"][0]


def test_each_level_overrides_the_one_below(tmp_path: Path, emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    config = tmp_path / "config.toml"
    env = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emulator.url, "SUBTOOL_CONFIG": str(config)}
    config.write_text("", encoding="utf-8")
    assert _planned(video, env)["translate"] == []  # built-in
    config.write_text('translate = ["fr"]\nformats = "srt,vtt"\n[transcribe]\ntranslate = "it"\n', encoding="utf-8")
    planned = _planned(video, env)
    assert planned["translate"] == ["fr"]  # the file
    assert str(tmp_path / "talk.fr.vtt") in planned["files"]
    assert _planned(video, {**env, "SUBTOOL_TRANSLATE": "es,de"})["translate"] == ["es", "de"]  # the environment
    assert _planned(video, {**env, "SUBTOOL_TRANSLATE": "es"}, "-t", "pt")["translate"] == ["pt"]  # the command line
    stats = emulator.stats()
    assert stats["uploads"] == 0 and stats["jobs_created"] == 0
    # The platformdirs file is read when SUBTOOL_CONFIG is not set.
    home = tmp_path / "home"
    (home / "subtool").mkdir(parents=True)
    (home / "subtool" / "config.toml").write_text('translate = ["ja"]\n', encoding="utf-8")
    plain = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emulator.url, "XDG_CONFIG_HOME": str(home)}
    assert _planned(video, plain)["translate"] == ["ja"]


def test_config_show_says_where_each_value_came_from(tmp_path: Path) -> None:
    config = tmp_path / "team.toml"
    config.write_text('max_jobs = 25\nengine = "gladia"\n[batch]\nlocal_jobs = 2\n', encoding="utf-8")
    res = run_cli("config", "show", "--json", env={"SUBTOOL_CONFIG": str(config), "SUBTOOL_ENGINE": "local"})
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    run, batch = doc["commands"]["run"], doc["commands"]["batch"]
    assert doc["file"] == str(config) and doc["exists"] is True
    assert run["max_jobs"] == {"value": 25, "from": f"config file {config}"}
    assert run["engine"] == {"value": "local", "from": "environment SUBTOOL_ENGINE"}
    assert run["translation_model"] == {"value": "base", "from": "built-in"}
    assert batch["local_jobs"] == {"value": 2, "from": f"[batch] in config file {config}"} and "local_jobs" not in run
    text = run_cli("config", "show", "--command", "run", env={"SUBTOOL_CONFIG": str(config)}).stdout
    assert "max_jobs = 25" in text and f"# config file {config}" in text and "[batch]" not in text


@pytest.mark.parametrize(("content", "env", "says"), [
    ("max_jobz = 3\n", {}, ["unknown key 'max_jobz'", "Did you mean 'max_jobs'?"]),
    ('max_jobs = "many"\n', {}, ["key 'max_jobs' has the wrong type", "a whole number"]),
    ("max_jobs = 900\n", {}, ["max_jobs = 900", "1<=x<=300"]),
    ('engine = "glada"\n', {}, ["engine = \"glada\"", "'glada' is not one of"]),
    ("output = 'x.mkv'\n", {}, ["unknown key 'output'", "not a default"]),
    ("[tanscribe]\nformats = 'vtt'\n", {}, ["unknown table [tanscribe]", "Did you mean 'transcribe'?"]),
    ("[transcribe]\nmux = 'mkv-multi'\n", {}, ["'mux' is not an option of subtool transcribe"]),
    ("translate = [\n", {}, ["is not valid TOML"]),
    ("", {"SUBTOOL_MAX_JOBS": "many"}, ["SUBTOOL_MAX_JOBS='many' is not a whole number"]),
])
def test_bad_config_is_one_precise_line(tmp_path: Path, content: str, env: dict[str, str], says: list[str]) -> None:
    copy_sample("talk.mp4", tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(content, encoding="utf-8")
    res = run_cli("transcribe", "talk.mp4", "--engine", "local", env={"SUBTOOL_CONFIG": str(config), **env}, cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert ("SUBTOOL_" in says[0]) or str(config) in res.stderr
    for text in says:
        assert text in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "talk.mp4"]


def test_a_missing_named_config_is_said() -> None:
    res = run_cli("config", "show", env={"SUBTOOL_CONFIG": "/nonexistent/subtool.toml"})
    assert res.returncode == 2 and "/nonexistent/subtool.toml: does not exist" in res.stderr
