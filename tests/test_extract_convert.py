"""``subtool extract`` and ``subtool convert`` as a user runs them: the console script in a
subprocess on files made here (lavfi video, SubRip/ASS/WebVTT tracks, a PGS track written byte by
byte), read back with ffprobe and pysubs2."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pysubs2
import pytest
from conftest import ffprobe_json, run_cli

EN = "1\n00:00:00,500 --> 00:00:02,000\nHello there.\n\n2\n00:00:02,500 --> 00:00:04,250\nA second <i>English</i> cue.\n"
FR = "1\n00:00:00,600 --> 00:00:02,100\nBonjour à tous.\n\n2\n00:00:02,600 --> 00:00:04,100\nDeuxième réplique.\n"
DE = "1\n00:00:01,000 --> 00:00:03,000\nNur das Nötigste.\n"
ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 1920
PlayResY: 1080

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,54,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1
Style: Sign,Arial,40,&H0000FFFF,&H000000FF,&H00000000,&H00000000,1,0,0,0,100,100,0,0,1,2,0,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:02.00,Default,,0,0,0,,Hola a todos.
Dialogue: 0,0:00:02.50,0:00:04.00,Sign,,0,0,0,,{\\pos(960,100)\\c&H0000FF&}CALLE MAYOR
"""


def _texts(path: Path) -> list[str]:
    return [e.plaintext for e in pysubs2.load(str(path))]


def _timed(path: Path) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.plaintext) for e in pysubs2.load(str(path))]


def _video(*extra: str) -> list[str]:
    """ffmpeg arguments of a 5-second lavfi video followed by ``extra`` inputs (no audio: an AAC
    encoder's priming would move every stream 23 ms later, in the file itself)."""
    return ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=5", *extra]


def _pgs(path: Path) -> None:
    """A Blu-ray PGS (.sup) stream of one 64x16 picture shown from 1 s to 2 s, segment by segment."""
    def seg(pts: int, kind: int, data: bytes) -> bytes:
        return b"PG" + struct.pack(">IIBH", pts, 0, kind, len(data)) + data

    def display(pts: int, show: bool) -> bytes:
        objects = struct.pack(">HBBHH", 0, 0, 0, 10, 10) if show else b""
        out = seg(pts, 0x16, struct.pack(">HHBHBBBB", 1920, 1080, 0x10, 1 if show else 2, 0x80 if show else 0, 0, 0, int(show)) + objects)
        out += seg(pts, 0x17, struct.pack(">BBHHHH", 1, 0, 10, 10, 64, 16))
        if show:
            out += seg(pts, 0x14, bytes([0, 0, 0, 16, 128, 128, 0, 1, 235, 128, 128, 255]))
            rle = bytes([0x00, 0x40, 64, 0x00, 0x00]) * 16
            out += seg(pts, 0x15, struct.pack(">HBB", 0, 0, 0xC0) + (len(rle) + 4).to_bytes(3, "big") + struct.pack(">HH", 64, 16) + rle)
        return out + seg(pts, 0x80, b"")

    path.write_bytes(display(90_000, True) + display(180_000, False))


