"""Soft subtitle tracks: one ffmpeg pass, video and audio stream-copied, every track tagged.

Each subtitle gets the codec its container takes (MP4/MOV: mov_text; MKV: the source format kept;
WebM: WebVTT, a WebVTT file copied as it is), a three-letter language tag the container keeps, a title in the language's own
name, and an explicit disposition, so players never guess. What a container loses (positioning
and colours in mov_text and WebVTT) is reported as a warning before anything is written.

``mux`` goes in steps: the options and the preset resolved, the request checked (container,
output), the subtitle files read while ffprobe runs (``preflight``, ``subinput``) and what will
be lost said, the languages and the container's codes decided (``language_tags``), the
dispositions (``dispositions``), the ffmpeg arguments, then the output written and read back
(``output``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import languages
from ..errors import FFmpegError, LanguageError, UsageError
from ..models import MediaInfo, MuxedTrack, MuxPreset, MuxResult, Stream, SubtitleTrack
from ..outputs import check_writable
from . import dispositions
from .containers import (
    CONTAINERS,
    DISPLAY,
    EXTENSIONS,
    SOURCE_CODEC,
    check_codecs,
    sub_codec_for_existing,
    sub_codec_for_file,
)
from .ffmpeg import ProgressCallback, file_arg
from .language_tags import audio_language, container_codes, existing_language, track_languages
from .output import container_refused, output_estimate, planned_duration, write_output
from .preflight import WarningCallback, check_cue_sizes, same_file, start_probe
from .subinput import SubtitleInput, prepared

# A code (fr, pt-BR) or what a user may write instead of one (german): the latter gets a "Did you mean".
_LANG_SUFFIX = re.compile(r"^(?P<path>.+):(?P<lang>[A-Za-z][A-Za-z0-9 _-]{1,40})$")
# What muxers write as a subtitle stream's handler when it has no title: not a title to keep.
GENERIC_HANDLERS = frozenset({"SubtitleHandler", "Subtitle", "text", "Core Media Text", "Apple Text Media Handler"})
STYLED_CODECS = frozenset({"ass", "ssa"})


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
            named = languages.code_named(code)
            guess = f"Did you mean {path}:{named} ({languages.english_name(named)})? " if named else ""
            raise LanguageError(f"unknown language code '{code}' after ':'", path=path,
                                hint=f"{guess}Use an ISO 639-1 code such as en, fr, pt-BR")
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
    ``default`` flag (see ``dispositions``). ``forced``: languages flagged forced (their titles
    say so). ``replace`` drops the input's own subtitle streams; without it, a new track in a
    language the input already carries is warned about. ``probed``: a ``start_probe(video)`` the
    caller began earlier (one is started here otherwise). ``encoding``: the code page of the
    subtitle files that are not UTF-8 (guessed from their letters otherwise). Raises
    ``UsageError`` (bad options, impossible container, existing output),
    ``SubtitleReadError``/``MediaError`` (bad inputs).
    """
    video, output = Path(video), Path(output)
    warnings: list[str] = []

    def warn(text: str) -> None:
        warnings.append(text)
        if on_warning:
            on_warning(text)

    default, forced, replace = _resolve_options(preset, default, forced, replace)
    container, muxer = _check_request(video, output, tracks, replace=replace, force=force, encoding=encoding)
    if probed is None:
        probed = start_probe(video)
    langs = track_languages(tracks, allow_und)  # first: a typo is reported before anything about the video
    with prepared([Path(t.path) for t in tracks], no_overlaps=container in {"mp4", "mov"}, encoding=encoding, languages=langs) as subs:
        # The subtitle files are read while ffprobe runs; a bad one is reported first.
        check_cue_sizes(subs, container)
        info = probed()
        codec_opts = check_codecs(info, container, reencode)
        existing = [] if replace else info.subtitle_streams
        _say_losses(subs, container, warn)  # before the work starts
        all_langs = [existing_language(s) for s in existing] + langs
        codes = container_codes(sorted({lang for lang in all_langs if lang}), container, warn)
        spoken_language = audio_language(info, spoken)
        flags = dispositions.decide(existing, tracks, all_langs, default=default, forced=forced, audio_language=spoken_language)
        dispositions.warn_twins(video, existing, all_langs, flags.forced, warn)
        planned = [_kept_stream(j, stream, all_langs[j], codes, flags, container, video, warn) for j, stream in enumerate(existing)]
        planned += [_new_stream(len(existing) + i, sub, track, all_langs[len(existing) + i], codes, flags, container)
                    for i, (sub, track) in enumerate(zip(subs, tracks, strict=True))]
        args = [*_input_args(video, subs, replace=replace, container=container), *codec_opts["v"], *codec_opts["a"]]
        args += [arg for p in planned for arg in _stream_args(p, container)]
        result = MuxResult(output=output, container=container, tracks=[p.track for p in planned], warnings=warnings,
                           reencoded=bool(codec_opts["v"] or codec_opts["a"]))
        # After the arguments: the file itself says "no default"; the result says what players show.
        dispositions.report_mp4_default(container, result.tracks, default, spoken_language, warn)
        _write(args, muxer, info, subs, result, video, force=force, on_progress=on_progress)
    return result


def _resolve_options(preset: MuxPreset | None, default: str | None, forced: list[str] | None,
                     replace: bool) -> tuple[str | None, list[str], bool]:
    """(default, forced, replace): the caller's options, completed by the preset's."""
    if preset is not None:
        replace = replace or preset.replace
        forced = list(forced or []) + [f for f in preset.forced if f not in (forced or [])]
        if default is None:
            default = preset.default
    return default, list(forced or []), replace


