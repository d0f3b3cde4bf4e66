"""Soft subtitle tracks: one ffmpeg pass, video and audio stream-copied, every track tagged.

Each subtitle gets the codec its container takes (MP4/MOV: mov_text; MKV: the source format kept;
WebM: WebVTT, a WebVTT file copied as it is), a three-letter language tag the container keeps, a title in the language's own
name, and an explicit disposition, so players never guess. What a container loses (positioning
and colours in mov_text and WebVTT) is reported as a warning before anything is written.
"""

from __future__ import annotations

import functools
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import languages
from ..errors import FFmpegError, LanguageError, MediaError, SubtitleReadError, UsageError
from ..models import MediaInfo, MuxedTrack, MuxPreset, MuxResult, Stream, SubtitleTrack
from ..outputs import atomic_path, check_free_space, check_writable
from .containers import (
    CONTAINERS,
    DISPLAY,
    EXTENSIONS,
    REENCODE_TO,
    audio_encoder_args,
    describe,
    uncarried,
    video_encoder_args,
    working_containers,
)
from .ffmpeg import ProgressCallback, file_arg, run_ffmpeg, run_ffprobe, write_verified
from .probe import probe
from .subinput import SubtitleInput, prepared

TEXT_SUB_CODECS = {"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"}
# Matroska stores these as they are; anything else text-based becomes SRT.
MKV_SUB_CODECS = {"subrip", "ass", "ssa", "webvtt", "hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle"}
_SOURCE_CODEC = {"srt": "subrip", "ass": "ass", "ssa": "ass", "vtt": "webvtt"}

_LANG_SUFFIX = re.compile(r"^(?P<path>.+):(?P<lang>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)$")

WarningCallback = Callable[[str], None]


def parse_track_arg(arg: str) -> SubtitleTrack:
    """``talk.fr.srt:fr`` -> a track. The language comes from a final ``:LANG`` when it is a known
    language code, otherwise from the sidecar name (``talk.fr.srt``, ``talk.fr.forced.srt``).
    Paths may hold colons: a file that exists under the whole argument is taken as it is."""
    forced = False
    if Path(arg).is_file():
        lang, forced = languages.from_sidecar(arg)
        return SubtitleTrack(path=arg, language=lang, forced=forced)
    match = _LANG_SUFFIX.match(arg)
    if match:
        path, code = match["path"], match["lang"]
        if languages.is_known(code):
            _, forced = languages.from_sidecar(path)
            return SubtitleTrack(path=path, language=languages.normalize(code), forced=forced)
        if Path(path).is_file():
            raise LanguageError(f"unknown language code '{code}' after ':'", path=path,
                                hint="Use an ISO 639-1 code such as en, fr, pt-BR")
    lang, forced = languages.from_sidecar(arg)
    return SubtitleTrack(path=arg, language=lang, forced=forced)


def container_for(output: Path) -> tuple[str, str]:
    """(container, muxer) from the output's extension."""
    try:
        return CONTAINERS[output.suffix.lower()]
    except KeyError:
        raise UsageError(f"cannot tell the container from the extension '{output.suffix or '(none)'}'", path=output,
                         hint="Name the output .mkv, .mp4, .mov or .webm") from None


def default_output(video: Path, container: str) -> Path:
    """``<stem>.subtitled.<ext>`` beside the video."""
    return video.with_name(f"{video.stem}.subtitled{EXTENSIONS[container]}")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False


def probe_input(video: Path) -> MediaInfo:
    """Probe a video to deliver into: refuses only what cannot be read (not the service's limits)."""
    info = probe(video, deep=False)
    # Transcription limits (no audio, too long) do not matter here; only an unreadable file does.
    for problem in info.problems:
        if problem.fatal and problem.code in {"missing", "unreadable", "empty", "corrupt", "not_media"}:
            raise MediaError(problem.message, path=video, code=problem.code)
    if not info.video_streams and not info.audio_streams:
        raise MediaError("has no video or audio stream to put subtitles on", path=video, code="no_streams")
    return info


