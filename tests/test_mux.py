"""subtool mux: outputs checked with ffprobe (streams, codecs, tags, dispositions) and packet hashes."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from conftest import SUBTOOL, ffprobe_json, run_cli

from subtool import languages
from subtool.errors import LanguageError
from subtool.media.mux import mux, parse_track_arg
from subtool.models import SubtitleTrack

CUES = {
    "fr": "Bonjour tout le monde",
    "es": "Hola a todos",
    "de": "Hallo zusammen",
    "en": "Hello everyone",
    "ja": "こんにちは",
}


def _ff(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _srt(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(f"1\n00:00:00,200 --> 00:00:01,500\n{text}\n\n2\n00:00:01,600 --> 00:00:01,900\n{text}!\n\n".encode(encoding))
    return path


def _vtt(path: Path, text: str) -> Path:
    path.write_text(f"WEBVTT\n\n00:00.200 --> 00:01.500\n{text}\n", encoding="utf-8")
    return path


ASS_HEADER = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,DejaVu Sans,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,1,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


def _ass(path: Path, text: str) -> Path:
    path.write_text(ASS_HEADER + f"Dialogue: 0,0:00:00.20,0:00:01.50,Default,,0,0,0,,{{\\an8}}{{\\c&H0000FF&}}{text}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("muxmedia")
    _ff("-f", "lavfi", "-i", "testsrc=s=320x180:d=2:r=25", "-f", "lavfi", "-i", "sine=d=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-shortest", str(d / "clip.mp4"))
    _ff("-f", "lavfi", "-i", "testsrc=s=160x90:d=1:r=10", "-f", "lavfi", "-i", "sine=d=1",
        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "50k", "-c:a", "libopus", "-b:a", "24k",
        "-shortest", str(d / "clip.webm"))
    return d


@pytest.fixture()
def work(tmp_path: Path, media: Path) -> Path:
    for name in ("clip.mp4", "clip.webm"):
        (tmp_path / name).write_bytes((media / name).read_bytes())
    for lang in ("fr", "es", "de"):
        _srt(tmp_path / f"clip.{lang}.srt", CUES[lang])
    _vtt(tmp_path / "clip.ja.vtt", CUES["ja"])
    _ass(tmp_path / "clip.en.ass", CUES["en"])
    return tmp_path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _av_hashes(path: Path) -> list[str]:
    """MD5 of every video and audio packet's data, per stream (container-independent)."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", f"file:{path}", "-map", "0:v", "-map", "0:a", "-c", "copy",
                          "-f", "streamhash", "-hash", "md5", "-"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def _subs(path: Path) -> list[dict]:
    return [s for s in ffprobe_json(path)["streams"] if s["codec_type"] == "subtitle"]


def _extract(path: Path, index: int) -> str:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", f"file:{path}", "-map", f"0:s:{index}", "-f", "srt", "-"],
                          capture_output=True, text=True, check=True).stdout


def test_mp4_three_languages_tags_titles_dispositions_and_stream_copy(work: Path) -> None:
    video = work / "clip.mp4"
    before = _sha(video)
    out = work / "out.mp4"
    r = run_cli("mux", str(video), str(work / "clip.fr.srt"), str(work / "clip.es.srt"), str(work / "clip.de.srt"),
                str(work / "clip.en.ass"), "-o", str(out), "--default", "es", "--forced", "de")
    assert r.returncode == 0, r.stderr
    info = ffprobe_json(out)
    assert [s["codec_type"] for s in info["streams"]] == ["video", "audio", "subtitle", "subtitle", "subtitle", "subtitle"]
    subs = _subs(out)
    assert [s["codec_name"] for s in subs] == ["mov_text"] * 4
    assert [s["tags"]["language"] for s in subs] == ["fra", "spa", "deu", "eng"]
    assert [s["tags"]["handler_name"] for s in subs] == ["Français", "Español", "Deutsch (forced)", "English"]  # a forced track says so
    assert [s["disposition"]["default"] for s in subs] == [0, 1, 0, 0]
    assert [s["disposition"]["forced"] for s in subs] == [0, 0, 1, 0]
    assert "Hola a todos" in _extract(out, 1)
    # the ASS track's positioning and colour are lost in mov_text, and the user is told
    assert "clip.en.ass" in r.stderr and "mov_text" in r.stderr and "positioning" in r.stderr
    assert _av_hashes(out) == _av_hashes(video)
    assert _sha(video) == before
    assert not list(work.glob("*.subtool-part*"))


