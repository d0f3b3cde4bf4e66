"""`subtool preview` and `--preview` without a browser: the proxy made for media browsers cannot
play (read back with ffprobe), the page's HTML escaped and locked down, the refusals, and the
pages `run` and `batch` write (against the Gladia emulator). The page in a real browser is
tests/test_preview_browser.py."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_sample, ffprobe_json, run_cli

import subtool
from subtool.review.render import read_json_block
from subtool.testing.gladia import EmulatorProcess

HOSTILE = "<script>alert(1)</script>"
HOSTILE_TAG = "</track><img src=x onerror=alert(2)>"


def make_clip(path: Path, *, seconds: float = 4.0, size: str = "320x240", vcodec: str = "libx264", pix_fmt: str = "yuv420p",
              acodec: str | None = "aac", rate: int = 10) -> Path:
    """A small test clip: colour bars and a tone, in the codecs asked for."""
    args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if acodec is not None:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-map", "0:v", "-map", "1:a", "-c:a", acodec]
    args += ["-c:v", vcodec, "-pix_fmt", pix_fmt]
    if vcodec == "libx265":
        args += ["-x265-params", "log-level=error"]
    subprocess.run([*args, "-shortest", str(path)], check=True, capture_output=True)
    return path


EN_SRT = """1
00:00:00,200 --> 00:00:01,400
Hello there.

2
00:00:01,500 --> 00:00:02,300
This sentence is far too long to be read in so little time at all.

3
00:00:02,500 --> 00:00:03,500
One
Two
Three

4
00:00:03,600 --> 00:00:11,000
Long.
"""

FR_VTT = """WEBVTT

00:00:00.500 --> 00:00:02.000
Bonjour à tous.

00:00:01.800 --> 00:00:03.000
Ils se chevauchent.