@pytest.fixture
def mkv(tmp_path: Path) -> Path:
    """English SubRip, French SubRip, a forced German one, Spanish ASS, and an English PGS track."""
    for name, text in (("en.srt", EN), ("fr.srt", FR), ("de.srt", DE), ("es.ass", ASS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    _pgs(tmp_path / "signs.sup")
    subs = ["en.srt", "fr.srt", "de.srt", "es.ass", "signs.sup"]
    args = _video(*[x for s in subs for x in ("-i", s)])
    args += ["-map", "0", *[x for i in range(len(subs)) for x in ("-map", str(i + 1))], "-c:v", "libx264", "-preset", "ultrafast", "-c:s", "copy"]
    for i, code in enumerate(("eng", "fre", "ger", "spa", "eng")):
        args += [f"-metadata:s:s:{i}", f"language={code}"]
    args += ["-disposition:s:2", "forced", "film.mkv"]
    subprocess.run(args, cwd=tmp_path, check=True)
    return tmp_path / "film.mkv"


def test_extract_every_text_track_of_an_mkv_and_refuse_pgs_by_name(mkv: Path, tmp_path: Path) -> None:
    out = tmp_path / "subs"
    before = mkv.read_bytes()
    res = run_cli("extract", str(mkv), "-d", str(out), "--json")
    assert res.returncode == 3, res.stderr  # one stream refused: the others are written
    doc = json.loads(res.stdout)
    written = {Path(t["output"]).name: t for t in doc if t["output"]}
    assert sorted(written) == ["film.de.forced.srt", "film.en.srt", "film.es.ass", "film.fr.srt"]
    assert _timed(out / "film.en.srt") == _timed(tmp_path / "en.srt")
    assert _timed(out / "film.fr.srt") == _timed(tmp_path / "fr.srt")
    assert _timed(out / "film.de.forced.srt") == _timed(tmp_path / "de.srt")
    assert _texts(out / "film.es.ass")[1] == "CALLE MAYOR" and "\\pos(960,100)" in (out / "film.es.ass").read_text(encoding="utf-8")
    [pgs] = [t for t in doc if t["output"] is None]
    assert pgs["codec"] == "hdmv_pgs_subtitle" and "PGS" in pgs["refused"] and "OCR" in pgs["refused"]
    assert f"stream #{pgs['stream']} (en): PGS (Blu-ray) subtitles are pictures of text" in res.stderr
    assert mkv.read_bytes() == before  # the input is untouched
    # The same again: every file exists, nothing is written over without --force.
    again = run_cli("extract", str(mkv), "-d", str(out))
    assert again.returncode == 2 and "already exists. Pass --force" in again.stderr and len(again.stderr.strip().splitlines()) == 1


def test_extract_one_language_in_another_format_and_only_pgs(mkv: Path, tmp_path: Path) -> None:
    res = run_cli("extract", str(mkv), "--lang", "fr", "--format", "vtt")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(tmp_path / "film.fr.vtt")
    assert _timed(tmp_path / "film.fr.vtt") == _timed(tmp_path / "fr.srt")
    none = run_cli("extract", str(mkv), "--lang", "ja")
    assert none.returncode == 3 and "has no subtitle stream in ja" in none.stderr and "#1 en, #2 fr" in none.stderr
    bad = run_cli("extract", str(tmp_path / "missing.mkv"))
    assert bad.returncode == 3 and "missing.mkv" in bad.stderr and "Traceback" not in bad.stderr


def test_extract_mov_text_from_mp4(tmp_path: Path) -> None:
    for name, text in (("en.srt", EN), ("fr.srt", FR)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    args = _video("-i", "en.srt", "-i", "fr.srt")
    args += ["-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:s", "mov_text",
             "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fra", "clip.mp4"]
    subprocess.run(args, cwd=tmp_path, check=True)
    assert [s["codec_name"] for s in ffprobe_json(tmp_path / "clip.mp4")["streams"] if s["codec_type"] == "subtitle"] == ["mov_text"] * 2
    res = run_cli("extract", str(tmp_path / "clip.mp4"), "--json")
    assert res.returncode == 0, res.stderr
    assert [(t["language"], t["format"]) for t in json.loads(res.stdout)] == [("en", "srt"), ("fr", "srt")]
    assert _timed(tmp_path / "clip.en.srt") == _timed(tmp_path / "en.srt")  # the italic tag is mov_text's to keep or not; the text is
    assert _timed(tmp_path / "clip.fr.srt") == _timed(tmp_path / "fr.srt")


def test_convert_round_trip_keeps_texts_and_times(tmp_path: Path) -> None:
    src = tmp_path / "talk.en.srt"
    src.write_text(EN + "\n3\n00:00:05,120 --> 00:00:06,990\nTwo lines,\nkept as two.\n", encoding="utf-8")
    steps = [("vtt", "talk.en.vtt"), ("ass", "talk.en.ass")]
    current = src
    for fmt, name in steps:
        res = run_cli("convert", str(current), "--to", fmt)
        assert res.returncode == 0, res.stderr
        current = tmp_path / name
        assert res.stdout.strip() == str(current)
        assert "warning" not in res.stderr  # nothing dropped: the times fall on whole hundredths
    back = tmp_path / "back" / "talk.en.srt"
    res = run_cli("convert", str(current), "--to", "srt", "-o", str(back), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)[0]["cues"] == 3
    assert _timed(back) == _timed(src)  # texts and times to the millisecond
    # A time between hundredths: ASS cannot keep it, and says so; the round trip is then within 5 ms.
    odd = tmp_path / "odd.srt"
    odd.write_text("1\n00:00:05,123 --> 00:00:06,987\nOdd times.\n", encoding="utf-8")
    res = run_cli("convert", str(odd), "--to", "ass")
    assert res.returncode == 0 and "ASS keeps times to the hundredth of a second: 2 cue time(s) rounded" in res.stderr
    assert run_cli("convert", str(tmp_path / "odd.ass"), "--to", "srt", "-o", str(tmp_path / "odd2.srt")).returncode == 0
    [(start, end, _)] = _timed(tmp_path / "odd2.srt")
    assert abs(start - 5123) <= 5 and abs(end - 6987) <= 5
    assert "Two lines,\nkept as two." in [e.plaintext for e in pysubs2.load(str(back))]
    # Never over an input, nor over an output without --force.
    same = run_cli("convert", str(src), "--to", "srt")
    assert same.returncode == 2 and "would replace its input" in same.stderr
    again = run_cli("convert", str(src), "--to", "vtt")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert run_cli("convert", str(src), "--to", "vtt", "--force").returncode == 0


def test_convert_fps_pal_speed_up(tmp_path: Path) -> None:
    src = tmp_path / "film.srt"
    src.write_text("1\n00:01:40,000 --> 00:01:42,000\nA cue at 100 seconds.\n", encoding="utf-8")
    res = run_cli("convert", str(src), "--to", "srt", "--fps", "23.976:25", "-o", str(tmp_path / "pal.srt"))
    assert res.returncode == 0, res.stderr
    [(start, end, _)] = _timed(tmp_path / "pal.srt")
    assert (start, end) == (95_904, 97_822)  # 100 s x 23.976/25 = 95.904 s
    back = run_cli("convert", str(tmp_path / "pal.srt"), "--to", "srt", "--fps", "25:23.976", "-o", str(tmp_path / "film2.srt"))
    assert back.returncode == 0 and _timed(tmp_path / "film2.srt")[0][:2] == (100_000, 102_000)
    for bad in ("25", "0:25", "a:b", "23.976:25:30"):
        res = run_cli("convert", str(src), "--to", "srt", "--fps", bad, "-o", str(tmp_path / "x.srt"))
        assert res.returncode == 2 and "--fps" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x.srt").exists()


def test_convert_shift_clamps_at_zero_with_a_warning(tmp_path: Path) -> None:
    src = tmp_path / "talk.srt"
    src.write_text("1\n00:00:00,500 --> 00:00:01,000\nGone.\n\n2\n00:00:01,000 --> 00:00:03,000\nClamped.\n\n"
                   "3\n00:00:05,000 --> 00:00:06,000\nMoved.\n", encoding="utf-8")
    res = run_cli("convert", str(src), "--to", "vtt", "--shift", "-1.5", "--json")
    assert res.returncode == 0, res.stderr
    assert _timed(tmp_path / "talk.vtt") == [(0, 1500, "Clamped."), (3500, 4500, "Moved.")]
    [doc] = json.loads(res.stdout)
    assert doc["cues"] == 2 and "moved 2 cue(s) before 0:00" in doc["warnings"][0] and "1 would have ended before it" in doc["warnings"][0]
    assert "warning: " in res.stderr and "--shift -1.5" in res.stderr
    later = run_cli("convert", str(src), "--to", "srt", "--shift", "+2", "-o", str(tmp_path / "later.srt"))
    assert later.returncode == 0 and _timed(tmp_path / "later.srt")[0][:2] == (2500, 3000) and "warning" not in later.stderr
    bad = run_cli("convert", str(src), "--to", "srt", "--shift", "soon", "-o", str(tmp_path / "y.srt"))
    assert bad.returncode == 2 and "is not a number of seconds" in bad.stderr


def test_convert_says_what_a_format_drops(tmp_path: Path) -> None:
    (tmp_path / "signs.es.ass").write_text(ASS, encoding="utf-8")
    res = run_cli("convert", str(tmp_path / "signs.es.ass"), "--to", "srt")
    assert res.returncode == 0, res.stderr
    assert "cannot carry ASS styles, positions and colours" in res.stderr
    assert _texts(tmp_path / "signs.es.srt") == ["Hola a todos.", "CALLE MAYOR"]
    (tmp_path / "pos.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000 line:10% align:start\nUp here.\n", encoding="utf-8")
    res = run_cli("convert", str(tmp_path / "pos.vtt"), "--to", "srt")
    assert res.returncode == 0 and "cue settings (position, line, alignment) are dropped" in res.stderr
    plain = run_cli("convert", str(tmp_path / "signs.es.srt"), "--to", "vtt")
    assert plain.returncode == 0 and "warning" not in plain.stderr


def test_convert_unreadable_file_is_one_line_and_the_others_go_on(tmp_path: Path) -> None:
    (tmp_path / "ok.srt").write_text(FR, encoding="utf-8")
    (tmp_path / "junk.srt").write_bytes(b"\x00\x01 not subtitles at all \xff" * 20)
    res = run_cli("convert", str(tmp_path / "junk.srt"), str(tmp_path / "ok.srt"), "--to", "vtt", "-d", str(tmp_path / "out"))
    assert res.returncode == 3
    assert [line for line in res.stderr.splitlines() if "junk.srt" in line] and "Traceback" not in res.stderr
    assert (tmp_path / "out" / "ok.vtt").exists() and not (tmp_path / "out" / "junk.vtt").exists()
    two = run_cli("convert", str(tmp_path / "ok.srt"), str(tmp_path / "junk.srt"), "--to", "vtt", "-o", str(tmp_path / "one.vtt"))
    assert two.returncode == 2 and "-o names one output file" in two.stderr
