"""``subtool conform`` on awkward third-party files: the words identical before and after, fewer
cues that break the profile, every change reported, inputs never written over; and the burn
rule that points at it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pysubs2
import pytest
from conftest import run_cli

from subtool.presets import load_profile
from subtool.subtitles import check_cues, read_subtitles

AWKWARD_SRT = """1
00:00:01,000 --> 00:00:03,500
This line is far too long to be shown on a single line of subtitles, really it is.

2
00:00:03,540 --> 00:00:06,000
One
two
three lines in this cue.

3
00:00:05,900 --> 00:00:08,000
This cue overlaps the one before it.

4
00:00:08,040 --> 00:00:08,900
Thirty characters a second, far too quick.

5
00:00:12,000 --> 00:00:23,000
A cue that stays on screen for eleven seconds. It should be split. Really it should be split into parts.

6
00:00:25,000 --> 00:00:27,000
<i>Italic words</i> stay italic after conform.

7
00:00:27,040 --> 00:00:29,000
One frame apart from the cue before.
"""


def _words(path: Path) -> list[str]:
    return " ".join(e.plaintext.replace("\n", " ") for e in read_subtitles(path).ssa.events).split()


def _mentioned(changes: list[str], cue: int) -> bool:
    for line in changes:
        m = re.match(r"cues? (\d+)(?:-(\d+))?:", line)
        if m and int(m.group(1)) <= cue <= int(m.group(2) or m.group(1)):
            return True
    return False


def test_conform_keeps_every_word_fixes_what_it_can_and_reports_every_change(tmp_path: Path) -> None:
    src = tmp_path / "film.en.srt"
    src.write_text(AWKWARD_SRT, encoding="utf-8")
    before_bytes = src.read_bytes()
    profile = load_profile("netflix")
    before = check_cues(read_subtitles(src), profile)
    r = run_cli("conform", str(src), "--json")
    assert r.returncode in (0, 1), r.stderr
    [report] = json.loads(r.stdout)
    out = tmp_path / "film.conformed.en.srt"
    assert report["output"] == str(out) and out.exists()
    assert src.read_bytes() == before_bytes  # the input is never written over
    assert _words(out) == _words(src)  # not a word dropped, added or altered
    after = check_cues(read_subtitles(out), profile)
    assert len({v.index for v in after}) < len({v.index for v in before})
    assert report["before"] == len({v.index for v in before if v.line is None}) and report["after"] == len({v.index for v in after})
    assert {(v["cue"], v["code"]) for v in report["violations"]} == {(v.index, v.code) for v in after}
    assert r.returncode == (1 if after else 0)
    # Every cue that is not in the output exactly as it came (times and lines) is in the report.
    written = {(e.start, e.end, e.plaintext) for e in read_subtitles(out).ssa.events}
    for i, e in enumerate(read_subtitles(src).ssa.events, 1):
        if (e.start, e.end, e.plaintext) not in written:
            assert _mentioned(report["changes"], i), (i, report["changes"])
    codes = {v.code for v in after}
    assert not codes & {"line_too_long", "too_many_lines", "overlap", "too_long", "gap_too_small"}
    # The italics survive (the tags are not counted as characters, nor lost).
    assert "<i>Italic words</i>" in out.read_text(encoding="utf-8")
    assert any("split into" in line for line in report["changes"])


def test_conform_writes_vtt_and_ass_in_their_own_format_and_to_a_folder(tmp_path: Path) -> None:
    ssa = pysubs2.SSAFile.from_string(AWKWARD_SRT, format_="srt")
    vtt, ass = tmp_path / "talk.fr.vtt", tmp_path / "talk.fr.ass"
    ssa.save(str(vtt), format_="vtt")
    ssa.save(str(ass), format_="ass")
    out = tmp_path / "conformed"
    r = run_cli("conform", str(vtt), str(ass), "-d", str(out), "--profile", "bbc")
    assert r.returncode in (0, 1), r.stderr
    assert (out / "talk.fr.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    assert "[Events]" in (out / "talk.fr.ass").read_text(encoding="utf-8")
    for name in ("talk.fr.vtt", "talk.fr.ass"):
        assert _words(out / name) == _words(tmp_path / name)
        assert not any(len(line) > 37 for e in read_subtitles(out / name).ssa.events for line in e.plaintext.split("\n"))


def test_conform_refuses_what_it_must(tmp_path: Path) -> None:
    src = tmp_path / "a.srt"
    src.write_text(AWKWARD_SRT, encoding="utf-8")
    r = run_cli("conform", str(src), "-o", str(src))
    assert r.returncode == 2 and "replace its input" in r.stderr
    r = run_cli("conform", str(src), str(src), "-o", str(tmp_path / "x.srt"))
    assert r.returncode == 2 and "-o names one output" in r.stderr
    junk = tmp_path / "junk.srt"
    junk.write_bytes(b"\x00\x01 not subtitles")
    r = run_cli("conform", str(junk))
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert run_cli("conform", str(src)).returncode in (0, 1)
    again = run_cli("conform", str(src))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert run_cli("conform", str(src), "--force").returncode in (0, 1)


def test_conform_moves_edges_to_the_shot_changes_of_a_video(tmp_path: Path) -> None:
    video = tmp_path / "cuts.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=3",
                    "-f", "lavfi", "-i", "smptebars=size=320x180:rate=25:duration=3",
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", str(video)], check=True)
    src = tmp_path / "cut.en.srt"
    src.write_text("1\n00:00:01,000 --> 00:00:02,800\nEnding before the cut.\n\n"
                   "2\n00:00:03,200 --> 00:00:05,000\nStarting a few frames after it.\n", encoding="utf-8")
    r = run_cli("conform", str(src), "--shot-changes", str(video), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    events = read_subtitles(tmp_path / "cut.conformed.en.srt").ssa.events
    # 2 frames before the cut at 3.0 s (the profile's 80 ms); the next starts on it.
    assert [e.start for e in events] == [1000, 3000] and events[0].end == 2920 and events[1].end >= 5000
    assert json.loads(r.stdout)[0]["after"] == 0


@pytest.mark.parametrize("style", ["social-vertical"])
def test_burn_refuses_cues_made_for_a_wider_profile_and_names_conform(tmp_path: Path, style: str) -> None:
    video = tmp_path / "vertical.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:size=270x480:rate=25:duration=7",
                    "-f", "lavfi", "-i", "sine=duration=7", "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(video)], check=True)
    wide = tmp_path / "wide.en.srt"
    wide.write_text("1\n00:00:00,000 --> 00:00:06,500\nThis is an ordinary subtitle line of about\nforty-two characters, made for landscape.\n",
                    encoding="utf-8")
    r = run_cli("burn", str(video), str(wide), "--style", style, "-o", str(tmp_path / "out.mp4"))
    assert r.returncode == 2 and "subtool conform" in r.stderr and "--profile vertical" in r.stderr
    assert not (tmp_path / "out.mp4").exists()
    fixed = run_cli("conform", str(wide), "--profile", "vertical", "-o", str(tmp_path / "narrow.en.srt"))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    r = run_cli("burn", str(video), str(tmp_path / "narrow.en.srt"), "--style", style, "-o", str(tmp_path / "out.mp4"))
    assert r.returncode == 0, r.stderr
    # A landscape style draws the same 2 x 42 file as it is.
    landscape = tmp_path / "land.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:size=320x180:rate=25:duration=2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(landscape)], check=True)
    assert run_cli("burn", str(landscape), str(wide), "--style", "clean", "-o", str(tmp_path / "land.out.mp4")).returncode == 0


@pytest.mark.parametrize(("style", "size", "lines", "allowed"), [("social-vertical", "270x480", 4, 3), ("boxed", "320x180", 3, 2)])
def test_burn_refuses_cues_written_on_more_lines_than_the_styles_profile(tmp_path: Path, style: str, size: str, lines: int, allowed: int) -> None:
    video = tmp_path / "v.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"color=c=gray:size={size}:rate=25:duration=3",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(video)], check=True)
    tall = tmp_path / "v.fr.srt"
    tall.write_text("1\n00:00:00,000 --> 00:00:02,500\n" + "\n".join(["Un", "deux", "trois", "quatre"][:lines]) + "\n", encoding="utf-8")
    r = run_cli("burn", str(video), str(tall), "--style", style, "-o", str(tmp_path / "out.mp4"))
    assert r.returncode == 2, r.stderr
    assert f"cue 1 would take {lines}" in r.stderr and f"x {allowed} lines" in r.stderr and "subtool conform" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "out.mp4").exists()


VENDOR_SRT = """1
00:00:01,000 --> 00:00:03,000
{\\an8}<i>Previously…</i>