def test_mkv_keeps_source_formats_bibliographic_codes_and_preset_default(work: Path) -> None:
    video = work / "clip.mp4"
    (work / "clip.fr.srt").rename(work / "clip.fr.forced.srt")
    r = run_cli("mux", str(video), str(work / "clip.fr.forced.srt"), str(work / "clip.en.ass"), str(work / "clip.ja.vtt"),
                str(work / "clip.de.srt"), "--preset", "mkv-multi", "--json")
    assert r.returncode == 0, r.stderr
    out = work / "clip.subtitled.mkv"  # the documented default name
    doc = json.loads(r.stdout)
    assert doc["output"] == str(out) and doc["container"] == "mkv"
    subs = _subs(out)
    assert [s["codec_name"] for s in subs] == ["subrip", "ass", "webvtt", "subrip"]
    assert [s["tags"]["language"] for s in subs] == ["fre", "eng", "jpn", "ger"]
    assert [s["tags"]["title"] for s in subs] == ["Français (forced)", "English", "日本語", "Deutsch"]
    assert [s["disposition"]["default"] for s in subs] == [1, 0, 0, 0]  # mkv-multi: the first is the default
    assert [s["disposition"]["forced"] for s in subs] == [1, 0, 0, 0]  # from the .forced. sidecar name
    # results speak BCP 47; the container's own code is beside it
    assert [t["language"] for t in doc["tracks"]] == ["fr", "en", "ja", "de"]
    assert [t["container_code"] for t in doc["tracks"]] == ["fre", "eng", "jpn", "ger"]
    # MKV keeps the ASS styling: no loss warning
    assert "positioning" not in r.stderr
    assert _av_hashes(out) == _av_hashes(video)


def test_webm_from_vp9_opus_gets_webvtt_tracks(work: Path) -> None:
    video = work / "clip.webm"
    before = _sha(video)
    out = work / "out.webm"
    r = run_cli("mux", str(video), f"{work / 'clip.fr.srt'}", f"{work / 'clip.ja.vtt'}", f"{work / 'clip.es.srt'}:es",
                "-o", str(out), "--preset", "webm-vtt")
    assert r.returncode == 0, r.stderr
    info = ffprobe_json(out)
    assert [s["codec_name"] for s in info["streams"]] == ["vp9", "opus", "webvtt", "webvtt", "webvtt"]
    subs = _subs(out)
    assert [s["tags"]["language"] for s in subs] == ["fre", "jpn", "spa"]
    assert [s["tags"]["title"] for s in subs] == ["Français", "日本語", "Español"]
    assert [s["disposition"]["default"] for s in subs] == [1, 0, 0]
    assert _av_hashes(out) == _av_hashes(video)
    assert _sha(video) == before


def test_webm_from_h264_is_refused_with_the_reason_and_mkv(work: Path) -> None:
    out = work / "out.webm"
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "clip.fr.srt"), "-o", str(out))
    assert r.returncode == 2
    assert "h264" in r.stderr and "aac" in r.stderr and ".mkv" in r.stderr and "--reencode" in r.stderr
    assert not out.exists()
    assert len(r.stderr.strip().splitlines()) == 1


def test_webm_reencode_makes_vp9_opus(work: Path) -> None:
    out = work / "out.webm"
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "clip.fr.srt"), str(work / "clip.es.srt"), "-o", str(out), "--reencode")
    assert r.returncode == 0, r.stderr
    assert [s["codec_name"] for s in ffprobe_json(out)["streams"]] == ["vp9", "opus", "webvtt", "webvtt"]