00:00:05.000 --> 00:00:07.000
Au revoir.
"""


def write_subs(folder: Path, stem: str = "clip") -> tuple[Path, Path]:
    en = folder / f"{stem}.en.srt"
    en.write_text(EN_SRT, encoding="utf-8")
    fr = folder / f"{stem}.fr.vtt"
    fr.write_text(FR_VTT, encoding="utf-8")
    return en, fr


def hostile_subs(folder: Path) -> tuple[Path, Path]:
    """A WebVTT cue that reads ``<script>alert(1)</script>`` (escaped as WebVTT wants) and an ASS
    cue that reads ``</track><img src=x onerror=...>`` (ASS has no tags of that kind: literal)."""
    vtt = folder / "clip.de.vtt"
    vtt.write_text("WEBVTT\n\n00:00:00.500 --> 00:00:02.500\n&lt;script&gt;alert(1)&lt;/script&gt;\n\n"
                   "00:00:03.000 --> 00:00:03.900\n--&gt; 00:00:09.000 &amp; more\n", encoding="utf-8")
    ass = folder / "clip.es.ass"
    ass.write_text(
        "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding\nStyle: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        f"Dialogue: 0,0:00:00.50,0:00:02.50,Default,,0,0,0,,{HOSTILE_TAG}\n",
        encoding="utf-8",
    )
    return vtt, ass


def facts(page: Path) -> dict:
    doc = read_json_block(page.read_text(encoding="utf-8"), "subtool-facts")
    assert isinstance(doc, dict)
    return doc


def streams(path: Path) -> dict[str, dict]:
    return {s["codec_type"]: s for s in ffprobe_json(path)["streams"]}


# -- the proxy ---------------------------------------------------------------------------------------


def test_a_video_browsers_play_is_played_as_it_is(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mp4")
    en, fr = write_subs(tmp_path)
    (tmp_path / "clip.fr.forced.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nPanneau\n", encoding="utf-8")
    result = subtool.preview(video)
    assert result.proxy is None and result.video == str(video)
    assert Path(result.page) == tmp_path / "clip.preview.html"
    # The sidecars named after the video, one per language: the full French track, not the forced one.
    assert [(t.language, t.path) for t in result.tracks] == [("en", str(en)), ("fr", str(fr))]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.en.srt", "clip.fr.forced.srt", "clip.fr.vtt", "clip.mp4", "clip.preview.html"]


def test_hevc_in_mkv_gets_an_h264_proxy_of_480_lines_at_most(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mkv", size="1280x720", vcodec="libx265", acodec="libopus", seconds=3)
    en, _ = write_subs(tmp_path)
    result = subtool.preview(video, [en], tmp_path / "review" / "page.html")
    proxy = tmp_path / "review" / "page.proxy.mp4"
    assert result.proxy == str(proxy) and result.video == str(proxy)
    got = streams(proxy)
    assert got["video"]["codec_name"] == "h264" and (got["video"]["width"], got["video"]["height"]) == (854, 480)
    assert got["video"]["pix_fmt"] == "yuv420p" and got["audio"]["codec_name"] == "aac" and got["audio"]["channels"] == 2
    assert abs(float(ffprobe_json(proxy)["format"]["duration"]) - 3.0) < 0.2
    assert "subtitle" not in got
    # The page plays the proxy by a link relative to itself; the input is untouched and named.
    html = (tmp_path / "review" / "page.html").read_text(encoding="utf-8")
    assert 'src="page.proxy.mp4"' in html and 'href="../clip.mkv"' in html


def test_vertical_video_keeps_its_short_side_at_480(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.avi", size="720x1280", vcodec="mpeg4", acodec="mp3", seconds=2)
    en, _ = write_subs(tmp_path)
    result = subtool.preview(video, [en])
    got = streams(Path(result.proxy or ""))
    assert (got["video"]["width"], got["video"]["height"]) == (480, 854)


def test_h264_in_mkv_is_copied_not_encoded(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mkv", size="640x360", acodec="aac", seconds=2)
    en, _ = write_subs(tmp_path)
    result = subtool.preview(video, [en])
    got = streams(Path(result.proxy or ""))
    source = streams(video)
    assert got["video"]["codec_name"] == "h264" and (got["video"]["width"], got["video"]["height"]) == (640, 360)
    assert got["video"]["profile"] == source["video"]["profile"] and got["audio"]["codec_name"] == "aac"


def test_ten_bit_h264_in_mp4_is_not_taken_for_playable(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mp4", pix_fmt="yuv420p10le", seconds=2)
    en, _ = write_subs(tmp_path)
    result = subtool.preview(video, [en])
    assert result.proxy is not None and streams(Path(result.proxy))["video"]["pix_fmt"] == "yuv420p"


# -- the page's HTML ---------------------------------------------------------------------------------


def test_hostile_texts_and_names_are_escaped_and_the_page_runs_only_its_own_script(tmp_path: Path) -> None:
    video = make_clip(tmp_path / 'clip "<b>#1?.mp4', seconds=2)
    vtt, ass = hostile_subs(tmp_path)
    result = subtool.preview(video, [vtt, ass], tmp_path / "p.html", language="de")
    html = Path(result.page).read_text(encoding="utf-8")
    assert HOSTILE not in html and "<img" not in html and "</track><" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;/track&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    # The video's name is one escaped, percent-encoded link (no fragment, no query, no tag).
    assert 'src="clip%20%22%3Cb%3E%231%3F.mp4"' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs for attrs, _ in scripts] == [' type="application/json" id="subtool-facts"', ""]
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy is not None
    digest = base64.b64encode(hashlib.sha256(scripts[1][1].encode()).digest()).decode()
    assert f"script-src &#x27;sha256-{digest}&#x27;" in policy.group(1) and "default-src &#x27;none&#x27;" in policy.group(1)
    # The WebVTT the browser gets keeps the texts as text: escaped, no "-->" a parser would take for a timing line.
    tracks = re.findall(r'src="data:text/vtt;charset=utf-8;base64,([^"]+)"', html)
    vtts = [base64.b64decode(t).decode() for t in tracks]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in vtts[0] and "--&gt; 00:00:09.000 &amp; more" in vtts[0]
    assert vtts[0].count("-->") == 2
    assert "&lt;/track&gt;&lt;img src=x onerror=alert(2)&gt;" in vtts[1]
    assert facts(Path(result.page))["tracks"][0]["language"] == "de"


def test_the_page_marks_every_problem_check_finds(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mp4", seconds=12)
    en, fr = write_subs(tmp_path)
    result = subtool.preview(video, [fr, en], language="en", profile="netflix")
    html = Path(result.page).read_text(encoding="utf-8")
    for i, path in enumerate((en, fr)):  # the spoken language first
        lane = html.split(f'<div class="lane" data-t="{i}"')[1].split('<div class="lane"')[0]
        marks = {int(c): cls.split() for cls, c in re.findall(r'<span class="([^"]+)" data-c="(\d+)"', lane)}
        [checked] = subtool.check(path, profile="netflix")
        assert len(marks) == checked.cues
        for v in checked.violations:
            assert f"p-{v.code}" in marks[v.index], (path, v)
        clean = set(marks) - {v.index for v in checked.violations}
        assert all(marks[c] == ["m"] for c in clean)
    codes = {t.language: set(t.problems) for t in result.tracks}
    assert {"too_fast", "too_many_lines", "line_too_long", "too_long"} <= codes["en"] and "overlap" in codes["fr"]


def test_cues_after_the_video_ends_are_said(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mp4", seconds=2)
    en, _ = write_subs(tmp_path)
    warnings: list[str] = []
    result = subtool.preview(video, [en], on_warning=warnings.append)
    assert warnings == result.warnings and len(warnings) == 1
    assert "clip.en.srt: 2 cues start after the video ends" in warnings[0]


def test_facts_from_a_runs_transcript_beside_the_sidecars(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mp4", seconds=2)
    write_subs(tmp_path)
    (tmp_path / "clip.transcript.json").write_text(json.dumps({"schema": "subtool.transcript/1", "language": "fr", "engine": "local",
                                                              "model": "tiny"}), encoding="utf-8")
    result = subtool.preview(video)
    doc = facts(Path(result.page))
    assert doc["engine"] == "local (tiny)" and doc["spoken"] == "fr" and [t["language"] for t in doc["tracks"]] == ["fr", "en"]
    assert doc["profile"] == "netflix" and doc["duration"] == pytest.approx(2.0, abs=0.1)


# -- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "code", "needle"), [
    ("missing video", 3, "nope.mp4: file not found"),
    ("text as video", 3, "notes.txt: not a media file"),
    ("empty subtitles", 3, "empty.fr.srt: is empty"),
    ("not subtitles", 3, "junk.de.srt"),
    ("two in one language", 2, "two subtitle files in en"),
    ("page exists", 2, "clip.preview.html: already exists"),
    ("not html", 2, "must be an .html file"),
    ("unknown profile", 2, "no profile preset called 'nope'"),
    ("unknown language", 2, "unknown language code 'xx'"),
    ("nothing beside", 2, "no subtitle files were given"),
    ("proxy over the input", 2, "x.proxy.mp4: would replace an input of the page"),
])
def test_bad_inputs_are_one_line_and_cost_nothing(tmp_path: Path, case: str, code: int, needle: str) -> None:
    video = make_clip(tmp_path / "clip.mkv", vcodec="libx265", seconds=1)
    (tmp_path / "notes.txt").write_text("just some notes\n", encoding="utf-8")
    (tmp_path / "empty.fr.srt").write_bytes(b"")
    (tmp_path / "junk.de.srt").write_bytes(os.urandom(2000))
    (tmp_path / "other.en.srt").write_text(EN_SRT, encoding="utf-8")
    en = tmp_path / "clip.en.srt"
    en.write_text(EN_SRT, encoding="utf-8")
    args = {
        "missing video": [str(tmp_path / "nope.mp4"), str(en)],
        "text as video": [str(tmp_path / "notes.txt"), str(en)],
        "empty subtitles": [str(video), str(en), str(tmp_path / "empty.fr.srt")],
        "not subtitles": [str(video), str(tmp_path / "junk.de.srt")],
        "two in one language": [str(video), str(en), str(tmp_path / "other.en.srt")],
        "page exists": [str(video), str(en)],
        "not html": [str(video), str(en), "-o", str(tmp_path / "page.txt")],
        "unknown profile": [str(video), str(en), "--profile", "nope"],
        "unknown language": [str(video), str(en), "-l", "xx"],
        "nothing beside": [str(tmp_path / "notes.txt")],
        "proxy over the input": [str(tmp_path / "x.proxy.mp4"), str(en), "-o", str(tmp_path / "x.html"), "--force"],
    }[case]
    if case == "proxy over the input":  # Matroska under an MP4 name: browsers need a proxy, named like the input
        video.rename(tmp_path / "x.proxy.mp4")
    if case == "page exists":
        (tmp_path / "clip.preview.html").write_text("mine", encoding="utf-8")
    if case == "nothing beside":
        args = [str(make_clip(tmp_path / "other.mp4", seconds=1))]
        (tmp_path / "other.en.srt").unlink()
    before = sorted(p.name for p in tmp_path.iterdir())
    res = run_cli("preview", *args)
    assert res.returncode == code, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no page, no proxy started
    if case == "page exists":
        assert (tmp_path / "clip.preview.html").read_text(encoding="utf-8") == "mine"


def test_open_hands_the_page_to_the_browser(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "clip.mp4", seconds=1)
    write_subs(tmp_path)
    seen = tmp_path / "seen.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{seen}"\n', encoding="utf-8")
    browser.chmod(0o755)
    res = run_cli("preview", str(video), "--open", "--json", env={"BROWSER": f"{browser} %s"})
    assert res.returncode == 0, res.stderr
    page = Path(json.loads(res.stdout)["page"])
    for _ in range(200):  # the browser is started, not waited for
        if seen.exists() and seen.read_text():
            break
        subprocess.run(["sleep", "0.05"], check=True)
    assert seen.read_text() == page.resolve().as_uri()


# -- run and batch -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(latency=0.2) as emu:
        yield emu


@pytest.fixture
def gladia_env(emulator: EmulatorProcess) -> dict[str, str]:
    return {"GLADIA_API_KEY": "test-key-for-preview", "GLADIA_API_URL": emulator.url}


def test_run_preview_writes_the_page_beside_the_outputs(tmp_path: Path, gladia_env: dict[str, str], emulator: EmulatorProcess) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    res = run_cli("run", str(video), "-t", "fr", "--mux", "mkv-multi", "-o", str(tmp_path / "out" / "cut1.mkv"), "--preview", "--json",
                  env=gladia_env)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)["results"][0]
    page, proxy = tmp_path / "out" / "cut1.preview.html", tmp_path / "out" / "cut1.proxy.mp4"
    assert doc["preview"] == str(page) and {str(page), str(proxy)} <= set(doc["files"]) and "preview" in doc["timings"]
    got = facts(page)
    assert got["engine"] == "gladia" and got["spoken"] == "en" and [t["language"] for t in got["tracks"]] == ["en", "fr"]
    # The MKV delivery (H.264 and AAC inside) is copied into an MP4 the page plays.
    assert got["proxy"] == str(proxy) and streams(proxy)["video"]["codec_name"] == "h264"
    assert 'src="cut1.proxy.mp4"' in page.read_text(encoding="utf-8")
    # A page left from an earlier run is refused before any upload, like any other output.
    for path in (tmp_path / "out").iterdir():
        if path != page:
            path.unlink()
    uploads = emulator.stats()["uploads"]
    res = run_cli("run", str(video), "-t", "fr", "-o", str(tmp_path / "out" / "cut1.mkv"), "--preview", env=gladia_env)
    assert res.returncode == 2 and f"{page}: already exists" in res.stderr, res.stderr
    assert emulator.stats()["uploads"] == uploads and sorted((tmp_path / "out").iterdir()) == [page]


def test_batch_preview_writes_each_page_and_an_index(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    a = copy_sample("talk.mp4", tmp_path, "a.mp4")
    b = copy_sample("bonjour.mkv", tmp_path, "b.mkv")
    out = tmp_path / "out"
    res = run_cli("batch", str(a), str(b), str(tmp_path / "missing.mp4"), "-t", "fr", "--sidecars-only", "-d", str(out), "--preview",
                  "--report", str(tmp_path / "report.json"), env=gladia_env)
    assert res.returncode == 1, res.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["index"] == str(tmp_path / "index.html")
    items = {Path(i["input"]).name: i for i in report["items"]}
    assert items["a.mp4"]["status"] == "done" and str(out / "a.preview.html") in items["a.mp4"]["outputs"]
    assert items["missing.mp4"]["status"] == "failed"
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert html.count("<tr data-n=") == 3 and 'href="out/a.preview.html"' in html and 'href="report.json"' in html
    # b.mkv (sidecars only: the input is played) is Matroska: its page plays a proxy.
    assert (out / "b.proxy.mp4").is_file() and facts(out / "b.preview.html")["video"] == str(out / "b.proxy.mp4")


def test_the_review_pages_sit_below_the_stages() -> None:
    """``subtool.review`` is called by the stages (``flow.preview``) and the batch: it imports
    neither them nor the library or the command line, and prints nothing."""
    from test_layering import PRINTING, _calls, _imports, _inside, _of, _subtool

    modules = _of("subtool.review")
    assert {"subtool.review.page", "subtool.review.index", "subtool.review.tracks", "subtool.review.render"} <= set(modules)
    for name, path in modules.items():
        bad = {i for i in _subtool(_imports(path)) if _inside(i, "subtool.flow", "subtool.batch", "subtool.api", "subtool.cli")}
        assert not bad, f"{name} imports {sorted(bad)}"
        assert not _calls(path) & set(PRINTING), name


def test_audio_only_and_a_legacy_code_page(tmp_path: Path) -> None:
    audio = copy_sample("memo.mp3", tmp_path)
    sub = tmp_path / "memo.fr.srt"
    sub.write_bytes("1\n00:00:00,500 --> 00:00:02,000\nOù est-ce qu'on déjeune ?\n".encode("cp1252"))
    result = subtool.preview(audio, [sub])
    assert result.proxy is None and result.video == str(audio)  # browsers play MP3 as it is
    html = Path(result.page).read_text(encoding="utf-8")
    assert "Où est-ce qu&#x27;on déjeune ?" in html and result.tracks[0].notes  # the code page read is said


def test_run_preview_with_no_speech_says_why_there_is_no_page(tmp_path: Path, gladia_env: dict[str, str]) -> None:
    video = tmp_path / "silence.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=3", "-f", "lavfi", "-i",
                    "anullsrc=r=16000:cl=mono", "-t", "3", "-c:v", "libx264", "-c:a", "aac", str(video)], check=True)
    res = run_cli("run", str(video), "--sidecars-only", "--preview", env=gladia_env)
    assert res.returncode == 0, res.stderr
    assert "no subtitles were made, so no preview page was written" in res.stderr
    assert not (tmp_path / "silence.preview.html").exists()


def test_preview_of_a_delivered_video_finds_its_inputs_sidecars_and_keeps_burned_subtitles_clear(
        tmp_path: Path, gladia_env: dict[str, str]) -> None:
    video = copy_sample("talk.mp4", tmp_path)
    res = run_cli("run", str(video), "-t", "fr", "--mux", "mkv-multi", env=gladia_env)
    assert res.returncode == 0, res.stderr
    muxed = tmp_path / "talk.subtitled.mkv"
    res = run_cli("preview", str(muxed), "--json")
    assert res.returncode == 0, res.stderr
    got = facts(tmp_path / "talk.subtitled.preview.html")
    assert sorted(Path(t["path"]).name for t in got["tracks"]) == ["talk.en.srt", "talk.fr.srt"]
    assert got["engine"] == "gladia" and got["burned"] is None
    assert "<track" in (html := (tmp_path / "talk.subtitled.preview.html").read_text(encoding="utf-8")) and " default>" in html
    # French burned in: the page's English soft track must not be shown over it.
    res = run_cli("run", str(video), "-t", "fr", "--burn", "clean", "--preview", "--force", "--json", env=gladia_env)
    assert res.returncode == 0, res.stderr
    burned = Path(json.loads(res.stdout)["results"][0]["output"])
    assert burned.name.startswith("talk.fr.burned.")
    page = tmp_path / "talk.preview.html"
    html = page.read_text(encoding="utf-8")
    assert html.count("<track") == 2 and " default>" not in html and 'data-burned="1"' in html
    assert facts(page)["burned"] == "fr" and "burned in" in html
    # Its own page, by `subtool preview` on the burned video, says so too.
    res = run_cli("preview", str(burned), "--json")
    assert res.returncode == 0, res.stderr
    page = burned.with_name("talk.fr.burned.preview.html")
    assert facts(page)["burned"] == "fr" and " default>" not in page.read_text(encoding="utf-8")
    # A video named after nothing beside it still says what to pass.
    (tmp_path / "lone").mkdir()
    lone = copy_sample("talk.mp4", tmp_path / "lone", "x.subtitled.mp4")
    res = run_cli("preview", str(lone))
    assert res.returncode == 2 and "named after it or after x" in res.stderr and res.stderr.count("\n") == 1, res.stderr
