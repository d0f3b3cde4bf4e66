"""The library: the commands as typed functions, with the commands' option names.

Every function takes the options of its command as keyword arguments of the same name
(``--burn-language`` is ``burn_language``, ``--no-cache`` is ``cache=False``), returns the
dataclasses of ``subtool.models`` and raises the errors of ``subtool.errors``. ``import subtool``
exposes these; the command line (``subtool.cli``) calls nothing else.

Callbacks: ``on_status`` hears short status lines (those starting ``note: `` say something about
the result or the wait), ``on_progress(stage, done, total)`` the progress of the slow stages,
``on_warning`` what a result could not keep, and ``on_input`` the input each run starts on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from .models import (
    CheckedFile,
    Hooks,
    MediaInfo,
    MuxResult,
    Plan,
    PresetInfo,
    RunResult,
    SubtitleTrack,
    TranscribeOptions,
)

if TYPE_CHECKING:
    from .batch import BatchReport
    from .engines.base import Engine
    from .errors import SubtoolError

__all__ = ["burn", "check", "engine", "is_url", "list_presets", "mux", "plan", "presets_folder", "probe", "run", "run_batch", "run_plan", "show_preset",
           "split_minutes", "transcribe"]

StatusCallback = Callable[[str], None]
ProgressCallback = Callable[[str, float, float | None], None]


def probe(path: str | Path, *, platform: str | None = None) -> MediaInfo:
    """``subtool probe``: a media file's format, streams and problems against the service's limits."""
    from .media.probe import probe as probe_file

    return probe_file(path, platform=platform)


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL (what yt-dlp is asked about), not a path."""
    from .sources import is_url as url

    return url(text)


def engine(name: str = "auto", *, max_jobs: int = 3, model: str | None = None, threads: int | None = None,
           on_note: StatusCallback | None = None) -> Engine:
    """The engine called ``name`` (``auto``: Gladia when GLADIA_API_KEY is set, else the offline one)."""
    from .engines import get_engine

    return get_engine(name, max_jobs=max_jobs, model=model, threads=threads, on_note=on_note)


class RunOptions(TypedDict, total=False):
    """The options of ``subtool run`` (and of ``transcribe``, which has no delivery), by their
    command-line names: ``--burn-language`` is ``burn_language``, ``--no-cache`` ``cache=False``."""

    languages: Sequence[str]  # -l: the spoken language; several mean detection among them
    translate: Sequence[str]  # -t: translation targets, in order
    formats: Sequence[str]  # --format: srt, vtt, ass (default srt)
    profile: str | None  # --profile: reading rules (default: the delivery preset's, else netflix)
    engine: str | Engine  # --engine: auto, gladia, local (or an engine object)
    mux: str | None  # --mux PRESET (default mkv-multi)
    burn: str | None  # --burn STYLE
    burn_language: str | None
    sidecars_only: bool
    default: str | None  # --default LANG: the default track (mux); "none" for none
    forced: Sequence[str]
    replace: bool  # mux: drop the input's own subtitle streams
    output: str | Path | None  # -o: the subtitled video (one input); side files go beside it
    outdir: str | Path | None  # -d
    force: bool
    diarize: bool
    speakers: int | None
    min_speakers: int | None
    max_speakers: int | None
    speaker_labels: bool
    code_switching: bool
    translation_model: str  # base, enhanced
    vocabulary: Sequence[str]
    audio_stream: int | None
    split: str | float  # --split: "auto" (inputs over 10 minutes), "off", or a number of minutes
    max_jobs: int  # jobs at the service at once (default 3, the free plan)
    model: str | None  # local engine model
    threads: int | None  # local engine threads
    cache: bool  # --no-cache is cache=False
    keep_raw: bool
    cookies: str | Path | None
    playlist: bool  # accept a playlist URL: one input per video
    max_download: int | None  # bytes a URL's download may take
    on_status: StatusCallback | None  # status lines (also the engine auto-choice note)