def test_mov_writes_the_codes_quicktime_keeps(work: Path) -> None:
    out = work / "out.mov"
    _srt(work / "clip.zh.srt", "大家好")
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "clip.fr.srt"), str(work / "clip.de.srt"), str(work / "clip.zh.srt"),
                str(work / "clip.es.srt"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    subs = _subs(out)
    # ffmpeg's QuickTime table holds fra, ger, chi, spa: the other forms (fre, deu, zho) would be dropped
    assert [s["tags"].get("language") for s in subs] == ["fra", "ger", "chi", "spa"]
    assert [s["tags"]["handler_name"] for s in subs] == ["Français", "Deutsch", "中文", "Español"]


def test_unknown_language_refused_unless_allow_und(work: Path) -> None:
    _srt(work / "notes.srt", "No language here")
    out = work / "out.mkv"
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "notes.srt"), "-o", str(out))
    assert r.returncode == 2 and "notes.srt" in r.stderr and "--allow-und" in r.stderr
    assert not out.exists()
    r = run_cli("mux", str(work / "clip.mp4"), f"{work / 'notes.srt'}:xx", "-o", str(out))
    assert r.returncode == 2 and "'xx'" in r.stderr
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "notes.srt"), "-o", str(out), "--allow-und")
    assert r.returncode == 0, r.stderr
    (sub,) = _subs(out)
    # ffmpeg writes Matroska's Language "und", and its demuxer reports "und" as no tag
    assert sub["tags"].get("language", "und") == "und" and "title" not in sub["tags"]
    assert sub["tags"].get("language") != "eng"  # not Matroska's implicit default


def test_existing_output_refused_without_force_and_output_not_input(work: Path) -> None:
    video = work / "clip.mp4"
    out = work / "out.mkv"
    out.write_bytes(b"keep me")
    r = run_cli("mux", str(video), str(work / "clip.fr.srt"), "-o", str(out))
    assert r.returncode == 2 and "already exists" in r.stderr and "--force" in r.stderr
    assert out.read_bytes() == b"keep me"
    r = run_cli("mux", str(video), str(work / "clip.fr.srt"), "-o", str(out), "--force")
    assert r.returncode == 0 and len(_subs(out)) == 1
    before = _sha(video)
    r = run_cli("mux", str(video), str(work / "clip.fr.srt"), "-o", str(video), "--force")
    assert r.returncode == 2 and "overwrite the input" in r.stderr
    assert _sha(video) == before


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff\xfe garbage \x00" * 50, b"just some words, no timing\n"])
def test_unreadable_subtitle_exit_3(work: Path, content: bytes) -> None:
    bad = work / "bad.fr.srt"
    bad.write_bytes(content)
    out = work / "out.mkv"
    r = run_cli("mux", str(work / "clip.mp4"), str(bad), "-o", str(out))
    assert r.returncode == 3, r.stderr
    assert "bad.fr.srt" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_missing_subtitle_and_missing_video(work: Path) -> None:
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "nope.fr.srt"), "-o", str(work / "o.mkv"))
    assert r.returncode == 3 and "nope.fr.srt" in r.stderr
    r = run_cli("mux", str(work / "nope.mp4"), str(work / "clip.fr.srt"), "-o", str(work / "o.mkv"))
    assert r.returncode == 3 and "nope.mp4" in r.stderr