2
00:00:04,000 --> 00:00:09,000
{\\an8}<i>A top cue in italics that is far too long for one line, so conform must split it into two cues here.</i>

3
00:00:10,000 --> 00:00:12,000
<font color="#ffff00">Yellow text</font> and <b>bold</b>
"""

ODD_VTT = """WEBVTT

STYLE
::cue { color: yellow }

intro
00:00:01.000 --> 00:00:03.000 line:0 align:start
<v Roger>Hello there, <b>friend</b>.

00:00:04.000 --> 00:00:06.000
<c.yellow>Yellow words</c> and plain.
"""


def test_conform_keeps_position_and_markup_srt_carries_and_names_what_it_drops(tmp_path: Path) -> None:
    src = tmp_path / "vendor.en.srt"
    src.write_text(VENDOR_SRT, encoding="utf-8")
    r = run_cli("conform", str(src), "-d", str(tmp_path / "c"))
    assert r.returncode in (0, 1), r.stderr
    out = tmp_path / "c" / "vendor.en.srt"
    assert _words(out) == _words(src)
    events = pysubs2.load(str(out), keep_html_tags=True).events
    assert events[0].text == "{\\an8}<i>Previously…</i>"
    # Cue 2 split: each part stays at the top and in italics.
    parts = [e.text for e in events[1:-1]]
    assert len(parts) >= 2 and all(p.startswith("{\\an8}<i>") and p.endswith("</i>") for p in parts), parts
    assert "<b>bold</b>" in events[-1].text
    assert 'cue 3: not kept in SRT: <font color="#ffff00">' in r.stdout + r.stderr
    # ffmpeg reads the position and the styling from the conformed file (as mux would carry them).
    ass = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(out), "-f", "ass", "-"], capture_output=True, text=True, check=True).stdout
    assert "{\\an8}{\\i1}Previously…{\\i0}" in ass and "{\\b1}bold{\\b0}" in ass


def test_conform_names_per_cue_what_webvtt_markup_it_cannot_keep(tmp_path: Path) -> None:
    src = tmp_path / "odd.en.vtt"
    src.write_text(ODD_VTT, encoding="utf-8")
    r = run_cli("conform", str(src), "-d", str(tmp_path / "c"))
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "c" / "odd.en.vtt").read_text(encoding="utf-8")
    assert "Hello there, <b>friend</b>." in text
    assert "cue 1: not kept in VTT: cue identifier 'intro', cue settings 'line:0 align:start', <v Roger>" in r.stdout + r.stderr
    assert "cue 2: not kept in VTT: <c.yellow>" in r.stdout + r.stderr
    # Written as SRT, a WebVTT position is named too; as WebVTT, an SRT position is.
    r = run_cli("conform", str(src), "-o", str(tmp_path / "odd.en.srt"))
    assert "cue 1: not kept in SRT: cue identifier 'intro'" in r.stdout + r.stderr
    srt = tmp_path / "v.en.srt"
    srt.write_text(VENDOR_SRT, encoding="utf-8")
    r = run_cli("conform", str(srt), "-o", str(tmp_path / "v.en.vtt"))
    assert "cue 1: not kept in VTT: {\\an8}" in r.stdout + r.stderr and "<i>Previously…</i>" in (tmp_path / "v.en.vtt").read_text(encoding="utf-8")


def test_conform_from_ass_names_the_override_tags_srt_cannot_carry(tmp_path: Path) -> None:
    subs = pysubs2.SSAFile()
    subs.events = [pysubs2.SSAEvent(start=1000, end=3000, text="{\\an8\\i1}Top italic{\\i0} and {\\c&H00FFFF&}yellow"),
                   pysubs2.SSAEvent(start=4000, end=6000, text="{\\pos(10,10)}Placed")]
    src = tmp_path / "a.en.ass"
    subs.save(str(src))
    r = run_cli("conform", str(src), "-o", str(tmp_path / "a.en.srt"))
    assert r.returncode == 0, r.stderr
    assert "{\\an8}<i>Top italic</i> and yellow" in (tmp_path / "a.en.srt").read_text(encoding="utf-8")
    said = r.stdout + r.stderr
    assert "cue 1: not kept in SRT: {\\c&H00FFFF&}" in said and "cue 2: not kept in SRT: {\\pos(10,10)}" in said