def split_minutes(value: str | float | None) -> float | None:
    """``--split`` as ``TranscribeOptions.split``: "auto" (or None) is 10 minutes, "off" None, a
    number of minutes itself. Anything else is a ``UsageError``."""
    import math

    from .errors import UsageError
    from .flow.layout import DEFAULT_SPLIT_MINUTES

    text = str(value).strip().lower() if value is not None else "auto"
    if text == "auto":
        return DEFAULT_SPLIT_MINUTES
    if text == "off":
        return None
    try:
        minutes = float(text)
    except ValueError:
        minutes = math.nan
    if not math.isfinite(minutes) or minutes <= 0:
        raise UsageError(f"--split takes auto, off or a number of minutes, not '{value}'",
                         hint="E.g. --split 20 cuts inputs longer than 20 minutes across the free job slots")
    return minutes


def plan(inputs: str | Path | Sequence[str | Path], **options: Unpack[RunOptions]) -> tuple[list[Plan], Engine]:
    """Every check of ``subtool run`` on every input, before anything is downloaded or uploaded:
    the plans (one per input; a playlist with ``playlist`` gives one per video) and the engine
    that will run them (``run_plan``). Nothing is written."""
    from .errors import UsageError
    from .flow import plan as stage

    o = options
    unknown = sorted(set(o) - set(RunOptions.__annotations__))
    if unknown:
        raise UsageError(f"unknown option '{unknown[0]}'", hint="The options are those of subtool run: " + ", ".join(RunOptions.__annotations__))
    names = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    if o.get("output") is not None and len(names) > 1:
        raise UsageError("-o names one output, but several inputs were given", hint="Use -d OUTDIR instead")
    transcription = TranscribeOptions(
        languages=list(o.get("languages", ())), code_switching=o.get("code_switching", False), translate=list(o.get("translate", ())),
        translation_model=o.get("translation_model", "base"), formats=list(o.get("formats", ("srt",))), diarize=o.get("diarize", False),
        speakers=o.get("speakers"), min_speakers=o.get("min_speakers"), max_speakers=o.get("max_speakers"),
        vocabulary=[v for v in o.get("vocabulary", ()) if v.strip()], model=o.get("model"), threads=o.get("threads"),
        audio_stream=o.get("audio_stream"), use_cache=o.get("cache", True), keep_raw=o.get("keep_raw", False),
        split=split_minutes(o.get("split", "auto")),
    )
    chosen = o.get("engine", "auto")
    eng = chosen if not isinstance(chosen, str) else engine(chosen, max_jobs=o.get("max_jobs", 3), model=o.get("model"),
                                                            threads=o.get("threads"), on_note=o.get("on_status"))
    deliv = stage.delivery(
        mux=o.get("mux"), burn=o.get("burn"), sidecars_only=o.get("sidecars_only", False), burn_language=o.get("burn_language"),
        default=o.get("default"), forced=o.get("forced", ()), replace=o.get("replace", False),
    )
    cookies = o.get("cookies")
    request = stage.Request(
        options=transcription, delivery=deliv, profile=o.get("profile"), output=o.get("output"), outdir=o.get("outdir"),
        force=o.get("force", False), keep_raw=o.get("keep_raw", False), speaker_labels=o.get("speaker_labels", False),
        cookies=str(cookies) if cookies is not None else None, playlist=o.get("playlist", False), max_download=o.get("max_download"),
    )
    return stage.plan_all([str(n) for n in names], request, eng), eng


def run_plan(
    planned: Plan,
    engine: Engine,
    *,
    on_status: StatusCallback | None = None,
    on_progress: ProgressCallback | None = None,
    on_warning: StatusCallback | None = None,
) -> RunResult:
    """Take one of ``plan``'s plans through fetch, transcribe, write and deliver."""
    from .flow.run import run_one

    return run_one(planned, engine, _hooks(on_status, on_progress, on_warning))