@pytest.mark.parametrize("encoding", ["cp1251", "utf-16"])
def test_legacy_encoding_is_converted_to_utf8(work: Path, encoding: str) -> None:
    text = "Привет, как у тебя дела сегодня? Я думаю, что мы должны пойти домой. Это очень интересная история."
    sub = _srt(work / "clip.ru.srt", text, encoding=encoding)
    before = _sha(sub)
    out = work / "out.mkv"
    r = run_cli("mux", str(work / "clip.mp4"), str(sub), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert text in _extract(out, 0)
    assert _sha(sub) == before


def test_existing_tracks_kept_with_explicit_dispositions_or_replaced(work: Path) -> None:
    first = work / "first.mkv"
    assert run_cli("mux", str(work / "clip.mp4"), str(work / "clip.fr.srt"), str(work / "clip.es.srt"), "-o", str(first),
                   "--default", "fr").returncode == 0
    second = work / "second.mp4"
    r = run_cli("mux", str(first), str(work / "clip.de.srt"), "-o", str(second), "--default", "de")
    assert r.returncode == 0, r.stderr
    subs = _subs(second)
    assert [s["codec_name"] for s in subs] == ["mov_text"] * 3  # the MKV's SRT tracks converted for MP4
    # kept tracks re-tagged in the codes this container takes, titled like new ones
    assert [s["tags"]["language"] for s in subs] == ["fra", "spa", "deu"]
    assert [s["tags"]["handler_name"] for s in subs] == ["Français", "Español", "Deutsch"]
    assert [s["disposition"]["default"] for s in subs] == [0, 0, 1]  # exactly one default
    mov = work / "second.mov"  # MOV drops codes outside its QuickTime table ('fre' came out untagged)
    r = run_cli("mux", str(first), str(work / "clip.de.srt"), "-o", str(mov), "--json")
    assert r.returncode == 0, r.stderr
    assert [s["tags"].get("language") for s in _subs(mov)] == [t["container_code"] for t in json.loads(r.stdout)["tracks"]] == ["fra", "spa", "ger"]
    third = work / "third.mkv"
    r = run_cli("mux", str(first), str(work / "clip.de.srt"), "-o", str(third), "--replace")
    assert r.returncode == 0, r.stderr
    subs = _subs(third)
    assert [s["tags"]["language"] for s in subs] == ["ger"]
    assert [s["disposition"]["default"] for s in subs] == [0]


def test_mp4_cannot_say_no_default_and_says_so(work: Path) -> None:
    out = work / "none.mp4"
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "clip.fr.srt"), str(work / "clip.es.srt"), "--default", "none", "-o", str(out), "--json")
    assert r.returncode == 0, r.stderr
    reported = [t["default"] for t in json.loads(r.stdout)["tracks"]]
    assert reported == [s["disposition"]["default"] == 1 for s in _subs(out)] == [True, False]  # what the file holds
    assert "no way to mark no subtitle track as default" in r.stderr
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "clip.fr.srt"), "--default", "none", "-o", str(work / "none.mkv"), "--json")
    assert [s["disposition"]["default"] for s in _subs(work / "none.mkv")] == [0] and "no way" not in r.stderr


def test_overlapping_webvtt_trimmed_only_for_mov_text(work: Path) -> None:
    vtt = work / "clip.en.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nFirst\n\n00:00:02.000 --> 00:00:03.000\nSecond\n", encoding="utf-8")
    r = run_cli("mux", str(work / "clip.mp4"), str(vtt), "-o", str(work / "ov.mp4"))
    assert r.returncode == 0, r.stderr
    assert "1 overlapping cue(s) trimmed" in r.stderr
    packets = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "s", "-show_entries", "packet=pts_time,duration_time",
                              "-of", "csv=p=0", str(work / "ov.mp4")], capture_output=True, text=True, check=True).stdout.split()
    assert "1.000000,1.000000" in packets  # First ends where Second starts
    r = run_cli("mux", str(work / "clip.mp4"), str(vtt), "-o", str(work / "ov.mkv"))
    assert r.returncode == 0 and "trimmed" not in r.stderr  # Matroska keeps the WebVTT as it is


def test_ffmpeg_killed_by_a_signal_is_named_and_leaves_nothing(work: Path) -> None:
    import resource

    def small_files() -> None:  # a file-size limit below the output's size: the kernel kills ffmpeg
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    proc = subprocess.run([SUBTOOL, "mux", str(work / "clip.mp4"), str(work / "clip.fr.srt"), "-o", str(work / "o.mkv")],
                          capture_output=True, text=True, preexec_fn=small_files)
    assert proc.returncode == 1
    assert "ffmpeg (mux) was killed by SIGXFSZ" in proc.stderr and "Traceback" not in proc.stderr
    assert not (work / "o.mkv").exists() and not list(work.glob(".*subtool-part*"))


def test_default_language_must_exist(work: Path) -> None:
    r = run_cli("mux", str(work / "clip.mp4"), str(work / "clip.fr.srt"), "-o", str(work / "o.mkv"), "--default", "it")
    assert r.returncode == 2 and "--default it" in r.stderr
    assert not (work / "o.mkv").exists()


