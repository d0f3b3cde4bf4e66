"""``subtool check`` as a user runs it: exit codes 0/1/3, lines, and the JSON document."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

GOOD = "1\n00:00:01,000 --> 00:00:03,000\nA fine first cue.\n\n2\n00:00:03,080 --> 00:00:05,500\nAnd a second one,\nwell within the rules.\n"
BAD = "1\n00:00:01,000 --> 00:00:01,300\nThis first line is far longer than forty-two characters\n\n2\n00:00:01,200 --> 00:00:03,000\nOverlapping.\n"


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    p = folder / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def test_clean_file_exits_0(tmp_path: Path) -> None:
    p = _write(tmp_path, "talk.en.srt", GOOD)
    r = run_cli("check", str(p))
    assert r.returncode == 0, r.stderr
    assert "ok (2 cues meet the netflix profile)" in r.stdout


def test_violations_exit_1_and_name_file_cue_time_and_problem(tmp_path: Path) -> None:
    p = _write(tmp_path, "talk.en.srt", BAD)
    r = run_cli("check", str(p))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert f"{p}: cue 1 at 00:00:01.000: line_too_long: line 1 has 55 characters (max 42)" in lines
    assert any(line.startswith(f"{p}: cue 1 at 00:00:01.000: overlap") for line in lines)
    assert any(": too_short:" in line for line in lines)
    assert "overlapping cue(s) trimmed" in r.stderr  # the fix made on reading is said


def test_profile_changes_the_verdict(tmp_path: Path) -> None:
    line = "A line of exactly forty characters here."
    p = _write(tmp_path, "x.en.srt", f"1\n00:00:01,000 --> 00:00:05,000\n{line}\n")
    assert run_cli("check", str(p), "--profile", "netflix").returncode == 0
    r = run_cli("check", str(p), "--profile", "bbc")
    assert r.returncode == 1 and "max 37" in r.stdout


def test_unreadable_file_exits_3_and_others_are_still_checked(tmp_path: Path) -> None:
    good = _write(tmp_path, "a.srt", GOOD)
    text = _write(tmp_path, "notes.srt", "Shopping list:\neggs\nmilk\n")
    binary = _write(tmp_path, "b.vtt", b"\x00\xff\x10garbage\x00")
    empty = _write(tmp_path, "c.srt", b"")
    r = run_cli("check", str(good), str(text), str(binary), str(empty), str(tmp_path / "missing.srt"))
    assert r.returncode == 3
    errors = [line for line in r.stderr.splitlines() if line.startswith("subtool: ")]
    assert len(errors) == 4
    assert f"subtool: {text}: is not a subtitle file" in r.stderr
    assert f"subtool: {binary}: is a binary file" in r.stderr
    assert f"subtool: {empty}: is empty" in r.stderr
    assert "missing.srt: does not exist" in r.stderr
    assert f"{good}: ok" in r.stdout
    assert "Traceback" not in r.stderr


def test_a_video_is_refused_with_exit_3(samples: Path) -> None:
    r = run_cli("check", str(samples / "talk.mp4"))
    assert r.returncode == 3
    assert "is a media or binary file, not subtitles" in r.stderr


def test_json_document(tmp_path: Path) -> None:
    good = _write(tmp_path, "a.en.vtt", "WEBVTT\n\nNOTE x\n\n00:01.000 --> 00:03.000\nFine.\n")
    bad = _write(tmp_path, "b.fr.srt", "1\n00:00:01,000 --> 00:00:09,000\nTrop long.\n".encode("cp1252").replace(b"long", b"l\xe9g\xe8re"))
    junk = _write(tmp_path, "c.srt", "{\"not\": \"subtitles\"}")
    r = run_cli("check", "--json", str(good), str(bad), str(junk))
    assert r.returncode == 3
    doc = json.loads(r.stdout)  # stdout is the document and nothing else
    assert [d["path"] for d in doc] == [str(good), str(bad), str(junk)]
    assert doc[0]["ok"] is True and doc[0]["format"] == "vtt" and doc[0]["violations"] == []
    assert any("NOTE" in n for n in doc[0]["notes"])
    assert doc[1]["ok"] is False and doc[1]["encoding"] == "cp1252"
    assert doc[1]["violations"] == [{"cue": 1, "start": 1.0, "end": 9.0, "code": "too_long", "message": "8.000 s on screen (max 7 s)"}]
    assert doc[2]["ok"] is False and "not a subtitle file" in doc[2]["error"]


def test_json_exit_1_without_unreadable(tmp_path: Path) -> None:
    p = _write(tmp_path, "talk.en.srt", BAD)
    r = run_cli("check", "--json", str(p))
    assert r.returncode == 1
    codes = {v["code"] for v in json.loads(r.stdout)[0]["violations"]}
    assert {"line_too_long", "overlap", "too_short", "too_fast"} <= codes


def test_cjk_file_uses_cjk_limits_from_its_name(tmp_path: Path) -> None:
    p = _write(tmp_path, "film.zh.srt", "1\n00:00:01,000 --> 00:00:04,000\n今天我们来谈谈人工智能的发展问题吧\n")
    r = run_cli("check", str(p))
    assert r.returncode == 1 and "max 16" in r.stdout
    rtl = _write(tmp_path, "film.ar.srt", "1\n00:00:01,000 --> 00:00:04,000\nمرحبا بكم في الأداة\n")
    assert run_cli("check", str(rtl)).returncode == 0


def test_unknown_profile_and_language_are_usage_errors(tmp_path: Path) -> None:
    p = _write(tmp_path, "a.srt", GOOD)
    r = run_cli("check", str(p), "--profile", "nope")
    assert r.returncode == 2 and "no profile preset called 'nope'" in r.stderr
    r = run_cli("check", str(p), "--language", "zz-notreal")
    assert r.returncode == 2 and "unknown language code" in r.stderr


def test_built_tracks_pass_their_own_check(tmp_path: Path) -> None:
    from subtool.models import Transcript, Utterance, Word
    from subtool.presets import load_profile
    from subtool.subtitles import write_tracks

    text = ("Welcome to the subtitle tool. Today we will learn how editors add subtitles to their videos "
            "in several languages. Every line should be easy to read, and every word should appear on time.")
    words, t = [], 1.0
    for w in text.split():
        words.append(Word(w, round(t, 3), round(t + 0.3, 3)))
        t += 0.38
    tr = Transcript(language="en", utterances=[Utterance(1.0, t, text, words)], duration=t + 2)
    tracks = write_tracks(tr, tmp_path / "talk", formats=["srt", "vtt", "ass"], profile=load_profile("netflix"))
    r = run_cli("check", *[tk.path for tk in tracks])
    assert r.returncode == 0, r.stdout