def run(
    inputs: str | Path | Sequence[str | Path],
    *,
    on_input: Callable[[str], None] | None = None,
    on_progress: ProgressCallback | None = None,
    on_warning: StatusCallback | None = None,
    **options: Unpack[RunOptions],
) -> list[RunResult]:
    """``subtool run``: the whole job for each input (a path or a URL), with the options of
    ``plan``. Every input is checked before the first is processed; one result per input (per
    video of a playlist)."""
    plans, eng = plan(inputs, **options)
    results = []
    for p in plans:
        if on_input is not None:
            on_input(p.input)
        results.append(run_plan(p, eng, on_status=options.get("on_status"), on_progress=on_progress, on_warning=on_warning))
    return results


def transcribe(
    inputs: str | Path | Sequence[str | Path],
    *,
    on_input: Callable[[str], None] | None = None,
    on_progress: ProgressCallback | None = None,
    on_warning: StatusCallback | None = None,
    **options: Unpack[RunOptions],
) -> list[RunResult]:
    """``subtool transcribe``: ``<stem>.<lang>.<fmt>`` and ``<stem>.transcript.json`` for each
    input (``run`` with ``sidecars_only``: the options of ``plan``, without delivery or ``output``)."""
    from .errors import UsageError

    unwanted = sorted(k for k in ("mux", "burn", "burn_language", "default", "forced", "replace", "output") if options.get(k))
    if unwanted:
        raise UsageError(f"transcribe writes only sidecars: {', '.join(unwanted)} belong to run", hint="Use subtool run")
    options["sidecars_only"] = True
    return run(inputs, on_input=on_input, on_progress=on_progress, on_warning=on_warning, **options)


def mux(
    video: str | Path,
    subtitles: Sequence[str | Path | SubtitleTrack],
    output: str | Path | None = None,
    *,
    preset: str | None = None,
    default: str | None = None,
    forced: Sequence[str] = (),
    replace: bool = False,
    allow_und: bool = False,
    reencode: bool = False,
    force: bool = False,
    encoding: str | None = None,
    on_progress: Callable[[float, float | None], None] | None = None,
    on_warning: StatusCallback | None = None,
) -> MuxResult:
    """``subtool mux``: subtitle files (``"talk.fr.srt"``, ``"x.srt:de"`` or ``SubtitleTrack``)
    as soft tracks, in one pass without re-encoding; ``output`` defaults to
    ``<stem>.subtitled.<ext>`` beside the video, in the preset's container (MKV without one)."""
    from .media import mux as m
    from .presets import load_mux
    from .subtitles import check_encoding

    if encoding is not None:
        check_encoding(encoding)
    probed = m.start_probe(Path(video))  # ffprobe runs while the arguments and files are checked
    mux_preset = load_mux(preset) if preset else None
    tracks = [s if isinstance(s, SubtitleTrack) else m.parse_track_arg(str(s)) for s in subtitles]
    if output is None:
        output = m.default_output(Path(video), mux_preset.container if mux_preset else "mkv")
    return m.mux(
        Path(video), tracks, Path(output), preset=mux_preset, default=default, forced=list(forced), replace=replace,
        allow_und=allow_und, reencode=reencode, force=force, encoding=encoding, on_progress=on_progress, on_warning=on_warning,
        probed=probed,
    )


def burn(
    video: str | Path,
    subtitle: str | Path,
    output: str | Path | None = None,
    *,
    style: str = "clean",
    language: str | None = None,
    force: bool = False,
    encoding: str | None = None,
    allow_heavy: bool = False,
    on_progress: Callable[[float, float | None], None] | None = None,
    on_warning: StatusCallback | None = None,
) -> Path:
    """``subtool burn``: one subtitle file burned into the picture; ``output`` defaults to
    ``<stem>.burned.<ext>`` beside the video, in the style's container. Returns the output."""
    from .media.burn import burn as burn_video
    from .media.containers import EXTENSIONS
    from .presets import load_burn
    from .subtitles import check_encoding

    if encoding is not None:
        check_encoding(encoding)
    burn_style = load_burn(style)
    video = Path(video)
    if output is None:
        output = video.with_name(f"{video.stem}.burned{EXTENSIONS.get(burn_style.container, '.mp4')}")
    return burn_video(video, Path(subtitle), Path(output), style=burn_style, language=language, force=force, encoding=encoding,
                      allow_heavy=allow_heavy, on_progress=on_progress, on_warning=on_warning)