def test_library_mux_result_and_warning_callback(work: Path) -> None:
    seen: list[str] = []
    tracks = [SubtitleTrack(str(work / "clip.en.ass"), "en"), SubtitleTrack(str(work / "clip.fr.srt"), "fr", title="VF")]
    result = mux(work / "clip.mp4", tracks, work / "lib.mp4", default="fr", on_warning=seen.append)
    assert result.container == "mp4"
    assert [(t.language, t.title, t.default, t.codec) for t in result.tracks] == [
        ("en", "English", False, "mov_text"), ("fr", "VF", True, "mov_text")]
    assert seen == result.warnings and len(seen) == 1
    subs = _subs(work / "lib.mp4")
    assert [s["tags"]["handler_name"] for s in subs] == ["English", "VF"]


def test_parse_track_arg_with_colons_in_paths(tmp_path: Path) -> None:
    weird = tmp_path / "a:b.en.srt"
    _srt(weird, "x")
    assert parse_track_arg(str(weird)) == SubtitleTrack(str(weird), "en")
    assert parse_track_arg(f"{weird}:fr").language == "fr"
    assert parse_track_arg(f"{weird}:pt-BR").language == "pt-BR"
    colon_tail = tmp_path / "take:de"
    _srt(colon_tail, "x")
    assert parse_track_arg(str(colon_tail)) == SubtitleTrack(str(colon_tail), None)  # the whole name exists: no language
    assert parse_track_arg("talk.fr.forced.srt") == SubtitleTrack("talk.fr.forced.srt", "fr", forced=True)
    assert parse_track_arg("talk.srt:es").path == "talk.srt"
    assert parse_track_arg("C:\\subs\\talk.srt").language is None
    with pytest.raises(LanguageError):
        parse_track_arg(f"{weird}:qq")
    assert languages.normalize("fre") == "fr"


def test_odd_file_names(work: Path) -> None:
    name = "it's: a, [te\\st];x é"
    video = work / f"{name}.mp4"
    video.write_bytes((work / "clip.mp4").read_bytes())
    sub = work / f"{name}.fr.srt"
    sub.write_bytes((work / "clip.fr.srt").read_bytes())
    r = run_cli("mux", str(video), str(sub), str(work / "clip.es.srt"))
    assert r.returncode == 0, r.stderr
    out = work / f"{name}.subtitled.mkv"
    assert [s["tags"]["language"] for s in _subs(out)] == ["fre", "spa"]


def _audio_hash(path: Path) -> str:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", f"file:{path}", "-map", "0:a", "-c", "copy", "-f", "streamhash", "-"],
                          capture_output=True, text=True, check=True).stdout