def start_probe(video: Path) -> Callable[[], MediaInfo]:
    """Run ``probe_input(video)`` in a background thread and return a function that waits for it.

    ffprobe takes 0.1-0.2 s on a large file, time the main thread spends importing langcodes and
    reading the subtitle files instead of waiting. The waiting function returns the MediaInfo or
    raises what ``probe_input`` raised, so errors still surface where the caller asks."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["info"] = probe_input(video)
        except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread by result()
            box["error"] = exc

    # daemon: a refusal that needs no probe (unknown language...) must not wait for ffprobe to exit
    thread = threading.Thread(target=work, name="subtool-probe", daemon=True)
    thread.start()

    def result() -> MediaInfo:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["info"]  # type: ignore[no-any-return]

    return result


def _match_language(want: str, candidates: list[str | None]) -> int | None:
    """Index of the first candidate in language ``want``: exact tag first, then same base language."""
    norm = languages.normalize(want)
    for i, c in enumerate(candidates):
        if c is not None and c == norm:
            return i
    for i, c in enumerate(candidates):
        if c is not None and languages.base(c) == languages.base(norm):
            return i
    return None


# What muxers write as a subtitle stream's handler when it has no title: not a title to keep.
GENERIC_HANDLERS = frozenset({"SubtitleHandler", "Subtitle", "text", "Core Media Text", "Apple Text Media Handler"})
STYLED_CODECS = frozenset({"ass", "ssa"})


def _same_language(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and languages.base(a) == languages.base(b)


def _audio_language(info: MediaInfo, spoken: str | None) -> str | None:
    """The language being spoken: what the transcription found, else the audio stream's tag."""
    if spoken and languages.is_known(spoken):
        return languages.normalize(spoken)
    audio = info.audio_streams
    stream = next((s for s in audio if s.default), audio[0] if audio else None)
    return _existing_language(stream) if stream is not None else None


def _existing_language(stream: Stream) -> str | None:
    code = stream.language
    if not code or code.lower() == "und" or not languages.is_known(code):
        return None
    return languages.normalize(code)


@functools.lru_cache(maxsize=64)
def _mov_keeps(codes: tuple[str, ...]) -> frozenset[str]:
    """Which of ``codes`` ffmpeg's MOV muxer keeps: it writes only the codes of its QuickTime
    language table (a mix: 'fra', 'ger', 'chi'), dropping others silently. Asked of ffmpeg itself
    with a throwaway file, so the answer matches the installed version."""
    if not codes:
        return frozenset()
    with tempfile.TemporaryDirectory(prefix="subtool-mov-") as tmp:
        srt = Path(tmp) / "probe.srt"
        srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nx\n", encoding="utf-8")
        out = Path(tmp) / "probe.mov"
        args = ["-y", "-i", file_arg(srt)]
        for i, code in enumerate(codes):
            args += ["-map", "0:0", f"-metadata:s:s:{i}", f"language={code}"]
        args += ["-c:s", "mov_text", "-f", "mov", file_arg(out)]
        run_ffmpeg(args, what="ffmpeg (MOV language check)")
        res = run_ffprobe(["-v", "error", "-show_entries", "stream=index:stream_tags=language", "-of", "csv=p=0", file_arg(out)])
    kept = set()
    for line in res.stdout.splitlines():
        index, _, lang = line.strip().partition(",")
        if index.isdigit() and int(index) < len(codes) and lang == codes[int(index)]:
            kept.add(lang)
    return frozenset(kept)


def _container_codes(langs: list[str], container: str, warn: WarningCallback) -> dict[str, str]:
    """Three-letter tag per language for ``container`` (``und`` for none)."""
    out: dict[str, str] = {}
    if container != "mov":
        # WebM is a Matroska profile: same Language element, same (bibliographic) codes.
        for lang in langs:
            out[lang] = languages.container_code(lang, "mkv" if container == "webm" else container)
        return out
    candidates = {lang: [languages.alpha3(lang, variant="T"), languages.alpha3(lang, variant="B")] for lang in langs}
    kept = _mov_keeps(tuple(sorted({c for cs in candidates.values() for c in cs})))
    for lang, forms in candidates.items():
        good = [c for c in forms if c in kept]
        if good:
            out[lang] = good[0]
        else:
            warn(f"MOV cannot tag language '{lang}' (not in QuickTime's language table); the track is tagged 'und'; use .mkv or .mp4 to keep it")
            out[lang] = "und"
    return out