def _check_request(video: Path, output: Path, tracks: list[SubtitleTrack], *, replace: bool, force: bool,
                   encoding: str | None) -> tuple[str, str]:
    """(container, muxer) of ``output``, after the refusals that need no file read."""
    container, muxer = container_for(output)
    if same_file(video, output):
        raise UsageError("the output would overwrite the input", path=output, hint="Choose another -o")
    check_writable(output, force=force)
    if encoding is not None:
        from ..subtitles import check_encoding

        check_encoding(encoding)
    if not tracks and not replace:
        raise UsageError("no subtitle files to add", hint="Pass one or more SUB[:LANG] arguments")
    return container, muxer


def _say_losses(subs: list[SubtitleInput], container: str, warn: WarningCallback) -> None:
    """Warn, per subtitle file, about what the container will not keep of it."""
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


@dataclass
class _Planned:
    """One subtitle stream of the output: what is reported, and the encoder ffmpeg is given."""

    track: MuxedTrack
    encoder: str  # an encoder name, or "copy"


def _kept_stream(j: int, stream: Stream, lang: str | None, codes: dict[str, str], flags: dispositions.Dispositions,
                 container: str, video: Path, warn: WarningCallback) -> _Planned:
    """A subtitle stream of the input, kept. It is tagged like a new one: the input's codes may be
    ones this container drops (MOV has no 'fre') or writes in another form (MKV 'fre' in MP4)."""
    encoder = sub_codec_for_existing(stream, container, video)
    title = stream.title if stream.title and stream.title not in GENERIC_HANDLERS else (languages.native_name(lang) if lang else None)
    source = f"input stream #{stream.index}"
    if encoder != "copy" and stream.codec in STYLED_CODECS and container != "mkv":
        warn(f"{source} ({stream.codec}) becomes {encoder} in {DISPLAY[container]}, which drops its styling and positioning")
    written = encoder if encoder != "copy" else stream.codec or "copy"
    return _planned(j, lang, codes, title, written, encoder, flags, source)


def _new_stream(j: int, sub: SubtitleInput, track: SubtitleTrack, lang: str | None, codes: dict[str, str],
                flags: dispositions.Dispositions, container: str) -> _Planned:
    """A subtitle file added; a forced track's title says so."""
    encoder = sub_codec_for_file(sub.format, container)
    title = track.title or (languages.native_name(lang) if lang else None)
    if title and flags.forced[j] and "forced" not in title.lower():
        title = f"{title} (forced)"
    written = encoder if encoder != "copy" else SOURCE_CODEC.get(sub.format, "copy")
    return _planned(j, lang, codes, title, written, encoder, flags, str(sub.source))


def _planned(j: int, lang: str | None, codes: dict[str, str], title: str | None, written: str, encoder: str,
             flags: dispositions.Dispositions, source: str) -> _Planned:
    code = codes.get(lang, "und") if lang else "und"
    codec = {"srt": "subrip"}.get(written, written)
    return _Planned(MuxedTrack(j, lang, code, title, codec, flags.default[j], flags.forced[j], source), encoder)


def _input_args(video: Path, subs: list[SubtitleInput], *, replace: bool, container: str) -> list[str]:
    """The inputs and the maps: the video's video and audio (its subtitles unless ``replace``), then
    each subtitle file; stream-copied unless codec options follow."""
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
    return [*args, "-dn", "-c", "copy"]


def _stream_args(planned: _Planned, container: str) -> list[str]:
    """Language, title, encoder and disposition of output subtitle stream ``planned``."""
    track, j = planned.track, planned.track.index
    args = [f"-metadata:s:s:{j}", f"language={track.container_code}"]
    if track.title:
        if container in {"mp4", "mov"}:
            args += [f"-metadata:s:s:{j}", f"handler_name={track.title}"]
        args += [f"-metadata:s:s:{j}", f"title={track.title}"]
    args += [f"-c:s:{j}", planned.encoder]
    disposition = "+".join(name for name, on in (("default", track.default), ("forced", track.forced)) if on) or "0"
    return [*args, f"-disposition:s:{j}", disposition]


def _write(args: list[str], muxer: str, info: MediaInfo, subs: list[SubtitleInput], result: MuxResult, video: Path, *,
           force: bool, on_progress: ProgressCallback | None) -> None:
    """Run the mux into ``result.output``, checked; a stream the container refuses is a usage error."""
    needed = output_estimate(video, [sub.path for sub in subs], 1.5 if result.reencoded else 1.05)
    streams = {"video": len(info.video_streams), "audio": len(info.audio_streams), "subtitle": len(result.tracks)}
    try:
        write_output(lambda target: [*args, "-f", muxer, target], result.output, needed=needed, streams=streams,
                     duration=planned_duration(info), force=force, on_progress=on_progress, what="ffmpeg (mux)")
    except FFmpegError as exc:
        if container_refused(exc):
            raise UsageError(f"{DISPLAY[result.container]} cannot carry a stream of this input as it is ({exc.message})", path=video,
                             hint="Use .mkv, which takes any codec, or pass --reencode") from None
        raise


__all__ = ["CONTAINERS", "EXTENSIONS", "MuxResult", "MuxedTrack", "check_codecs", "container_for", "default_output", "mux",
           "parse_track_arg", "start_probe"]