def test_vp9_opus_webm_goes_into_mp4_as_it_is_but_not_into_mov(work: Path) -> None:
    # ffmpeg 5.1 writes VP9 and Opus in MP4 ("only supported in MP4" for MOV)
    out = work / "out.mp4"
    r = run_cli("mux", str(work / "clip.webm"), str(work / "clip.fr.srt"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert [s["codec_name"] for s in ffprobe_json(out)["streams"]] == ["vp9", "opus", "mov_text"]
    assert _av_hashes(out) == _av_hashes(work / "clip.webm")
    r = run_cli("mux", str(work / "clip.webm"), str(work / "clip.fr.srt"), "-o", str(work / "out.mov"))
    assert r.returncode == 2 and "MOV cannot carry" in r.stderr and "video vp9, audio opus" in r.stderr
    assert "Use .mkv or .mp4" in r.stderr and "--reencode" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (work / "out.mov").exists()


def test_wmv_into_mp4_refused_with_reason_then_reencoded_to_h264_aac(work: Path) -> None:
    video = work / "talk.wmv"
    _ff("-f", "lavfi", "-i", "testsrc=s=160x90:d=1:r=10", "-f", "lavfi", "-i", "sine=d=1", "-c:v", "wmv2", "-c:a", "wmav2",
        "-shortest", str(video))
    before = _sha(video)
    out = work / "talk.mp4"
    r = run_cli("mux", str(video), str(work / "clip.fr.srt"), str(work / "clip.es.srt"), "-o", str(out))
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1 and "talk.wmv" in line
    assert "MP4 cannot carry this input's video wmv2, audio wmav2" in line and "Use .mkv or .mov" in line
    assert "--reencode" in line and "H.264/AAC" in line and not out.exists()
    r = run_cli("mux", str(video), str(work / "clip.fr.srt"), str(work / "clip.es.srt"), "-o", str(out), "--reencode", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["reencoded"] is True
    assert [s["codec_name"] for s in ffprobe_json(out)["streams"]] == ["h264", "aac", "mov_text", "mov_text"]
    assert [s["tags"]["language"] for s in _subs(out)] == ["fra", "spa"]
    assert _sha(video) == before


def test_pcm_audio_into_mp4_refused_then_only_the_audio_reencoded(work: Path) -> None:
    video = work / "pcm.mov"
    _ff("-i", str(work / "clip.mp4"), "-map", "0", "-c:v", "copy", "-c:a", "pcm_s16le", str(video))
    out = work / "pcm.mp4"
    r = run_cli("mux", str(video), str(work / "clip.de.srt"), "-o", str(out))
    assert r.returncode == 2 and "audio pcm_s16le" in r.stderr and "h264" not in r.stderr and "Use .mkv or .mov" in r.stderr
    # MOV and MKV carry PCM as it is
    assert run_cli("mux", str(video), str(work / "clip.de.srt"), "-o", str(work / "pcm-out.mov")).returncode == 0
    r = run_cli("mux", str(video), str(work / "clip.de.srt"), "-o", str(out), "--reencode")
    assert r.returncode == 0, r.stderr
    assert [s["codec_name"] for s in ffprobe_json(out)["streams"]] == ["h264", "aac", "mov_text"]
    assert _av_hashes(out)[0] == _av_hashes(video)[0]  # the video is still stream-copied


def test_odd_sized_flv_reencoded_for_mp4_is_padded_and_mp3_copied(work: Path) -> None:
    video = work / "odd.flv"
    _ff("-f", "lavfi", "-i", "testsrc=s=161x91:d=1:r=10", "-f", "lavfi", "-i", "sine=d=1", "-c:v", "flv", "-c:a", "libmp3lame",
        "-shortest", str(video))
    out = work / "odd.mp4"
    r = run_cli("mux", str(video), str(work / "clip.fr.srt"), "-o", str(out))
    assert r.returncode == 2 and "this input's video flv1 as it is" in r.stderr  # mp3 is fine in MP4
    r = run_cli("mux", str(video), str(work / "clip.fr.srt"), "-o", str(out), "--reencode")
    assert r.returncode == 0, r.stderr
    v, a, s = ffprobe_json(out)["streams"]
    assert (v["codec_name"], v["width"], v["height"], v["pix_fmt"]) == ("h264", 162, 92, "yuv420p")
    assert a["codec_name"] == "mp3" and _audio_hash(out) == _audio_hash(video)
    assert s["codec_name"] == "mov_text"


def test_background_probe_hands_back_its_result_or_its_error(work: Path) -> None:
    from subtool.errors import MediaError
    from subtool.media.mux import start_probe

    info = start_probe(work / "clip.mp4")()
    assert [s.codec for s in info.streams] == ["h264", "aac"]
    missing = start_probe(work / "nope.mp4")
    with pytest.raises(MediaError, match="not found"):
        missing()
    # the probe runs alongside, but a language problem is still reported first (exit 2, not 3)
    _srt(work / "notes.srt", "x")
    r = run_cli("mux", str(work / "nope.mp4"), str(work / "notes.srt"), "-o", str(work / "o.mkv"))
    assert r.returncode == 2 and "notes.srt" in r.stderr and "--allow-und" in r.stderr
    # and a bad subtitle file before a bad video
    (work / "bad.fr.srt").write_bytes(b"")
    r = run_cli("mux", str(work / "nope.mp4"), str(work / "bad.fr.srt"), "-o", str(work / "o.mkv"))
    assert r.returncode == 3 and "bad.fr.srt" in r.stderr