# Why a container refuses, in its muxer's own terms.
_RULE = {
    "webm": "WebM takes only VP8/VP9/AV1 video and Opus/Vorbis audio",
    "mp4": "MP4 takes H.264/HEVC/AV1/VP9/MPEG-4 video and AAC/MP3/AC-3/Opus audio, not PCM, WMV/WMA, FLV, Theora, ProRes or FLAC",
    "mov": "ffmpeg writes VP9, AV1, Opus and FLAC only in MP4, and VP8 not at all, in MOV",
}
# Re-encoding settings for streams a container cannot take: visually transparent, not tiny.
_REENCODE_VIDEO = {"webm": ("libvpx-vp9", 32, "fast"), "mp4": ("libx264", 20, "medium"), "mov": ("libx264", 20, "medium")}


# A subtitle is a line or two (42 characters each, in the strictest profiles); a cue of several
# thousand characters is a broken file (text pasted into one cue, blank lines lost), and one of
# megabytes makes ffmpeg's mov_text encoder work for minutes (quadratic in the cue's size: 7 s for
# 1 MB, measured) before it fails anyway: it cannot store more than 64 kB in one cue.
MAX_CUE_CHARS = 5000
_DRAWING = re.compile(r"\\p\s*[1-9]")  # an ASS vector drawing: its path is not text to read
_WHY_TOO_LONG = {
    "mp4": "mov_text cannot store it (64 kB at most) and ffmpeg would work for minutes before failing",
    "mov": "mov_text cannot store it (64 kB at most) and ffmpeg would work for minutes before failing",
    "webm": "no player can show it",
    "mkv": "no player can show it",
    "burn": "drawing it on every frame would take very long and cover the picture",
}


