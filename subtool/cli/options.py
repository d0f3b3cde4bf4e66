"""The transcription options shared by ``transcribe``, ``run`` and ``batch``: declared once, each
under the name the library gives it (``subtool.api.RunOptions``): ``--no-cache`` is ``cache``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..models import TranscribeOptions
from .app import split_csv

F = TypeVar("F", bound=Callable[..., Any])


def split_minutes(value: str) -> float | None:
    from ..api import split_minutes as minutes

    return minutes(value)


class Split(click.ParamType[str]):
    """``--split``: auto, off, or a number of minutes (checked by the library's rule)."""

    name = "split"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ..errors import UsageError

        try:
            split_minutes(str(value))
        except UsageError as exc:
            self.fail(exc.message, param, ctx)
        return str(value).strip().lower()


_OPTIONS = [
    click.option("-l", "--language", "languages", multiple=True, help="Spoken language (ISO 639-1); several mean detection among them."),
    click.option("--code-switching", is_flag=True, help="Detect the language per utterance (give 2-5 languages with -l)."),
    click.option("-t", "--translate", "translate", multiple=True, help="Translate into these languages: -t fr,es."),
    click.option("--translation-model", type=click.Choice(["base", "enhanced"]), default="base", show_default=True,
                 help="The service's translation model: base (fast) or enhanced (better, slower)."),
    click.option("--format", "formats", multiple=True, help="Subtitle formats: srt,vtt,ass (default srt)."),
    click.option("--profile", default=None, help="Subtitle profile (reading rules; default netflix or the preset's)."),
    click.option("--diarize", is_flag=True, help="Tell speakers apart."),
    click.option("--speakers", type=click.IntRange(min=1), help="How many speakers (a hint, with --diarize)."),
    click.option("--min-speakers", type=click.IntRange(min=1), help="At least this many speakers (with --diarize)."),
    click.option("--max-speakers", type=click.IntRange(min=1), help="At most this many speakers (with --diarize)."),
    click.option("--vocabulary", multiple=True, help="A word or name the transcription should know (repeatable)."),
    click.option("--engine", type=click.Choice(["auto", "gladia", "local"]), default="auto", show_default=True,
                 help="gladia: the Gladia service (needs GLADIA_API_KEY); local: the offline Whisper engine; auto: gladia when a key is set."),
    click.option("--model", help="Local engine model (tiny.en, base)."),
    click.option("--threads", type=click.IntRange(min=1), help="Local engine CPU threads."),
    click.option("--audio-stream", type=click.IntRange(min=0), help="Which audio stream to use, counted from 0 (default: the default one)."),
    click.option("--split", type=Split(), default="auto", show_default=True, metavar="auto|off|MINUTES",
                 help="Cut inputs longer than this (auto: 10 minutes) at silences into as many pieces as job slots are free "
                 "(5 minutes each at least), sent at once: the wait shrinks, the price stays. off: one job per input."),
    click.option("--max-jobs", type=click.IntRange(min=1, max=300), default=3, show_default=True, help="Jobs at the service at once (free plan 3, paid 25)."),
    click.option("--cache/--no-cache", "cache", default=True, help="Use a cached transcript of the same audio and options (--no-cache: transcribe again)."),
    click.option("--keep-raw", is_flag=True, help="Also write the service's own JSON as <stem>.raw.json."),
    click.option("--speaker-labels", is_flag=True, help="Mark speaker changes with a dash."),
    click.option("--template", type=click.Choice(["source", "own"]), default="source", show_default=True,
                 help="Translations take the spoken language's cue times (source), or are cut into cues of their own (own)."),
    click.option("--strict", is_flag=True,
                 help="Subtitles that break the profile are an error (exit 1): nothing is written or delivered. Without it they are written and reported."),
    click.option("--cues", type=click.Choice(["subtool", "service"]), default="subtool", show_default=True,
                 help="Whose cues the subtitle files carry. subtool (the default): built from the word timings under the profile, the "
                 "same rules for every engine, translations on the spoken language's cue times. service: the SRT/VTT files the Gladia "
                 "service wrote itself, renumbered with comma milliseconds, still checked against the profile and every break "
                 "reported, never fixed (its translated subtitles can drop final words and differ between SRT and VTT). Not with "
                 "--engine local nor --format ass; a file the service did not return gets subtool's cues, with a warning."),
    click.option("--reuse/--no-reuse", "reuse", default=True, show_default=True,
                 help="Take a wanted language already made instead of paying for it: a text track of the input, a sidecar "
                 "<stem>.<lang>.srt|vtt|ass beside it, or the subtitles yt-dlp downloaded; only the missing languages are sent "
                 "(--no-reuse: transcribe and translate every language)."),
    click.option("--reuse-auto", "reuse_auto", is_flag=True,
                 help="With --reuse, also take a platform's machine captions (yt-dlp's automatic subtitles), which are left out by default."),
    click.option("--shot-changes/--no-shot-changes", "shot_changes", default=None,
                 help="Time cue edges to the video's shot changes (found with ffmpeg's scene detection). Default: on for the netflix profile when the input has video."),
]

NAMES = (
    "languages", "code_switching", "translate", "translation_model", "formats", "profile", "diarize", "speakers", "min_speakers", "max_speakers", "vocabulary",
    "engine", "model", "threads", "audio_stream", "split", "max_jobs", "cache", "keep_raw", "speaker_labels", "template", "strict", "shot_changes",
    "cues", "reuse", "reuse_auto",
)
_LISTS = ("languages", "translate", "formats", "forced")


def transcribe_options(f: F) -> F:
    for option in reversed(_OPTIONS):
        f = option(f)
    return f


def pop_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the shared options out of a command's keyword arguments, as the library names them:
    comma lists split (``-t fr,es -t de``), empty vocabulary dropped."""
    out = {name: kwargs.pop(name) for name in NAMES}
    return run_options(out)


def run_options(o: dict[str, Any]) -> dict[str, Any]:
    """``o`` with its list options split at commas (the library takes lists)."""
    out = dict(o)
    for name in _LISTS:
        if name in out:
            out[name] = split_csv(out[name])
    if "formats" in out:
        out["formats"] = out["formats"] or ["srt"]
    if "vocabulary" in out:
        out["vocabulary"] = [v for v in out["vocabulary"] if v.strip()]
    return out


def transcription(o: dict[str, Any]) -> TranscribeOptions:
    """The shared options as ``TranscribeOptions`` (a batch's, which its items may change)."""
    return TranscribeOptions(
        languages=list(o["languages"]), code_switching=o["code_switching"], translate=list(o["translate"]),
        translation_model=o["translation_model"], formats=list(o["formats"]), diarize=o["diarize"], speakers=o["speakers"],
        min_speakers=o["min_speakers"], max_speakers=o["max_speakers"], vocabulary=list(o["vocabulary"]), model=o["model"],
        threads=o["threads"], audio_stream=o["audio_stream"], use_cache=o["cache"], keep_raw=o["keep_raw"],
        template=o["template"], strict=o["strict"], shot_changes=o["shot_changes"], split=split_minutes(o["split"]), cues=o["cues"],
        reuse=o["reuse"], reuse_auto=o["reuse_auto"],
    )



_UNITS = {"": 1, "K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4, "KI": 1024, "MI": 1024**2, "GI": 1024**3, "TI": 1024**4}


class Size(click.ParamType[int]):
    """A size in bytes: ``500M``, ``4G``, ``1.5GB``, ``2GiB``, ``1000000`` (K, M, G, T are powers
    of 1000, as the service's "1000 MB" limit; KiB, MiB, GiB, TiB powers of 1024)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]I?)?B?\s*", str(value), re.IGNORECASE)
        if not m or float(m.group(1)) <= 0:
            self.fail(f"{value!r} is not a size (e.g. 500M, 4G, 2GiB)", param, ctx)
        return int(float(m.group(1)) * _UNITS[(m.group(2) or "").upper()])


def download_options(f: F) -> F:
    """``--max-download``, for the commands that may download a URL's media."""
    return click.option(
        "--max-download", "max_download", type=Size(), default=None, show_default="8G", metavar="SIZE",
        help="Stop a URL's download past this size (e.g. 500M, 4G): 8 times the service's 1000 MB upload limit, "
        "room for 135 minutes of video at about 8 Mbit/s. A download also stops well past the size the site announced, "
        "and when less than 64 KB arrived in 60 s (SUBTOOL_DOWNLOAD_STALL_TIMEOUT, seconds).",
    )(f)
