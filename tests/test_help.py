"""Help that teaches: every command's --help ends with two or three examples, each of which is
run here as written (against the emulator, or the offline engine where it says so); every option
has a description, and a choice's values are explained."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from conftest import SAMPLES, run_cli

from subtool.cli.app import COMMANDS, main
from subtool.cli.examples import JOB
from subtool.testing.gladia import EmulatorProcess

# Two cues that meet every shipped profile (line length, reading speed, durations, gaps).
EN = "1\n00:00:01,000 --> 00:00:03,500\nWelcome to the tool.\n\n2\n00:00:04,600 --> 00:00:07,000\nIt writes subtitles.\n"
FR = "1\n00:00:01,000 --> 00:00:03,500\nBienvenue.\n\n2\n00:00:04,600 --> 00:00:07,000\nIl écrit des sous-titres.\n"


def _commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(main)
    out = []
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None
        out.append((name, command))
        if isinstance(command, click.Group):
            out += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
    return out


def _examples(name: str) -> list[str]:
    res = run_cli(*name.split(), "--help")
    assert res.returncode == 0, res.stderr
    lines = [line.strip() for line in res.stdout.splitlines() if line.strip()]
    assert "Examples:" in lines, f"'subtool {name} --help' has no examples"
    lines = lines[lines.index("Examples:") + 1:]
    commands = [line for line in lines if not line.startswith("#")]
    assert all(line.startswith(("subtool ", "SUBTOOL_")) for line in commands), commands
    assert res.stdout.rstrip().endswith(commands[-1]), "the examples end the help"
    return commands


@pytest.mark.parametrize(("name", "command"), _commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_option_is_described(name: str, command: click.Command) -> None:
    assert command.help, f"subtool {name} has no description"
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        assert param.help and len(param.help) > 10, f"subtool {name} {param.opts[0]} has no description"
        if isinstance(param.type, click.Choice):
            missing = [c for c in param.type.choices if str(c) not in param.help]
            assert not missing, f"subtool {name} {param.opts[0]}: the help does not explain {missing}"
    assert 2 <= len(_examples(name)) <= 3


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as emu:
        yield emu


def _folder(base: Path, name: str) -> Path:
    """talk.mp4 and a manifest; the subtitle files for the commands that read them (the others
    write them)."""
    base.mkdir()
    shutil.copyfile(SAMPLES / "talk.mp4", base / "talk.mp4")
    if name.split()[0] in ("check", "conform", "mux", "burn", "preview", "convert", "extract"):
        (base / "talk.en.srt").write_text(EN, encoding="utf-8")
        (base / "talk.fr.srt").write_text(FR, encoding="utf-8")
    if name == "extract":  # a video that carries them as tracks
        subprocess.run(["ffmpeg", "-v", "error", "-i", "talk.mp4", "-i", "talk.en.srt", "-i", "talk.fr.srt", "-map", "0", "-map", "1", "-map", "2",
                        "-c", "copy", "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre", "talk.mkv"], cwd=base, check=True)
        for sub in ("talk.en.srt", "talk.fr.srt"):
            (base / sub).unlink()
    (base / "episodes.csv").write_text("input,languages,translate,delivery,outdir\ntalk.mp4,en,fr,sidecars,out/\n", encoding="utf-8")
    return base


def _a_done_job(emulator: EmulatorProcess, folder: Path) -> str:
    res = run_cli("transcribe", str(SAMPLES / "memo.mp3"), "-d", str(folder / "jobs"), "--no-cache", "--json", "--force",
                  env={"GLADIA_API_KEY": "k", "GLADIA_API_URL": emulator.url})
    assert res.returncode == 0, res.stderr
    [job] = json.loads(res.stdout)["results"][0]["job_ids"]
    return str(job)


@pytest.mark.parametrize("name", [name for name, _ in _commands()])
def test_each_example_runs(name: str, tmp_path: Path, emulator: EmulatorProcess) -> None:
    folder = _folder(tmp_path / "work", name)
    for line in _examples(name):
        words = shlex.split(line)
        env = {"GLADIA_API_KEY": "k", "GLADIA_API_URL": emulator.url}
        while re.fullmatch(r"[A-Z_]+=.*", words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        assert words[0] == "subtool"
        if JOB in words:  # a job of the service's own
            words = [_a_done_job(emulator, tmp_path) if w == JOB else w for w in words]
        res = run_cli(*words[1:], env=env, cwd=folder)
        assert res.returncode == 0, f"{line}\n{res.stdout}\n{res.stderr}"
        assert "Traceback" not in res.stderr


def _complete(words: str) -> list[str]:
    env = {"_SUBTOOL_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    res = run_cli(env=env)
    assert res.returncode == 0, res.stderr
    return [line.split(",", 1)[1] for line in res.stdout.splitlines()]


def test_shell_completion_of_presets_and_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _complete("subtool run talk.mp4 --burn b") == ["boxed"]
    assert set(_complete("subtool batch m.csv --mux m")) == {"mkv-multi", "mp4-mov-text"}
    assert _complete("subtool check x.srt --profile n") == ["netflix"]
    assert "en" in _complete("subtool run talk.mp4 -l e") and "es" in _complete("subtool transcribe talk.mp4 -t e")
    assert "fr,es" in _complete("subtool run talk.mp4 -t fr,e")
    assert _complete("subtool presets s") == ["show", "social-vertical"]
    monkeypatch.setenv("SUBTOOL_PRESETS_DIR", str(tmp_path))
    (tmp_path / "house.toml").write_text('kind = "burn"\nfont_size = 0.06\n', encoding="utf-8")
    assert _complete("subtool burn v.mp4 s.srt --style h") == ["house"]  # the user's own presets too
