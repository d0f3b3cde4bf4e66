"""Hard subtitles: one track drawn into the picture by libass, audio copied, video re-encoded.

SRT and WebVTT cues are turned into an ASS script here, sized for the video (PlayRes = the
picture, so a style's sizes are fractions of the picture height) with the burn style applied.
Their text reaches libass as text: every override block in it (``{\\pos}``, ``{\\fs}``,
``{\\c}``, ``{\\move}``, ``{\\fscx}`` ...) is removed, so a cue cannot leave the subtitle area,
grow or change colour. Kept: a placement ``{\\an1}``-``{\\an9}`` (or the legacy ``{\\aN}``) as
other tools write it into SRT files, which moves the cue to that corner, edge or the centre within
the style's margins (a placement, never a position or size), italics (``<i>``, meaning, not
layout), and ``\\N`` line breaks. A user's own ASS file is drawn as it is, with its own styling.

The output container decides the encoders: the style's (x264 by default) for MP4/MKV/MOV, VP9 +
Opus for WebM (the only codecs it takes); audio is copied unless the container cannot carry it,
then re-encoded (AAC, or Opus for WebM) with a warning. An odd-sized picture is padded to even
dimensions after the subtitles are drawn, since 4:2:0 chroma needs even sizes.

Both go through ffmpeg's ``ass`` filter: in ffmpeg 5.1 only it has ``shaping`` (complex shaping
for Arabic, Hebrew, Indic scripts), and our SRT/VTT input is ASS by then anyway. The filter graph
is built by ffmpeg-python, which escapes the file names in it (both levels: a name may hold
quotes, colons, brackets, commas, semicolons, backslashes, ``=``, ``%``, new lines), and fonts are
chosen so the track's script has glyphs (Noto CJK for Chinese/Japanese/Korean, Noto Sans Arabic, Noto Sans Hebrew,
else fontconfig's pick for the text), with the font's folder passed as ``fontsdir``.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import languages
from ..errors import FFmpegError, InputError, MediaError, PresetError, UsageError
from ..models import BurnStyle, Stream
from ..outputs import check_writable
from .containers import CONTAINERS, DISPLAY, REENCODE_TO, audio_encoder_args, carries, video_encoder_args
from .ffmpeg import ProgressCallback, file_arg, filter_options
from .output import container_refused, output_estimate, planned_duration, write_output
from .preflight import WarningCallback, check_cue_sizes, clock, probe_input
from .subinput import SubtitleInput, prepared

# Fonts for scripts a Latin font lacks (ISO 15924 script -> Noto family).
SCRIPT_FONTS = {
    "Hans": "Noto Sans CJK SC",
    "Hant": "Noto Sans CJK TC",
    "Jpan": "Noto Sans CJK JP",
    "Kore": "Noto Sans CJK KR",
    "Arab": "Noto Sans Arabic",
    "Hebr": "Noto Sans Hebrew",
}
# Unicode name prefixes of scripts that need complex shaping (joining, reordering, marks).
COMPLEX_SCRIPTS = ("ARABIC", "HEBREW", "SYRIAC", "THAANA", "NKO", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA",
                   "TAMIL", "TELUGU", "KANNADA", "MALAYALAM", "SINHALA", "THAI", "LAO", "TIBETAN", "MYANMAR", "KHMER")
_NAME_SCRIPT = {"HIRAGANA": "Jpan", "KATAKANA": "Jpan", "HANGUL": "Kore", "CJK": "Hans", "ARABIC": "Arab", "HEBREW": "Hebr"}
_COLOUR = re.compile(r"^&H([0-9A-Fa-f]{8})&?$")
_BLOCK = re.compile(r"\{[^}]*\}")
_AN = re.compile(r"\\an\s*([1-9])")
_A_LEGACY = re.compile(r"\\a\s*([0-9]{1,2})(?![0-9])")
# SSA's \\a numbering (1-3 bottom, 5-7 top, 9-11 middle) -> the numpad \\an layout
_LEGACY_TO_NUMPAD = {1: 1, 2: 2, 3: 3, 5: 7, 6: 8, 7: 9, 9: 4, 10: 5, 11: 6}
_ITALIC = re.compile(r"\\i\s*([01])(?![0-9a-z])")


# -- text ----------------------------------------------------------------------------------------

def clean_text(text: str) -> str:
    """SRT/VTT cue text (as pysubs2 gives it, ASS-like) -> text libass draws as text.

    Every ``{...}`` block goes; a placement (``\\an1``-``\\an9``, or legacy ``\\a``) comes back
    as one leading ``{\\anN}`` (the first wins, as in libass) and italics as ``{\\i1}``/``{\\i0}``.
    ``\\an2`` is dropped: it is SRT's ordinary bottom centre, so the style's own placement stays.
    Stray braces are dropped (an unmatched ``{`` would hide the rest of the line)."""
    placement: int | None = None
    out: list[str] = []
    pos = 0
    for m in _BLOCK.finditer(text):
        out.append(_strip_braces(text[pos:m.start()]))
        block = m.group(0)
        if placement is None:
            placement = _placement(block)
        out += ["{\\i" + flag + "}" for flag in _ITALIC.findall(block)]
        pos = m.end()
    out.append(_strip_braces(text[pos:]))
    return (f"{{\\an{placement}}}" if placement and placement != 2 else "") + "".join(out)


def _placement(block: str) -> int | None:
    """The numpad placement an override block asks for, if any (the first tag in it)."""
    found = [(m.start(), int(m.group(1))) for m in _AN.finditer(block)]
    found += [(m.start(), _LEGACY_TO_NUMPAD[int(m.group(1))]) for m in _A_LEGACY.finditer(block)
              if int(m.group(1)) in _LEGACY_TO_NUMPAD]
    return min(found)[1] if found else None


def _strip_braces(text: str) -> str:
    return text.replace("{", "").replace("}", "")


def _plain(text: str) -> str:
    return _BLOCK.sub("", text).replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")


# -- fonts ---------------------------------------------------------------------------------------

def _script_of_language(language: str | None) -> str | None:
    if not language or not languages.is_known(language):
        return None
    import langcodes

    return str(langcodes.Language.get(language).maximize().script or "") or None


def _script_of_text(text: str) -> str | None:
    counts: dict[str, int] = {}
    for ch in text:
        if ord(ch) < 0x250:
            continue
        word = unicodedata.name(ch, "").split(" ", 1)[0]
        script = _NAME_SCRIPT.get(word)
        if script:
            counts[script] = counts.get(script, 0) + 1
    if counts.get("Jpan"):
        return "Jpan"  # kana decide it: Han characters alone could be Chinese
    return max(counts, key=lambda k: counts[k]) if counts else None


def needs_complex_shaping(text: str, language: str | None) -> bool:
    if language and languages.is_known(language) and languages.is_rtl(language):
        return True
    return any(unicodedata.name(ch, "").startswith(COMPLEX_SCRIPTS) for ch in text if ord(ch) >= 0x590)


def _fc(*args: str) -> str:
    exe = shutil.which(args[0])
    if exe is None:
        return ""
    try:
        return subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


@functools.lru_cache(maxsize=64)
def font_file(family: str, chars: str = "") -> tuple[str, str] | None:
    """(family, file) fontconfig picks for ``family`` covering ``chars`` (None without fontconfig)."""
    pattern = family + (":charset=" + " ".join(f"{ord(c):x}" for c in chars) if chars else "")
    out = _fc("fc-match", "-f", "%{family[0]}|%{file}", pattern)
    if "|" not in out:
        return None
    fam, _, path = out.partition("|")
    return fam, path


@functools.lru_cache(maxsize=64)
def covers(family: str, chars: str) -> bool:
    """Whether an installed font of ``family`` has glyphs for every one of ``chars``."""
    if not chars:
        return True
    pattern = f":family={family}:charset=" + " ".join(f"{ord(c):x}" for c in chars)
    return bool(_fc("fc-list", pattern, "file"))


def choose_font(style_font: str, text: str, language: str | None) -> tuple[str, Path | None]:
    """The font family to draw ``text`` with, and the folder holding it (for ``fontsdir``)."""
    sample = "".join(sorted({c for c in _plain(text) if not c.isspace() and ord(c) >= 0x80}))[:64]
    script = _script_of_language(language) or _script_of_text(sample)
    if script == "Hani":
        script = "Hans"
    family = SCRIPT_FONTS.get(script or "", style_font)
    if not covers(family, sample):
        picked = font_file(style_font, sample)
        if picked and covers(picked[0], sample):
            family = picked[0]
    found = font_file(family)
    return family, (Path(found[1]).parent if found else None)


# -- the ASS script ------------------------------------------------------------------------------

def _colour(value: str, key: str, style: BurnStyle) -> Any:
    import pysubs2

    m = _COLOUR.match(value.strip())
    if not m:
        raise PresetError(f"key '{key}' must be an ASS colour like &H00FFFFFF (&HAABBGGRR), not '{value}'", path=f"burn style {style.name}")
    a, b, g, r = (int(m.group(1)[i:i + 2], 16) for i in range(0, 8, 2))
    return pysubs2.Color(r, g, b, a)


def build_script(sub: SubtitleInput, style: BurnStyle, width: int, height: int, font: str) -> Any:
    """An ASS script for SRT/VTT cues: PlayRes = the picture, the style scaled to it."""
    import pysubs2

    if style.alignment not in range(1, 10):
        raise PresetError(f"key 'alignment' must be 1-9 (numpad layout), not {style.alignment}", path=f"burn style {style.name}")
    if style.border_style not in (1, 3, 4):
        raise PresetError(f"key 'border_style' must be 1, 3 or 4, not {style.border_style}", path=f"burn style {style.name}")
    px = height / 1080
    ssa = pysubs2.SSAFile()
    ssa.info.update({"PlayResX": str(width), "PlayResY": str(height), "ScaledBorderAndShadow": "yes", "WrapStyle": "0"})
    ssa.styles["Default"] = pysubs2.SSAStyle(
        fontname=font,
        fontsize=round(style.font_size * height, 1),
        primarycolor=_colour(style.primary_colour, "primary_colour", style),
        outlinecolor=_colour(style.outline_colour, "outline_colour", style),
        backcolor=_colour(style.back_colour, "back_colour", style),
        bold=style.bold,
        borderstyle=style.border_style,
        outline=round(style.outline * px, 2),
        shadow=round(style.shadow * px, 2),
        alignment=pysubs2.Alignment(style.alignment),
        marginl=round(style.margin_h * width),
        marginr=round(style.margin_h * width),
        marginv=round(style.margin_v * height),
    )
    for e in sub.ssa:
        if e.is_comment:
            continue
        text = clean_text(e.text)
        if _plain(text).strip():
            ssa.events.append(pysubs2.SSAEvent(start=e.start, end=e.end, text=text, style="Default"))
    return ssa


# -- effects far outside any subtitle ------------------------------------------------------------
# libass draws each event's glyphs, blurs them, and caches the bitmaps; a glyph larger than the
# picture, or a very wide blur, makes bitmaps of hundreds of megapixels, and an animation (\t)
# redraws them every frame. Measured on a 16 s 720p clip (PlayResY 720), plain text: 0.8 s; \fs3000
# 8.3 s; \fs3000\blur100 53 s; \fs3000\blur100\t(\frz3600) over 90 s (minutes). Within the bounds
# below the worst measured is \fs720\be50\t(\frz3600), 21 s; \t alone costs nothing (2000 \t in
# one event: 0.8 s), nor do outlines (\bord300: 1.8 s). Real subtitles and typesetting stay far
# inside: sizes a fraction of the picture, blur 0-10. Such an event is refused, naming it and the
# tag, rather than burned for an hour; --allow-heavy burns it anyway (an estimate could not be
# trusted: the cost depends on the glyphs, the picture and the animation together).
HEAVY_BLUR = 50.0
_SIZE_TAG = re.compile(r"\\fs\s*(\d+(?:\.\d+)?)(?![\d.])")
_SCALE_TAG = re.compile(r"\\fsc[xy]\s*(\d+(?:\.\d+)?)")
_BLUR_TAG = re.compile(r"\\(blur|be)\s*(\d+(?:\.\d+)?)")


def _play_res_y(ssa: Any) -> float:
    """The script's canvas height as libass takes it (288 when neither PlayRes is given; from
    PlayResX at 4:3 when only that is)."""
    def num(key: str) -> float | None:
        try:
            value = float(str(ssa.info.get(key, "")).strip())
        except ValueError:
            return None
        return value if value > 0 else None

    y, x = num("PlayResY"), num("PlayResX")
    if y:
        return y
    return x * 3 / 4 if x else 288.0


def check_heavy(sub: SubtitleInput) -> None:
    """Refuse an ASS event whose glyphs would be taller than the script's canvas or blurred
    wider than ``HEAVY_BLUR`` (see above), naming the file, the event and the tag."""
    canvas = _play_res_y(sub.ssa)
    for n, event in enumerate((e for e in sub.ssa if not e.is_comment), 1):
        style = sub.ssa.styles.get(event.style)
        where = f"event {n} at {clock(event.start)}"
        sizes = [(float(m.group(1)), m.group(0)) for m in _SIZE_TAG.finditer(event.text)]
        if style is not None:
            sizes.append((float(style.fontsize), f"style '{event.style}' Fontsize {style.fontsize:g}"))
        scales = [(float(m.group(1)), m.group(0)) for m in _SCALE_TAG.finditer(event.text)]
        if style is not None:
            scales += [(float(style.scalex), f"style '{event.style}' ScaleX"), (float(style.scaley), f"style '{event.style}' ScaleY")]
        size, size_tag = max(sizes, default=(0.0, ""))
        scale, scale_tag = max(scales, default=(100.0, ""))
        if size * max(scale, 100.0) / 100 > canvas:
            tag = size_tag if size > canvas or scale <= 100 else scale_tag
            raise InputError(
                f"{where} asks for {tag}: glyphs {size * max(scale, 100.0) / 100:.0f} px tall on a {canvas:.0f} px canvas (PlayResY), "
                f"far beyond any subtitle; drawing them could take hours",
                path=sub.source, hint="Fix that event, or pass --allow-heavy to burn it anyway",
            )
        for m in _BLUR_TAG.finditer(event.text):
            if float(m.group(2)) > HEAVY_BLUR:
                raise InputError(
                    f"{where} asks for {m.group(0)}: a blur that wide is far beyond any subtitle (they use 0-10); drawing it could take hours",
                    path=sub.source, hint="Fix that event, or pass --allow-heavy to burn it anyway",
                )


def _audio_args(audio: list[Stream], container: str, output: Path, warn: WarningCallback) -> list[str]:
    """Copy every audio stream the container carries; re-encode (and say so) the others."""
    args: list[str] = []
    for i, stream in enumerate(audio):
        if carries(container, stream):
            args += [f"-c:a:{i}", "copy"]
        else:
            target = REENCODE_TO[container]["audio"]
            warn(f"{output.name}: {DISPLAY[container]} cannot carry the input's {stream.codec} audio; re-encoding it to {target} "
                 f"(use .mkv to copy it as it is)")
            args += audio_encoder_args(container, f"a:{i}")
    return args


def burn(
    video: Path,
    subtitle: Path,
    output: Path,
    *,
    style: BurnStyle,
    language: str | None = None,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    on_warning: WarningCallback | None = None,
    encoding: str | None = None,
    allow_heavy: bool = False,
) -> Path:
    """Draw ``subtitle`` into ``video``'s picture with ``style``; write ``output`` atomically.

    ``language`` (else the sidecar name) picks a font with the script's glyphs; ``on_warning``
    hears what is re-encoded beyond the picture (audio the container cannot carry) and what the
    subtitle file could not give (a guessed code page, blocks left out); ``encoding`` reads a
    subtitle file that is not UTF-8 in that code page instead of guessing it. A cue of thousands
    of characters is refused, and so is an ASS event with effects far outside any subtitle unless
    ``allow_heavy`` (see ``check_heavy``). Raises ``UsageError`` (output exists, is the input,
    unknown container), ``SubtitleReadError`` / ``MediaError`` / ``InputError`` (bad inputs),
    ``DiskFullError`` (the output does not fit), ``Interrupted`` on Ctrl-C or ``cancel`` (no
    output left)."""
    video, subtitle, output = Path(video), Path(subtitle), Path(output)
    container, muxer = _check_request(video, output, force=force, encoding=encoding)
    language = languages.normalize(language) if language else languages.from_sidecar(subtitle)[0]
    info = probe_input(video)
    if not info.video_streams:
        raise MediaError("has no video stream to burn subtitles into", path=video, code="no_video")
    v = info.video_streams[0]
    width, height = v.width or 1920, v.height or 1080
    warn = on_warning or (lambda _: None)
    with prepared([subtitle], encoding=encoding, languages=[language]) as (sub,), tempfile.TemporaryDirectory(prefix="subtool-burn-") as tmp:
        for text in sub.warnings:
            warn(f"{subtitle}: {text}")
        check_cue_sizes([sub], "burn")
        if sub.format in {"ass", "ssa"} and not allow_heavy:
            check_heavy(sub)
        drawing = _drawing(sub, style, language, width, height, Path(tmp))
        options = _output_options(container, style, info.audio_streams, output, warn)
        command = _command(video, drawing, pad=bool(width % 2 or height % 2), muxer=muxer, options=options)
        needed = output_estimate(video, [], 1.5)  # re-encoded: what pipeline.plan checks for a burn
        planned = {"video": 1, "audio": len(info.audio_streams), "subtitle": 0}
        try:
            write_output(command, output, needed=needed, streams=planned, duration=planned_duration(info), force=force,
                         on_progress=on_progress, what="ffmpeg (burn)", cancel=cancel)
        except FFmpegError as exc:
            if container_refused(exc):
                raise UsageError(f"{DISPLAY[container]} cannot carry a stream of this input ({exc.message})", path=output,
                                 hint="Name the output .mkv") from None
            raise
    return output


def _check_request(video: Path, output: Path, *, force: bool, encoding: str | None) -> tuple[str, str]:
    """(container, muxer) of ``output``, after the refusals that need no file read."""
    try:
        container, muxer = CONTAINERS[output.suffix.lower()]
    except KeyError:
        raise UsageError(f"cannot tell the container from the extension '{output.suffix or '(none)'}'", path=output,
                         hint="Name the output .mp4, .mkv, .mov or .webm") from None
    if output.resolve() == video.resolve():
        raise UsageError("the output would overwrite the input", path=output, hint="Choose another -o")
    check_writable(output, force=force)
    if encoding is not None:
        from ..subtitles import check_encoding

        check_encoding(encoding)
    return container, muxer


@dataclass
class _Drawing:
    """What the ``ass`` filter is given."""

    script: Path
    fonts_dir: Path | None
    shaping: bool  # complex shaping (Arabic, Hebrew, Indic scripts...)


def _drawing(sub: SubtitleInput, style: BurnStyle, language: str | None, width: int, height: int, tmp: Path) -> _Drawing:
    """The script to draw (the user's own ASS file, or one built from SRT/VTT cues in ``tmp``) and
    the fonts for it."""
    text = " ".join(e.text for e in sub.ssa if not e.is_comment)
    if sub.format in {"ass", "ssa"}:
        script = _filter_path(sub.path, tmp)  # the user's own styling, untouched
        fonts_dir = choose_font(style.font, text, language)[1]
    else:
        font, fonts_dir = choose_font(style.font, text, language)
        script = tmp / "burn.ass"
        build_script(sub, style, width, height, font).save(str(script), format_="ass", encoding="utf-8")
    shaping = needs_complex_shaping(_plain(text), language) and "shaping" in filter_options("ass")
    return _Drawing(script, fonts_dir, shaping)


def _filter_path(path: Path, tmp: Path) -> Path:
    """``path`` as the ``ass`` filter can be given it. ffmpeg's option parser drops white space at
    either end of a value unless it is escaped, which ffmpeg-python does not do (and escaping it
    here would be escaped again): so the path is made absolute, and a file whose name ends in
    white space is handed over as a copy in ``tmp``."""
    path = path.absolute()
    if str(path) == str(path).rstrip():
        return path
    copy = tmp / "script.ass"
    shutil.copyfile(path, copy)
    return copy


def _output_options(container: str, style: BurnStyle, audio: list[Stream], output: Path, warn: WarningCallback) -> dict[str, str | None]:
    """The output's encoder options as ffmpeg-python keyword arguments (``{"c:v": "libx264", "sn": None}``)."""
    args = [*video_encoder_args(container, style.video_codec, style.crf, style.speed), *_audio_args(audio, container, output, warn)]
    options: dict[str, str | None] = {key.removeprefix("-"): value for key, value in zip(args[::2], args[1::2], strict=True)}
    return {**options, "sn": None, "dn": None}


def _command(video: Path, drawing: _Drawing, *, pad: bool, muxer: str, options: dict[str, str | None]) -> Callable[[str], list[str]]:
    """The burn's ffmpeg arguments writing to a given output argument. ffmpeg-python builds the
    filter graph (input -> ``ass`` -> ``pad`` -> output) and escapes the ``ass`` options for
    it; they are keyword arguments, since it escapes positional ones twice (its issue 745)."""
    import ffmpeg  # ffmpeg-python: 20-40 ms to import (measured), only a burn needs it

    source = ffmpeg.input(file_arg(video))
    ass = {"filename": str(drawing.script)}
    if drawing.fonts_dir is not None:
        ass["fontsdir"] = str(drawing.fonts_dir)
    if drawing.shaping:
        ass["shaping"] = "complex"
    picture = source["v:0"].filter("ass", **ass)
    if pad:
        # Pad (not scale) after drawing: the picture and the text keep every pixel, one black
        # row/column is added, and libx264/libvpx get the even size 4:2:0 needs.
        picture = picture.filter("pad", width="ceil(iw/2)*2", height="ceil(ih/2)*2")

    def command(target: str) -> list[str]:
        return ["-y", *ffmpeg.output(picture, source["a?"], target, format=muxer, **options).get_args()]

    return command