def check(paths: str | Path | Sequence[str | Path], *, profile: str = "netflix", language: str | None = None,
          encoding: str | None = None) -> list[CheckedFile]:
    """``subtool check``: each file read as any tool's subtitles and checked against ``profile``:
    the cues that break it, the blocks that could not be read, and what reading had to fix. A file
    that cannot be read as subtitles is reported (``error``), not raised."""
    from . import languages
    from .errors import SubtitleReadError
    from .presets import load_profile
    from .subtitles import check_cues, check_encoding, read_subtitles

    if encoding is not None:
        check_encoding(encoding)
    prof = load_profile(profile)
    lang = languages.normalize(language) if language else None
    out = []
    for path in [paths] if isinstance(paths, str | Path) else paths:
        try:
            doc = read_subtitles(path, encoding=encoding)
        except SubtitleReadError as exc:
            out.append(CheckedFile(str(path), profile=prof.name, error=exc.line()))
            continue
        violations = check_cues(doc, prof, language=lang)
        out.append(CheckedFile(str(path), profile=prof.name, format=doc.format, encoding=doc.encoding, cues=len(doc.ssa.events),
                               notes=list(doc.notes), warnings=list(doc.warnings), violations=list(violations)))
    return out


def list_presets(kind: str | None = None) -> list[PresetInfo]:
    """``subtool presets list``: every preset (shipped or the user's), malformed ones with their error."""
    from . import presets as p
    from .errors import PresetError

    out = []
    for found in p.discover():
        if kind is not None and found.kind != kind and found.error is None:
            continue
        description, error = "", found.error.line() if found.error else None
        if found.error is None:
            try:
                description = p.load(found.kind, found.name).description  # type: ignore[arg-type]
            except PresetError as exc:
                error = exc.line()
        out.append(PresetInfo(found.name, found.kind or None, found.origin, str(found.path),
                              str(found.overrides) if found.overrides else None, description, error))
    return out


def show_preset(name: str, kind: str | None = None) -> list[tuple[PresetInfo, dict[str, Any]]]:
    """``subtool presets show NAME``: what each preset called ``name`` sets (one per kind)."""
    from . import presets as p
    from .errors import PresetError

    found = [info for info in list_presets(kind) if info.name == name]
    if not found:
        names = ", ".join(sorted({info.name for info in list_presets(kind)})) or "none"
        raise PresetError(f"no preset called '{name}'", hint=f"Available: {names}")
    out = []
    for info in found:
        if info.error is not None or info.kind is None:
            raise PresetError(info.error or f"preset '{name}' is malformed")
        values = dataclasses.asdict(p.load(info.kind, name))  # type: ignore[arg-type]
        values.pop("name", None)
        out.append((info, values))
    return out


def presets_folder() -> Path:
    """Where a user's presets go (``SUBTOOL_PRESETS_DIR``, else the config folder's presets/)."""
    from .presets import user_dir

    return user_dir()


def run_batch(items: str | Path | Iterable[Mapping[str, Any] | str | Path], **options: Any) -> BatchReport:
    """``subtool batch``: many inputs (a manifest file, or mappings with its columns, or paths),
    resumable; see ``subtool.batch.run_batch`` for the options."""
    from .batch import run_batch as batch

    return batch(items, **options)


def as_error(exc: BaseException) -> SubtoolError | None:
    """A fault of the machine that escaped the code that could name it better, as subtool's one
    line: a full disk (OSError ENOSPC/EDQUOT/EFBIG, or SQLite's "database or disk is full"), a
    name too long; None for anything else."""
    from .outputs import database_full, os_error

    if isinstance(exc, OSError):
        return os_error(exc)
    return database_full(exc)


def _hooks(on_status: StatusCallback | None, on_progress: ProgressCallback | None, on_warning: StatusCallback | None) -> Hooks:
    quiet: StatusCallback = lambda _line: None  # noqa: E731
    return Hooks(status=on_status or quiet, progress=on_progress, warning=on_warning or quiet)