def clock(ms: float) -> str:
    """Milliseconds as ``H:MM:SS.mmm`` (to name a cue)."""
    total = max(round(ms), 0)
    h, rest = divmod(total, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h}:{m:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def check_cue_sizes(subs: list[SubtitleInput], target: str) -> None:
    """Refuse a cue of more than ``MAX_CUE_CHARS`` characters of text (not counting override tags
    or an ASS drawing's path), naming the file, the cue and why for ``target`` (a container, or
    "burn"), before ffmpeg starts."""
    for sub in subs:
        for n, event in enumerate((e for e in sub.ssa if not e.is_comment), 1):
            if len(event.text) <= MAX_CUE_CHARS or _DRAWING.search(event.text):
                continue
            size = len(event.plaintext)
            if size > MAX_CUE_CHARS:
                raise SubtitleReadError(
                    f"cue {n} at {clock(event.start)} holds {size:,} characters; more than {MAX_CUE_CHARS:,} is not a subtitle, "
                    f"and {_WHY_TOO_LONG.get(target, 'no player can show it')}",
                    path=sub.source, hint="Check the file: text pasted into one cue, or cues that lost the blank line between them",
                )


def output_estimate(video: Path, others: list[Path], factor: float) -> int:
    """The bytes an output made from ``video`` (and ``others``, such as subtitle files) needs:
    ``factor`` times their sizes (1.05 copied, as ``pipeline.plan`` checks; 1.5 re-encoded), plus
    1 MB for the container's own index."""
    total = 0
    for path in [video, *others]:
        try:
            total += Path(path).stat().st_size
        except OSError:
            pass
    return int(total * factor) + 1_000_000


def planned_duration(info: MediaInfo) -> float | None:
    """How long an output of ``info``'s video and audio lasts: the longest of those streams (a
    subtitle or data stream the output drops may make the file's own duration longer)."""
    kept = [s.duration for s in info.streams if s.type in {"video", "audio"} and not s.attached_pic and s.duration]
    return max(kept) if kept else info.duration


def check_codecs(info: MediaInfo, container: str, reencode: bool) -> dict[str, list[str]]:
    """Per-stream codec options for the video and audio of ``info`` (copy unless re-encoding)."""
    videos = [s for s in info.streams if s.type == "video"]
    audios = [s for s in info.streams if s.type == "audio"]
    opts: dict[str, list[str]] = {"v": [], "a": []}
    bad = uncarried(container, videos + audios)
    if not bad:
        return opts
    if not reencode:
        works = " or ".join(working_containers(videos + audios, exclude=container))
        target = REENCODE_TO[container]
        raise UsageError(
            f"{DISPLAY[container]} cannot carry this input's {describe(bad)} as it is ({_RULE[container]})",
            path=info.path, hint=f"Use {works} (keeps every stream as it is), or pass --reencode to re-encode to "
                                 f"{target['video']}/{target['audio']}",
        )
    codec, crf, speed = _REENCODE_VIDEO[container]
    for i, s in enumerate(videos):
        if s in bad:
            opts["v"] += video_encoder_args(container, codec, crf, speed, f"v:{i}")
            if (s.width or 0) % 2 or (s.height or 0) % 2:
                opts["v"] += [f"-filter:v:{i}", "pad=width=ceil(iw/2)*2:height=ceil(ih/2)*2"]  # 4:2:0 needs even sizes
    for i, s in enumerate(audios):
        if s in bad:
            opts["a"] += audio_encoder_args(container, f"a:{i}")
    return opts


def _sub_codec_for_existing(stream: Stream, container: str, video: Path) -> str:
    codec = stream.codec or ""
    if container == "mkv":
        return "copy" if codec in MKV_SUB_CODECS else ("srt" if codec in TEXT_SUB_CODECS else "copy")
    if codec not in TEXT_SUB_CODECS:
        raise UsageError(
            f"input subtitle stream #{stream.index} is {codec or 'an unknown codec'}, which {DISPLAY[container]} cannot carry",
            path=video, hint="Use .mkv, or pass --replace to drop the existing subtitle streams",
        )
    if container in {"mp4", "mov"}:
        return "copy" if codec == "mov_text" else "mov_text"
    return "copy" if codec == "webvtt" else "webvtt"


def _sub_codec_for_new(sub: SubtitleInput, container: str) -> str:
    if container in {"mp4", "mov"}:
        return "mov_text"
    if container == "webm" and sub.format != "vtt":
        return "webvtt"  # WebVTT itself is copied: ffmpeg's encoder would drop cue settings and spans
    return "copy"


def mux(
    video: Path,
    tracks: list[SubtitleTrack],
    output: Path,
    *,
    preset: MuxPreset | None = None,
    default: str | None = None,
    forced: list[str] | None = None,
    replace: bool = False,
    allow_und: bool = False,
    reencode: bool = False,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    on_warning: WarningCallback | None = None,
    probed: Callable[[], MediaInfo] | None = None,
    spoken: str | None = None,
    encoding: str | None = None,
) -> MuxResult:
    """Add ``tracks`` to ``video`` as soft subtitle streams in ``output`` (one ffmpeg pass).

    ``default``: the language of the one default track, ``"none"`` for none, ``"first"`` for the
    first track not in the audio's language (``spoken``, else the audio stream's own tag): a
    track in the language being spoken would be shown over speech the viewer understands, so it
    is the default only when named. Without ``default``, the preset's rule, else a track's own
    ``default`` flag. ``forced``: languages flagged forced (their titles say so). ``replace``
    drops the input's own subtitle streams; without it, a new track in a language the input
    already carries is warned about. ``probed``: a ``start_probe(video)`` the caller began
    earlier (one is started here otherwise). ``encoding``: the code page of the subtitle files
    that are not UTF-8 (guessed from their letters otherwise). Raises ``UsageError`` (bad
    options, impossible container, existing output), ``SubtitleReadError``/``MediaError`` (bad
    inputs).
    """
    video, output = Path(video), Path(output)
    warnings: list[str] = []

    def warn(text: str) -> None:
        warnings.append(text)
        if on_warning:
            on_warning(text)

    if preset is not None:
        replace = replace or preset.replace
        forced = list(forced or []) + [f for f in preset.forced if f not in (forced or [])]
        if default is None:
            default = preset.default
    forced = list(forced or [])

    container, muxer = container_for(output)
    if _same_file(video, output):
        raise UsageError("the output would overwrite the input", path=output, hint="Choose another -o")
    check_writable(output, force=force)
    if encoding is not None:
        from ..subtitles import check_encoding

        check_encoding(encoding)
    if not tracks and not replace:
        raise UsageError("no subtitle files to add", hint="Pass one or more SUB[:LANG] arguments")
    if probed is None:
        probed = start_probe(video)

    # Languages first: a typo is reported before anything about the video.
    langs: list[str | None] = []
    for t in tracks:
        if t.language:
            langs.append(languages.normalize(t.language))
        elif allow_und:
            langs.append(None)
        else:
            raise LanguageError("has no known language (none after ':' and none in the file name)", path=t.path,
                                hint="Add it as SUB:LANG (e.g. talk.srt:fr), name it like talk.fr.srt, or pass --allow-und")
    with prepared([Path(t.path) for t in tracks], no_overlaps=container in {"mp4", "mov"}, encoding=encoding) as subs:
        # The subtitle files are read while ffprobe runs; a bad one is reported first.
        check_cue_sizes(subs, container)
        info = probed()
        codec_opts = check_codecs(info, container, reencode)
        existing = [] if replace else info.subtitle_streams
        # What will be lost, said before the work starts.
        for sub in subs:
            for text in sub.warnings:
                warn(f"{sub.source}: {text}")
            if sub.trimmed:
                warn(f"{sub.source}: mov_text cannot show cues together: {sub.trimmed} overlapping cue(s) trimmed to end where the next starts")
            if sub.styled and (container in {"mp4", "mov"} or (container == "webm" and sub.format != "vtt")):
                kind = "mov_text" if container != "webm" else "WebVTT"
                warn(f"{sub.source}: {DISPLAY[container]} stores subtitles as {kind}, which drops positioning, alignment and "
                     f"colours (italic and bold survive); use .mkv to keep the styling")
            if sub.vtt_markup and container in {"mp4", "mov"}:
                warn(f"{sub.source}: {DISPLAY[container]} stores subtitles as mov_text, which drops WebVTT {'; '.join(sub.vtt_markup)} "
                     f"(italic and bold survive); use .mkv or .webm to keep them")

        all_langs: list[str | None] = [_existing_language(s) for s in existing] + langs
        codes = _container_codes(sorted({lang for lang in all_langs if lang}), container, warn)
        audio_language = _audio_language(info, spoken)

        # Dispositions: explicit for every subtitle stream, exactly one default when asked.
        n_exist = len(existing)
        flags_default = [s.default for s in existing] + [False] * len(tracks)
        flags_forced = [s.forced for s in existing] + [t.forced for t in tracks]
        if default is None and any(t.default for t in tracks):
            flags_default = [False] * n_exist + [t.default for t in tracks]
            first = flags_default.index(True)
            flags_default = [i == first for i in range(len(flags_default))]
        elif default is not None:
            flags_default = [False] * len(flags_default)
            if default == "first":
                order = list(range(n_exist, len(all_langs))) + list(range(n_exist))  # new tracks first
                pick = next((i for i in order if not _same_language(all_langs[i], audio_language)), None)
                if pick is not None:
                    flags_default[pick] = True
            elif default != "none":
                # New tracks first: they are what the user is adding now.
                hit = _match_language(default, list(langs))
                if hit is not None:
                    flags_default[n_exist + hit] = True
                else:
                    hit = _match_language(default, all_langs[:n_exist])
                    if hit is None:
                        have = ", ".join(sorted({lang for lang in all_langs if lang})) or "none"
                        raise UsageError(f"--default {default}: no subtitle track in that language", hint=f"Languages present: {have}")
                    flags_default[hit] = True
        for want in forced:
            hits = [i for i, lang in enumerate(all_langs) if lang and languages.base(lang) == languages.base(languages.normalize(want))]
            if not hits:
                raise UsageError(f"--forced {want}: no subtitle track in that language")
            for i in hits:
                flags_forced[i] = True
        for j, lang in enumerate(langs):
            twin = next((s for s in existing if _same_language(_existing_language(s), lang) and s.forced == flags_forced[n_exist + j]), None)
            if twin is not None:
                warn(f"{video.name} already has a {lang} subtitle stream (#{twin.index}); the output carries both. "
                     f"Pass --replace to keep only the new tracks")

        args: list[str] = ["-y", "-i", file_arg(video)]
        for sub in subs:
            args += ["-i", file_arg(sub.path)]
        args += ["-map", "0:v?", "-map", "0:a?"]
        if not replace:
            args += ["-map", "0:s?"]
        if container == "mkv":
            args += ["-map", "0:t?"]  # fonts attached to an MKV belong with its ASS tracks
        for i in range(len(subs)):
            args += ["-map", f"{i + 1}:0"]
        args += ["-dn", "-c", "copy", *codec_opts["v"], *codec_opts["a"]]

        result = MuxResult(output=output, container=container, warnings=warnings)
        for j in range(n_exist + len(subs)):
            lang = all_langs[j]
            code = codes.get(lang, "und") if lang else "und"
            if j < n_exist:
                stream = existing[j]
                codec = _sub_codec_for_existing(stream, container, video)
                # Kept tracks are tagged like new ones: the input's codes may be ones this
                # container drops (MOV has no 'fre') or writes in another form (MKV 'fre' in MP4).
                title = stream.title if stream.title and stream.title not in GENERIC_HANDLERS else (
                    languages.native_name(lang) if lang else None
                )
                source = f"input stream #{stream.index}"
                if codec != "copy" and stream.codec in STYLED_CODECS and container != "mkv":
                    warn(f"{source} ({stream.codec}) becomes {codec} in {DISPLAY[container]}, which drops its styling and positioning")
            else:
                sub = subs[j - n_exist]
                track = tracks[j - n_exist]
                codec = _sub_codec_for_new(sub, container)
                title = track.title or (languages.native_name(lang) if lang else None)
                if title and flags_forced[j] and "forced" not in title.lower():
                    title = f"{title} (forced)"
                source = str(sub.source)
            args += [f"-metadata:s:s:{j}", f"language={code}"]
            if title:
                if container in {"mp4", "mov"}:
                    args += [f"-metadata:s:s:{j}", f"handler_name={title}"]
                args += [f"-metadata:s:s:{j}", f"title={title}"]
            args += [f"-c:s:{j}", codec]
            disp = "+".join(name for name, on in (("default", flags_default[j]), ("forced", flags_forced[j])) if on) or "0"
            args += [f"-disposition:s:{j}", disp]
            written = codec if codec != "copy" else (_SOURCE_CODEC.get(subs[j - n_exist].format, "copy") if j >= n_exist else existing[j].codec or "copy")
            result.tracks.append(
                MuxedTrack(j, lang, code, title, {"srt": "subrip"}.get(written, written), flags_default[j], flags_forced[j], source)
            )
        result.reencoded = bool(codec_opts["v"] or codec_opts["a"])
        if container in {"mp4", "mov"} and result.tracks and not any(t.default for t in result.tracks):
            # ffmpeg's MP4/MOV muxer enables the first track of each kind when none is default:
            # the format cannot say "no default". Report what the file will hold, and warn when
            # that was asked for, or when the track shown is in the language being spoken.
            shown = result.tracks[0]
            shown.default = True
            if default == "none":
                warn(f"{DISPLAY[container]} has no way to mark no subtitle track as default: the first one "
                     f"({shown.language}) will be enabled; use .mkv for none")
            elif _same_language(all_langs[0], audio_language):
                warn(f"{DISPLAY[container]} enables the first subtitle track when none is default: {shown.language}, the audio's "
                     f"own language, will show over the speech; pass --default LANG, or use .mkv to leave subtitles off")

        needed = output_estimate(video, [sub.path for sub in subs], 1.5 if result.reencoded else 1.05)
        check_free_space(output.parent, needed, output.name)
        planned = {"video": len(info.video_streams), "audio": len(info.audio_streams), "subtitle": len(result.tracks)}
        with atomic_path(output, force=force, size=needed) as tmp:
            # ffmpeg creates the file itself: writing into the truncated placeholder makes ext4
            # (auto_da_alloc) flush the whole output when ffmpeg closes it, ~1 s per 2 GB.
            tmp.unlink()
            try:
                write_verified([*args, "-f", muxer], tmp, output, streams=planned, duration=planned_duration(info), needed=needed,
                               on_progress=on_progress, what="ffmpeg (mux)")
            except FFmpegError as exc:
                if "not currently supported in container" in exc.message or "Could not find tag for codec" in exc.message:
                    raise UsageError(f"{DISPLAY[container]} cannot carry a stream of this input as it is ({exc.message})", path=video,
                                     hint="Use .mkv, which takes any codec, or pass --reencode") from None
                raise
    return result


__all__ = ["CONTAINERS", "EXTENSIONS", "MuxResult", "MuxedTrack", "container_for", "default_output", "mux", "parse_track_arg"]
