"""Options every command takes: ``-q`` and ``-v`` before or after the subcommand, same meaning."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import run_cli

SRT = "1\n00:00:01,000 --> 00:00:03,000\nHello there.\n"


def test_quiet_after_the_subcommand(tmp_path: Path) -> None:
    sub = tmp_path / "talk.en.srt"
    sub.write_text(SRT, encoding="utf-8")
    loud = run_cli("check", str(sub))
    assert loud.returncode == 0 and "1 file(s)" in loud.stderr  # the summary is a note on stderr
    for args in (("check", str(sub), "-q"), ("-q", "check", str(sub)), ("check", "--quiet", str(sub))):
        r = run_cli(*args)
        assert r.returncode == 0, r.stderr
        assert r.stderr == "" and "ok (1 cues" in r.stdout  # the result itself is not silenced


def test_verbose_after_the_subcommand(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x120:d=1:r=10", "-c:v", "libx264", "-preset", "ultrafast",
                    str(video)], check=True)
    sub = tmp_path / "clip.en.srt"
    sub.write_text(SRT, encoding="utf-8")
    r = run_cli("mux", str(video), str(sub), "-o", str(tmp_path / "out.mkv"), "-v")
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stderr
    # -v shows the traceback of an error, after the subcommand as before it; without it, one line
    for args in (("mux", str(tmp_path / "missing.mp4"), str(sub), "-v"), ("-v", "mux", str(tmp_path / "missing.mp4"), str(sub))):
        r = run_cli(*args)
        assert r.returncode == 3 and "Traceback" in r.stderr, r.stderr
    r = run_cli("mux", str(tmp_path / "missing.mp4"), str(sub))
    assert r.returncode == 3 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_presets_and_probe_take_them_too(tmp_path: Path) -> None:
    assert run_cli("presets", "list", "-q").returncode == 0
    assert run_cli("probe", str(tmp_path / "none.mp4"), "-q", "-v").returncode == 3


def test_json_on_an_error_is_still_one_document_on_stdout(tmp_path: Path) -> None:
    import json


    res = run_cli("run", str(tmp_path / "nothere.mp4"), "--engine", "local", "--json", cwd=tmp_path)
    assert res.returncode == 3, res.stderr
    doc = json.loads(res.stdout)
    assert doc["error"]["exit_code"] == 3 and "nothere.mp4" in doc["error"]["message"] and doc["error"]["path"].endswith("nothere.mp4")
    assert res.stderr.count("\n") == 1  # the line on stderr as without --json
    (tmp_path / "fake.mp4").write_text("not a video", encoding="utf-8")
    res = run_cli("probe", str(tmp_path / "fake.mp4"), "--json", cwd=tmp_path)
    json.loads(res.stdout)  # probe reports its own document: exactly one on stdout
    res = run_cli("run", str(tmp_path / "nothere.mp4"), "--engine", "local", cwd=tmp_path)
    assert res.returncode == 3 and res.stdout == ""  # without --json stdout stays empty
