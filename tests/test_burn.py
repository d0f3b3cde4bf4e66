"""subtool burn: the text is really in the picture (pixels and OCR), override tags cannot move or
enlarge it, {\\an8} moves it up, CJK/Arabic get fonts with their glyphs, odd file names work."""

from __future__ import annotations

import hashlib
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import default_signals, ffprobe_json, run_cli

from subtool.errors import Interrupted
from subtool.media.burn import _command, _Drawing, burn, choose_font, clean_text, covers
from subtool.presets import load_burn

W, H = 320, 180
ASS_HEADER = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,DejaVu Sans,30,&H0000FFFF,&H000000FF,&H00000000,&H00000000,1,0,0,0,100,100,0,0,1,2,0,7,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:02.50,Default,,0,0,0,,TOPLEFT
"""


def _ff(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("burnmedia")
    # a flat picture: any change in a region is the subtitle
    _ff("-f", "lavfi", "-i", f"color=c=0x336699:s={W}x{H}:d=3:r=25", "-f", "lavfi", "-i", "sine=d=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-shortest", str(d / "clip.mp4"))
    return d


@pytest.fixture()
def clip(tmp_path: Path, media: Path) -> Path:
    dest = tmp_path / "clip.mp4"
    dest.write_bytes((media / "clip.mp4").read_bytes())
    return dest


@pytest.fixture()
def ocr_env(tmp_path: Path) -> dict[str, str]:
    """A user burn style large enough for tesseract on a 320x180 picture (and proof that the user
    folder is read)."""
    folder = tmp_path / "user-presets"
    folder.mkdir()
    (folder / "ocr.toml").write_text('kind = "burn"\nfont = "DejaVu Sans"\nfont_size = 0.13\nshadow = 0.0\noutline = 3.0\n'
                                     'speed = "ultrafast"\n', encoding="utf-8")
    return {"SUBTOOL_PRESETS_DIR": str(folder)}


def _srt(path: Path, text: str) -> Path:
    path.write_text(f"1\n00:00:00,500 --> 00:00:02,500\n{text}\n\n", encoding="utf-8")
    return path


def _frame(video: Path, t: float = 1.5) -> bytes:
    """One grey frame (W*H bytes)."""
    return subprocess.run(["ffmpeg", "-v", "error", "-ss", str(t), "-i", f"file:{video}", "-frames:v", "1",
                           "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout


def _changed(a: bytes, b: bytes, x0: int, y0: int, x1: int, y1: int) -> int:
    """How many pixels of the region differ by more than 40 grey levels (codec noise is far below)."""
    return sum(1 for y in range(y0, y1) for x in range(x0, x1) if abs(a[y * W + x] - b[y * W + x]) > 40)


def _rows_changed(a: bytes, b: bytes) -> list[int]:
    return [y for y in range(H) if any(abs(a[y * W + x] - b[y * W + x]) > 40 for x in range(W))]


def _count_rgb(video: Path, test: Callable[[int, int, int], bool], t: float = 1.5) -> int:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(t), "-i", f"file:{video}", "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return sum(1 for i in range(0, len(raw), 3) if test(raw[i], raw[i + 1], raw[i + 2]))


def _ocr(video: Path, t: float = 1.5) -> str:
    png = video.with_suffix(".ocr.png")
    _ff("-ss", str(t), "-i", f"file:{video}", "-frames:v", "1", "-vf", "scale=iw*4:ih*4", str(png))
    return subprocess.run(["tesseract", str(png), "-"], capture_output=True, text=True, check=True).stdout


def _audio_hash(path: Path) -> str:
    return subprocess.run(["ffmpeg", "-v", "error", "-i", f"file:{path}", "-map", "0:a", "-c", "copy", "-f", "streamhash", "-"],
                          capture_output=True, text=True, check=True).stdout


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_burned_text_is_in_the_picture_audio_copied(clip: Path, ocr_env: dict[str, str]) -> None:
    sub = _srt(clip.with_name("clip.en.srt"), "HELLO WORLD")
    before = _sha(clip)
    out = clip.with_name("out.mp4")
    r = run_cli("burn", str(clip), str(sub), "-o", str(out), "--style", "ocr", env=ocr_env)
    assert r.returncode == 0, r.stderr
    streams = ffprobe_json(out)["streams"]
    assert [s["codec_name"] for s in streams] == ["h264", "aac"]
    assert _audio_hash(out) == _audio_hash(clip)  # copied, not re-encoded
    orig, burned = _frame(clip), _frame(out)
    assert _changed(orig, burned, 0, int(H * 0.7), W, H) > 100  # text in the bottom band
    assert _changed(orig, burned, 0, 0, W, int(H * 0.6)) == 0  # nothing elsewhere
    assert "HELLO WORLD" in _ocr(out)
    # outside the cue the picture is untouched
    assert _changed(_frame(clip, 0.1), _frame(out, 0.1), 0, 0, W, H) == 0
    assert _sha(clip) == before


def test_override_tags_cannot_move_enlarge_or_recolour(clip: Path, ocr_env: dict[str, str]) -> None:
    plain = clip.with_name("plain.mp4")
    hostile = clip.with_name("hostile.mp4")
    assert run_cli("burn", str(clip), str(_srt(clip.with_name("a.en.srt"), "HELLO WORLD")), "-o", str(plain),
                   "--style", "ocr", env=ocr_env).returncode == 0
    r = run_cli("burn", str(clip), str(_srt(clip.with_name("b.en.srt"), r"{\pos(10,10)}{\fs200}{\c&H0000FF&}{\fscx300}HELLO WORLD")),
                "-o", str(hostile), "--style", "ocr", env=ocr_env)
    assert r.returncode == 0, r.stderr
    orig, burned = _frame(clip), _frame(hostile)
    assert _changed(orig, burned, 0, 0, W // 2, H // 2) == 0  # top-left untouched: \pos ignored
    assert _changed(orig, burned, 0, int(H * 0.7), W, H) > 100  # in the subtitle area
    # the same size and colour as the untagged cue: identical rows touched, near-identical pixels
    assert _rows_changed(orig, burned) == _rows_changed(orig, _frame(plain))
    assert _changed(_frame(plain), burned, 0, 0, W, H) < 20
    assert "HELLO WORLD" in _ocr(hostile)
    assert _count_rgb(hostile, lambda r, g, b: r > 150 and g < 80 and b < 80) == 0  # {\c&H0000FF&} would be red


def test_an8_moves_the_cue_to_the_top(clip: Path) -> None:
    out = clip.with_name("top.mp4")
    r = run_cli("burn", str(clip), str(_srt(clip.with_name("c.en.srt"), r"{\an8}HELLO TOP")), "-o", str(out))
    assert r.returncode == 0, r.stderr
    orig, burned = _frame(clip), _frame(out)
    rows = _rows_changed(orig, burned)
    assert rows and max(rows) < H * 0.3
    assert _changed(orig, burned, 0, int(H * 0.6), W, H) == 0


def test_user_ass_keeps_its_own_styling_and_odd_names_work(clip: Path) -> None:
    name = "it's: a, [te\\st];x %é \"q\""
    video = clip.with_name(f"{name}.mp4")
    video.write_bytes(clip.read_bytes())
    ass = clip.with_name(f"{name}.en.ass")
    ass.write_text(ASS_HEADER, encoding="utf-8")
    r = run_cli("burn", str(video), str(ass))
    assert r.returncode == 0, r.stderr
    out = clip.with_name(f"{name}.burned.mp4")  # the documented default name
    orig, burned = _frame(video), _frame(out)
    # its own style: top-left (alignment 7), not the burn style's bottom centre
    assert _changed(orig, burned, 0, 0, W // 2, H // 3) > 50
    assert _changed(orig, burned, 0, int(H * 0.6), W, H) == 0
    # and its own colour (yellow), which the burn style (white) would not give
    assert _count_rgb(out, lambda r, g, b: r > 180 and g > 180 and b < 90) > 100


@pytest.mark.parametrize("lang,text,family", [
    ("zh", "你好世界", "Noto Sans CJK SC"),
    ("ja", "こんにちは", "Noto Sans CJK JP"),
    ("ar", "مرحبا بالعالم", "Noto Sans Arabic"),
    ("he", "שלום עולם", "Noto Sans Hebrew"),
])
def test_scripts_render_with_a_font_that_has_their_glyphs(clip: Path, ocr_env: dict[str, str], lang: str, text: str, family: str) -> None:
    font, folder = choose_font("Noto Sans", text, lang)
    assert font == family and folder is not None and folder.is_dir()
    # fontconfig confirms the chosen family has every glyph (and the style's Latin font has not)
    chars = "".join(sorted(set(text.replace(" ", ""))))
    listed = subprocess.run(["fc-list", f":family={font}:charset=" + " ".join(f"{ord(c):x}" for c in chars), "file"],
                            capture_output=True, text=True).stdout
    assert listed.strip() and str(folder) in listed
    assert covers(font, chars) and not covers("Noto Sans", chars)
    sub = _srt(clip.with_name(f"s.{lang}.srt"), text)
    out = clip.with_name(f"s.{lang}.mp4")
    r = run_cli("burn", str(clip), str(sub), "-o", str(out), "--style", "ocr", env=ocr_env)
    assert r.returncode == 0, r.stderr
    assert _changed(_frame(clip), _frame(out), 0, int(H * 0.6), W, H) > 60


def test_language_from_text_when_unknown(clip: Path) -> None:
    assert choose_font("Noto Sans", "안녕하세요", None)[0] == "Noto Sans CJK KR"
    assert choose_font("Noto Sans", "Hello", "en")[0] == "Noto Sans"


def test_refusals(clip: Path) -> None:
    sub = _srt(clip.with_name("clip.en.srt"), "HELLO")
    out = clip.with_name("exists.mp4")
    out.write_bytes(b"keep")
    r = run_cli("burn", str(clip), str(sub), "-o", str(out))
    assert r.returncode == 2 and "already exists" in r.stderr and out.read_bytes() == b"keep"
    bad = clip.with_name("bad.en.srt")
    bad.write_bytes(b"\x00\x01binary" * 20)
    r = run_cli("burn", str(clip), str(bad), "-o", str(clip.with_name("o.mp4")))
    assert r.returncode == 3 and "bad.en.srt" in r.stderr and not clip.with_name("o.mp4").exists()
    r = run_cli("burn", str(clip), str(sub), "-o", str(clip), "--force")
    assert r.returncode == 2 and "overwrite the input" in r.stderr
    r = run_cli("burn", str(clip), str(sub), "--style", "nope")
    assert r.returncode == 2 and "nope" in r.stderr and "clean" in r.stderr
    audio = clip.with_name("audio.m4a")
    _ff("-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", str(audio))
    r = run_cli("burn", str(audio), str(sub), "-o", str(clip.with_name("a.mp4")))
    assert r.returncode == 3 and "no video stream" in r.stderr
    assert not list(clip.parent.glob("*.subtool-part*"))


def test_cancel_leaves_no_output(clip: Path, tmp_path: Path) -> None:
    long = tmp_path / "long.mp4"
    _ff("-f", "lavfi", "-i", f"testsrc=s={W}x{H}:d=60:r=25", "-c:v", "libx264", "-preset", "ultrafast", str(long))
    sub = _srt(tmp_path / "long.en.srt", "HELLO")
    cancel = threading.Event()
    out = tmp_path / "cancelled.mp4"
    seen: list[float] = []

    def progress(done: float, total: float | None) -> None:
        seen.append(done)
        cancel.set()

    style = load_burn("clean")
    style.speed = "veryslow"  # slow enough to be cancelled midway
    with pytest.raises(Interrupted):
        burn(long, sub, out, style=style, on_progress=progress, cancel=cancel)
    assert seen and not out.exists()
    assert not list(tmp_path.glob("*.subtool-part*"))


def test_clean_text() -> None:
    assert clean_text(r"{\pos(10,10)}{\fs200}{\i1}Hi{\i0} there\Nnext") == r"{\i1}Hi{\i0} there\Nnext"
    assert clean_text(r"{\an8}{\c&HFF&}Top") == r"{\an8}Top"
    assert clean_text(r"{\an2}Bottom {stray") == "Bottom stray"
    assert clean_text(r"{\move(0,0,100,100)\fscx300\fscy300\frz45}Plain") == "Plain"


@pytest.mark.parametrize("path,escaped", [
    # both levels of ffmpeg's filter graph escaping: the option value (\ ' : =), then the graph (\ ' [ ] , ;)
    ("/x/it's: a, [te\\st];x%.ass", "/x/it\\\\\\'s\\\\: a\\, \\[te\\\\\\\\st\\]\\;x%.ass"),
    ("/x/a=b.ass", "/x/a\\\\=b.ass"),
    ("/x/new\nline \"q\".ass", "/x/new\nline \"q\".ass"),
])
def test_burn_command_escapes_the_ass_file_name_once(path: str, escaped: str) -> None:
    """ffmpeg-python builds the graph; what it gives the one runner is what the hand-written
    escaping gave (plus '=' escaped, which ffmpeg reads as '='), with the pad after the drawing."""
    drawing = _Drawing(Path(path), Path("/f/o,n:t's"), shaping=True)
    args = _command(Path("-in [1].mp4"), drawing, pad=True, muxer="mp4", options={"c:v": "libx264", "crf:v": "20", "sn": None})("file:out.mp4")
    assert args == [
        "-y", "-i", "file:-in [1].mp4",
        "-filter_complex", f"[0:v:0]ass=filename={escaped}:fontsdir=/f/o\\,n\\\\:t\\\\\\'s:shaping=complex[s0];"
                           "[s0]pad=height=ceil(ih/2)*2:width=ceil(iw/2)*2[s1]",
        "-map", "[s1]", "-map", "0:a?", "-f", "mp4", "-c:v", "libx264", "-crf:v", "20", "-sn", "file:out.mp4",
    ]


@pytest.mark.parametrize("name", [
    "a=b %d%%s.ass", "new\nline.ass", "tab\there.ass", "-lead.ass", " lead.ass", "trail.ass ", "back\\slash\\.ass", "日本語 ☃.ass",
])
def test_hostile_file_names_reach_ffmpeg_intact(clip: Path, name: str) -> None:
    """The user's own ASS file goes into the filter graph by name; relative names as typed (a
    leading space), and a name ending in white space, which ffmpeg's option parser would trim."""
    folder = clip.parent
    (folder / name).write_text(ASS_HEADER, encoding="utf-8")
    (folder / f"{name}.mp4").write_bytes(clip.read_bytes())
    typed = f"./{name}" if name.startswith("-") else name
    r = run_cli("burn", f"{typed}.mp4", typed, "-o", f"{typed}.out.mp4", cwd=folder)
    assert r.returncode == 0, r.stderr
    orig, burned = _frame(clip), _frame(folder / f"{name}.out.mp4")
    assert _changed(orig, burned, 0, 0, W // 2, H // 3) > 50  # the script's own top-left text
    assert _changed(orig, burned, 0, int(H * 0.6), W, H) == 0


def test_default_clean_style_draws_in_the_bottom_band(clip: Path) -> None:
    out = clip.with_name("clean.mp4")
    r = run_cli("burn", str(clip), str(_srt(clip.with_name("d.en.srt"), "Hello world")), "-o", str(out))
    assert r.returncode == 0, r.stderr
    rows = _rows_changed(_frame(clip), _frame(out))
    assert rows and min(rows) > H * 0.75  # 5% of the height, 6% above the bottom


def test_burn_styles_shipped() -> None:
    for name in ("clean", "boxed", "social-vertical"):
        style = load_burn(name)
        assert style.video_codec == "libx264" and 0 < style.font_size < 0.2
    assert load_burn("boxed").border_style in (3, 4)
    assert load_burn("social-vertical").margin_v > 0.2


def test_ctrl_c_stops_ffmpeg_and_leaves_nothing(tmp_path: Path) -> None:
    import os
    import signal
    import sys
    import time

    long = tmp_path / "long.mp4"
    _ff("-f", "lavfi", "-i", f"testsrc=s={W}x{H}:d=120:r=25", "-c:v", "libx264", "-preset", "ultrafast", str(long))
    sub = _srt(tmp_path / "long.en.srt", "HELLO")
    presets = tmp_path / "p"
    presets.mkdir()
    (presets / "slow.toml").write_text('kind = "burn"\nspeed = "veryslow"\n', encoding="utf-8")
    out = tmp_path / "out.mp4"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "subtool"), "burn", str(long), str(sub), "--style", "slow", "-o", str(out)],
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "SUBTOOL_PRESETS_DIR": str(presets)},
                            preexec_fn=default_signals)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("*.subtool-part*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert list(tmp_path.glob("*.subtool-part*")), "ffmpeg never started writing"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not out.exists() and not list(tmp_path.glob("*.subtool-part*"))
    # ffmpeg itself was stopped, not left running in its own session
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert not [line for line in ps.splitlines() if "ffmpeg" in line and str(tmp_path) in line]


def test_burn_into_webm_encodes_vp9_and_opus(clip: Path, ocr_env: dict[str, str]) -> None:
    sub = _srt(clip.with_name("clip.en.srt"), "HELLO WORLD")
    out = clip.with_name("out.webm")
    r = run_cli("burn", str(clip), str(sub), "-o", str(out), "--style", "ocr", env=ocr_env)
    assert r.returncode == 0, r.stderr
    assert [s["codec_name"] for s in ffprobe_json(out)["streams"]] == ["vp9", "opus"]
    # AAC cannot go in WebM: re-encoded, and the user is told
    assert "aac" in r.stderr and "Opus" in r.stderr and ".mkv" in r.stderr
    orig, burned = _frame(clip), _frame(out)
    assert _changed(orig, burned, 0, int(H * 0.7), W, H) > 100
    assert _changed(orig, burned, 0, 0, W, int(H * 0.6)) == 0
    assert "HELLO WORLD" in _ocr(out)


def test_burn_audio_copied_where_the_container_carries_it_else_aac(clip: Path, ocr_env: dict[str, str]) -> None:
    # H.264 + Opus: ffmpeg 5.1 writes Opus in MP4 and MKV, but in MOV "opus only supported in MP4"
    video = clip.with_name("opus.mkv")
    _ff("-f", "lavfi", "-i", f"color=c=0x336699:s={W}x{H}:d=2:r=25", "-f", "lavfi", "-i", "sine=d=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "32k", "-shortest", str(video))
    sub = _srt(clip.with_name("opus.en.srt"), "HELLO")
    for ext in (".mp4", ".mkv"):
        out = clip.with_name(f"opus-out{ext}")
        r = run_cli("burn", str(video), str(sub), "-o", str(out), "--style", "ocr", env=ocr_env)
        assert r.returncode == 0, r.stderr
        assert [s["codec_name"] for s in ffprobe_json(out)["streams"]] == ["h264", "opus"]
        assert _audio_hash(out) == _audio_hash(video) and "re-encoding" not in r.stderr
    out = clip.with_name("opus-out.mov")
    r = run_cli("burn", str(video), str(sub), "-o", str(out), "--style", "ocr", env=ocr_env)
    assert r.returncode == 0, r.stderr
    assert [s["codec_name"] for s in ffprobe_json(out)["streams"]] == ["h264", "aac"]
    assert "MOV cannot carry the input's opus audio" in r.stderr and "AAC" in r.stderr
    assert _changed(_frame(video, 1.0), _frame(out, 1.0), 0, int(H * 0.7), W, H) > 50


def test_webm_encoder_settings_map_the_x264_style() -> None:
    from subtool.media.containers import video_encoder_args, vp9_crf

    args = video_encoder_args("webm", "libx264", 20, "medium")
    assert args[:2] == ["-c:v", "libvpx-vp9"]
    assert args[args.index("-crf:v") + 1] == str(vp9_crf(20)) and args[args.index("-b:v") + 1] == "0"
    assert "-row-mt:v" in args and args[args.index("-cpu-used:v") + 1] == "3"
    assert vp9_crf(23) > vp9_crf(20) and 28 <= vp9_crf(20) <= 33 and vp9_crf(60) == 63
    # a style that already names VP9 keeps its own CRF (on VP9's scale)
    assert video_encoder_args("webm", "libvpx-vp9", 40, "fast")[3] == "40"
    assert video_encoder_args("mp4", "libx264", 20, "fast")[:6] == ["-c:v", "libx264", "-crf:v", "20", "-preset:v", "fast"]


def test_odd_sized_video_is_padded_to_even_after_drawing(tmp_path: Path) -> None:
    w, h = 321, 181
    video = tmp_path / "odd.mkv"  # FFV1 takes odd sizes; libx264's 4:2:0 output cannot
    _ff("-f", "lavfi", "-i", f"color=c=0x336699:s={w}x{h}:d=2:r=25,format=yuv444p", "-f", "lavfi", "-i", "sine=d=2",
        "-c:v", "ffv1", "-c:a", "aac", "-shortest", str(video))
    out = tmp_path / "odd.mp4"
    r = run_cli("burn", str(video), str(_srt(tmp_path / "odd.en.srt", "HELLO")), "-o", str(out))
    assert r.returncode == 0, r.stderr
    v = ffprobe_json(out)["streams"][0]
    assert (v["codec_name"], v["width"], v["height"], v["pix_fmt"]) == ("h264", 322, 182, "yuv420p")

    def gray(path: Path, crop: str) -> bytes:
        return subprocess.run(["ffmpeg", "-v", "error", "-ss", "1.5", "-i", f"file:{path}", "-frames:v", "1", "-vf", "format=gray," + crop,
                               "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout

    orig, burned = gray(video, "null"), gray(out, f"crop={w}:{h}:0:0")
    diff = [y for y in range(h) if any(abs(orig[y * w + x] - burned[y * w + x]) > 40 for x in range(w))]
    assert diff and min(diff) > h * 0.7  # drawn in the bottom band of the original picture, not scaled
    # padded, not scaled: the picture keeps its pixels and gains one dark column and row
    assert max(gray(out, f"crop=1:{h}:{w}:0")) < 40 and max(gray(out, f"crop={w}:1:0:{h}")) < 40
    assert max(abs(orig[i] - burned[i]) for i in range(w * int(h * 0.6))) < 12


def _cols_changed(a: bytes, b: bytes) -> list[int]:
    return [x for x in range(W) if any(abs(a[y * W + x] - b[y * W + x]) > 40 for y in range(H))]


@pytest.mark.parametrize("tag,rows,cols", [
    (r"{\an4}", (0.3, 0.7), (0.0, 0.5)),  # middle left
    (r"{\pos(300,10)}{\an9}{\fs90}", (0.0, 0.3), (0.5, 1.0)),  # top right: the placement, not \pos or \fs
])
def test_every_an_placement_is_honoured(clip: Path, tag: str, rows: tuple[float, float], cols: tuple[float, float]) -> None:
    out = clip.with_name("placed.mp4")
    r = run_cli("burn", str(clip), str(_srt(clip.with_name("p.en.srt"), tag + "HI")), "-o", str(out))
    assert r.returncode == 0, r.stderr
    orig, burned = _frame(clip), _frame(out)
    ys, xs = _rows_changed(orig, burned), _cols_changed(orig, burned)
    assert ys and xs
    assert rows[0] * H <= min(ys) and max(ys) < rows[1] * H, ys
    assert cols[0] * W <= min(xs) and max(xs) < cols[1] * W, xs
    assert max(ys) - min(ys) < H * 0.12  # normal size (5% of the height), not \fs90


def test_clean_text_placements() -> None:
    assert clean_text(r"{\an4}Mid") == r"{\an4}Mid"
    assert clean_text(r"{\pos(1,1)\an9\an1}x") == r"{\an9}x"  # the first wins, as in libass
    assert clean_text(r"{\an7}a{\an3}b") == r"{\an7}ab"
    assert clean_text(r"{\a6}legacy") == r"{\an8}legacy"  # SSA's \a6 is top centre
    assert clean_text(r"{\alpha&H80&}see") == "see"
