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
    BurnStyle,
    CheckedFile,
    ConformedFile,
    ConvertedFile,
    CueProblem,
    Delivery,
    ExtractedTrack,
    Hooks,
    JobInfo,
    MediaInfo,
    MuxResult,
    Plan,
    PlanSummary,
    PresetInfo,
    PreviewResult,
    RunResult,
    SubtitleTrack,
    TranscribeOptions,
)

if TYPE_CHECKING:
    from .batch import BatchReport
    from .engines.base import Engine
    from .errors import SubtoolError
    from .subtitles.shots import Shots

__all__ = ["burn", "check", "conform", "convert", "delete_job", "dry_run", "dry_run_batch", "engine", "extract", "is_url", "job", "jobs", "list_presets", "mux", "plan", "presets_folder", "preview", "probe", "run", "run_batch", "run_plan", "show_preset",
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
    template: str  # --template: translations on the spoken language's cue times ("source", the default) or their own ("own")
    strict: bool  # --strict: subtitles that break the profile are an error (exit 1), nothing written or delivered
    shot_changes: bool | None  # --shot-changes / --no-shot-changes (None: the profile decides; netflix: on for video)
    cues: str  # --cues: subtool (its own cues, built under the profile: the default) or service (the service's own SRT/VTT files)
    cookies: str | Path | None
    playlist: bool  # accept a playlist URL: one input per video
    max_download: int | None  # bytes a URL's download may take
    preview: bool  # --preview: a review page beside the outputs (<stem>.preview.html)
    on_status: StatusCallback | None  # status lines (also the engine auto-choice note)
    font_size: float | None  # --font-size: the burn style's, a fraction of the height (0.05) or points at 1080 lines (54)
    position: str | None  # --position: top, middle or bottom (burn)
    color: str | None  # --color: the text's, #RRGGBB or a CSS name (burn)
    outline_color: str | None  # --outline-color (burn)
    box: bool  # --box: the cue on a box (burn)
    reuse: bool  # --reuse (default) / --no-reuse: a wanted language found already made is taken, not paid for
    reuse_auto: bool  # --reuse-auto: a platform's machine captions count as made
    downloaded_subtitles: Sequence[tuple[str, str, bool]]  # what yt-dlp wrote beside a local input: (language, file, machine captions)


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
    output = o.get("output")
    if output is not None:
        _output_file(output, hint="Use -d {given} for a folder of outputs; -o names the subtitled video (e.g. -o {folder}/talk.mkv)")
    if o.get("output") is not None and len(names) > 1:
        raise UsageError("-o names one output, but several inputs were given", hint="Use -d OUTDIR instead")
    transcription = TranscribeOptions(
        languages=list(o.get("languages", ())), code_switching=o.get("code_switching", False), translate=list(o.get("translate", ())),
        translation_model=o.get("translation_model", "base"), formats=list(o.get("formats", ("srt",))), diarize=o.get("diarize", False),
        speakers=o.get("speakers"), min_speakers=o.get("min_speakers"), max_speakers=o.get("max_speakers"),
        vocabulary=[v for v in o.get("vocabulary", ()) if v.strip()], model=o.get("model"), threads=o.get("threads"),
        audio_stream=o.get("audio_stream"), use_cache=o.get("cache", True), keep_raw=o.get("keep_raw", False),
        template=o.get("template", "source"), strict=o.get("strict", False), shot_changes=o.get("shot_changes"),
        cues=o.get("cues", "subtool"),
        split=split_minutes(o.get("split", "auto")), reuse=o.get("reuse", True), reuse_auto=o.get("reuse_auto", False),
    )
    chosen = o.get("engine", "auto")
    eng = chosen if not isinstance(chosen, str) else engine(chosen, max_jobs=o.get("max_jobs", 3), model=o.get("model"),
                                                            threads=o.get("threads"), on_note=o.get("on_status"))
    deliv = stage.delivery(
        mux=o.get("mux"), burn=o.get("burn"), sidecars_only=o.get("sidecars_only", False), burn_language=o.get("burn_language"),
        default=o.get("default"), forced=o.get("forced", ()), replace=o.get("replace", False),
    )
    deliv = _styled(deliv, {k: o.get(k) for k in STYLE_OPTIONS})
    cookies = o.get("cookies")
    request = stage.Request(
        options=transcription, delivery=deliv, profile=o.get("profile"), output=o.get("output"), outdir=o.get("outdir"),
        force=o.get("force", False), keep_raw=o.get("keep_raw", False), speaker_labels=o.get("speaker_labels", False),
        cookies=str(cookies) if cookies is not None else None, playlist=o.get("playlist", False), max_download=o.get("max_download"),
        preview=o.get("preview", False), downloaded=tuple((str(lang), str(path), bool(auto)) for lang, path, auto in o.get("downloaded_subtitles", ())),
    )
    return stage.plan_all([str(n) for n in names], request, eng), eng


def run_plan(
    planned: Plan,
    engine: Engine,
    *,
    on_status: StatusCallback | None = None,
    on_progress: ProgressCallback | None = None,
    on_warning: StatusCallback | None = None,
    resume_job: Sequence[str] = (),
) -> RunResult:
    """Take one of ``plan``'s plans through fetch, transcribe, write and deliver. ``resume_job``:
    the id of the job an interrupted run created for this input (sent whole), polled instead of
    created again (see ``resume_journal``)."""
    from .flow.run import run_one

    journal = resume_journal(planned, engine, resume_job) if resume_job else None
    return run_one(planned, engine, _hooks(on_status, on_progress, on_warning), journal=journal)


def dry_run(
    plans: Sequence[Plan], engine: Engine, *, on_status: StatusCallback | None = None, on_progress: ProgressCallback | None = None,
) -> list[PlanSummary]:
    """``subtool run --dry-run``: what each of ``plan``'s plans would send, cost and write (audio
    minutes, jobs, pieces, whether the cache holds the result, every file). A local input's audio
    is extracted into a temporary folder to ask the cache; nothing is uploaded, downloaded or
    written to the outputs."""
    from .flow.summary import summarize

    hooks = _hooks(on_status, on_progress, None)
    return [summarize(p, engine, hooks) for p in plans]


def dry_run_batch(items: str | Path | Iterable[Mapping[str, Any] | str | Path], **options: Any) -> tuple[list[PlanSummary], Engine]:
    """``subtool batch --dry-run``: every item checked and planned as ``run_batch`` would, then
    summarised as ``dry_run`` does (an item the batch would refuse has its ``error``). No state
    file is made; nothing is uploaded, downloaded or written. The options of ``run_batch`` (those
    that only matter to a real run, such as ``state_path`` or ``report_path``, are ignored)."""
    from .batch.dryrun import dry_run as batch_dry_run

    kept = ("options", "defaults", "engine", "max_jobs", "profile", "force", "speaker_labels", "keep_raw", "cookies", "max_download",
            "allow_outside", "style", "on_note", "on_status")
    return batch_dry_run(items, **{k: v for k, v in options.items() if k in kept})


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

    _video_first(video, subtitles[0] if subtitles else None, "mux VIDEO SUB[:LANG]...")
    if output is not None:
        _output_file(output, hint="-o names the output file: give one, e.g. -o {folder}/talk.subtitled.mkv")
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
    font_size: float | None = None,
    position: str | None = None,
    color: str | None = None,
    outline_color: str | None = None,
    box: bool = False,
    on_progress: Callable[[float, float | None], None] | None = None,
    on_warning: StatusCallback | None = None,
) -> Path:
    """``subtool burn``: one subtitle file burned into the picture; ``output`` defaults to
    ``<stem>.burned.<ext>`` beside the video, in the style's container. ``font_size``,
    ``position``, ``color``, ``outline_color`` and ``box`` change the style's values (see
    ``subtool.styles``). Returns the output."""
    from .media.burn import burn as burn_video
    from .media.containers import EXTENSIONS
    from .presets import load_burn
    from .subtitles import check_encoding

    _video_first(video, subtitle, "burn VIDEO SUBTITLE")
    if output is not None:
        _output_file(output, hint="-o names the output file: give one, e.g. -o {folder}/talk.burned.mp4")
    if encoding is not None:
        check_encoding(encoding)
    from .styles import override

    burn_style = override(load_burn(style), font_size=font_size, position=position, color=color, outline_color=outline_color, box=box)
    video = Path(video)
    _check_fit(video, Path(subtitle), burn_style, encoding)
    if output is None:
        output = video.with_name(f"{video.stem}.burned{EXTENSIONS.get(burn_style.container, '.mp4')}")
    return burn_video(video, Path(subtitle), Path(output), style=burn_style, language=language, force=force, encoding=encoding,
                      allow_heavy=allow_heavy, on_progress=on_progress, on_warning=on_warning)


def _check_fit(video: Path, subtitle: Path, style: BurnStyle, encoding: str | None) -> None:
    """Refuse SRT/WebVTT cues the style would draw on more lines than its own profile allows (a 2 x
    42 file in the social-vertical style), naming ``conform``. An ASS file keeps its own styling;
    a file or video that cannot be read is left for ``burn`` to refuse."""
    from .errors import MediaError, SubtitleReadError, UsageError
    from .media.preflight import MAX_CUE_CHARS
    from .media.probe import probe as probe_file
    from .presets import load_profile
    from .subtitles import read_subtitles
    from .subtitles.burnfit import too_tall

    if subtitle.suffix.lower() in (".ass", ".ssa"):
        return
    try:
        doc = read_subtitles(subtitle, encoding=encoding)
        info = probe_file(video, deep=False)
    except (SubtitleReadError, MediaError):
        return
    if not info.video_streams or doc.format in ("ass", "ssa"):
        return
    v = info.video_streams[0]
    prof = load_profile(style.profile)
    # A cue too big to be a subtitle is burn's to refuse (check_cue_sizes says what it is).
    cues = [e.plaintext.split("\n") if len(e.plaintext) <= MAX_CUE_CHARS else [] for e in doc.ssa.events]
    tall = too_tall(cues, style, v.width or 1920, v.height or 1080, prof.max_lines)
    if tall:
        cue, lines = tall[0]
        raise UsageError(
            f"{len(tall)} cue(s) would be drawn on more lines than the {style.name} style's {prof.name} profile allows "
            f"({prof.max_chars_per_line} characters x {prof.max_lines} lines; cue {cue} would take {lines})",
            path=subtitle, hint=f"Make the file fit first: subtool conform {subtitle} --profile {prof.name}, then burn the conformed file",
        )


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
            doc = read_subtitles(path, encoding=encoding, language=lang)
        except SubtitleReadError as exc:
            out.append(CheckedFile(str(path), profile=prof.name, error=exc.line()))
            continue
        violations = check_cues(doc, prof, language=lang)
        out.append(CheckedFile(str(path), profile=prof.name, format=doc.format, encoding=doc.encoding, cues=len(doc.ssa.events),
                               notes=list(doc.notes), warnings=list(doc.warnings), violations=list(violations)))
    return out


def preview(
    video: str | Path,
    subtitles: Sequence[str | Path | SubtitleTrack] = (),
    output: str | Path | None = None,
    *,
    profile: str = "netflix",
    language: str | None = None,
    encoding: str | None = None,
    force: bool = False,
    on_progress: Callable[[float, float | None], None] | None = None,
    on_warning: StatusCallback | None = None,
) -> PreviewResult:
    """``subtool preview``: a review page for ``video`` (``output``, default
    ``<stem>.preview.html`` beside it) with one track per subtitle file (``"talk.fr.srt"``,
    ``"x.srt:de"`` or ``SubtitleTrack``; default: the sidecars named after the video beside it, or
    after the input a run's ``talk.subtitled.mkv`` or ``talk.fr.burned.mp4`` came from),
    each read and checked against ``profile`` as ``check`` does; ``language`` is the spoken one
    (its track first). A proxy is made beside the page when browsers cannot play the video."""
    from . import languages
    from .errors import MediaError
    from .media.mux import parse_track_arg
    from .media.probe import probe as probe_file
    from .presets import load_profile
    from .review import PageFacts, PageMedia, page_path, write_page
    from .review.inputs import audio_language, delivered_from, sidecars_beside, transcript_facts
    from .subtitles import check_encoding

    if encoding is not None:
        check_encoding(encoding)
    prof = load_profile(profile)
    spoken = languages.normalize(language) if language else None
    path = Path(video)
    info = probe_file(path, deep=False)
    for problem in info.problems:
        if problem.fatal and problem.code not in ("no_audio", "too_long"):  # the service's limits, not a browser's
            raise MediaError(problem.message, path=str(path), code=problem.code)
    tracks = [s if isinstance(s, SubtitleTrack) else parse_track_arg(str(s)) for s in subtitles] or sidecars_beside(path)
    engine_name, said = transcript_facts(tracks)
    origin = delivered_from(path)  # a run's talk.fr.burned.mp4: French is in the picture
    facts = PageFacts(title=path.name, engine=engine_name, spoken=spoken or said or audio_language(info),
                      burned=origin[1] if origin is not None else None)
    page = Path(output) if output is not None else page_path(path.parent / path.stem)
    return write_page(page, PageMedia(path, info), tracks, prof, facts, encoding=encoding, force=force, on_progress=on_progress,
                      on_warning=on_warning)
def conform(paths: str | Path | Sequence[str | Path], *, profile: str = "netflix", language: str | None = None,
            output: str | Path | None = None, outdir: str | Path | None = None, shot_changes: str | Path | None = None,
            encoding: str | None = None, force: bool = False) -> list[ConformedFile]:
    """``subtool conform``: other people's subtitle files made to meet ``profile`` without a word
    changed (lines broken again, cues split and merged, gaps, durations and overlaps fixed, edges
    moved to the shot changes of the video ``shot_changes``), each written to ``output`` (one
    file), into ``outdir``, or beside it as ``<stem>.conformed[.<lang>].<ext>``; the written file
    is checked with ``check``'s code. A file that cannot be read is reported (``error``), not
    raised; an input is never written over."""
    from . import languages
    from .errors import SubtitleReadError, UsageError
    from .presets import load_profile
    from .subtitles import check_cues, check_encoding, read_subtitles
    from .subtitles.conform import conform as conform_doc
    from .subtitles.conform import output_path, save, unkept

    if encoding is not None:
        check_encoding(encoding)
    names = [paths] if isinstance(paths, str | Path) else list(paths)
    if output is not None and (len(names) > 1 or outdir is not None):
        raise UsageError("-o names one output file: give one subtitle file, or use -d OUTDIR")
    prof = load_profile(profile)
    lang = languages.normalize(language) if language else None
    targets = [output_path(p, output=output, outdir=outdir) for p in names]
    for source, target in zip(names, targets, strict=True):
        if target.resolve() == Path(source).resolve():
            raise UsageError("the conformed file would replace its input", path=target, hint="Choose another -o or -d")
    shots = _shots_of(Path(shot_changes)) if shot_changes is not None else None
    out = []
    for source, target in zip(names, targets, strict=True):
        try:
            doc = read_subtitles(source, encoding=encoding, language=lang)
        except SubtitleReadError as exc:
            out.append(ConformedFile(str(source), None, prof.name, error=exc.line()))
            continue
        doc_lang = lang or languages.from_sidecar(source)[0]
        before = {v.index for v in check_cues(doc, prof, language=doc_lang) if v.line is None}
        done = conform_doc(doc, prof, language=doc_lang, shots=shots)
        done.changes += unkept(doc, target.suffix.lower().lstrip("."))
        save(done, target, force=force)
        found = check_cues(read_subtitles(target), prof, language=doc_lang)
        problems = [CueProblem(doc_lang, v.index, v.start, v.end, v.code, v.message, path=str(target)) for v in found]
        out.append(ConformedFile(str(source), str(target), prof.name, cues_in=done.cues_in, cues_out=done.cues_out, changes=done.changes,
                                 problems=problems, before=len(before), after=len({p.cue for p in problems}), notes=list(doc.notes)))
    return out


def extract(video: str | Path, *, outdir: str | Path | None = None, languages: Sequence[str] = (), format: str | None = None,
            force: bool = False, on_progress: Callable[[float, float | None], None] | None = None) -> list[ExtractedTrack]:
    """``subtool extract``: every text subtitle stream of ``video`` (those in ``languages`` when
    given) written as ``<stem>.<lang>[.forced].<fmt>`` into ``outdir`` (default: beside it), in
    its own format (SubRip .srt, ASS .ass, WebVTT .vtt; mov_text as .srt) or in ``format``. An
    image-based stream (PGS, DVB, VobSub) is listed with ``refused`` saying why; a video with no
    subtitle stream (in those languages) is an ``InputError``. Every output is checked before the
    first is written; all are written in one ffmpeg pass, each atomically (``on_progress(done,
    total)``: seconds of the video read)."""
    from . import languages as langs
    from .errors import InputError, MediaError, UsageError
    from .media.extract import FORMATS, image_kind, natural_format, stream_language
    from .media.probe import probe as probe_file
    from .outputs import check_writable

    if format is not None and format not in FORMATS:
        raise UsageError(f"unknown subtitle format '{format}'", hint="Use srt, vtt or ass")
    path = Path(video)
    _video_first(path, None, "extract VIDEO [-d DIR]")
    wanted = [langs.normalize(code) for code in languages]
    info = probe_file(path, deep=False)
    for problem in info.problems:
        if problem.fatal and problem.code not in ("no_audio", "too_long"):  # the service's limits, not extraction's
            raise MediaError(problem.message, path=str(path), code=problem.code)
    streams = [s for s in info.subtitle_streams if not wanted or stream_language(s) in wanted]
    if not streams:
        which = f" in {', '.join(wanted)}" if wanted else ""
        has = ", ".join(f"#{s.index} {stream_language(s) or 'und'}" for s in info.subtitle_streams)
        raise InputError(f"has no subtitle stream{which}", path=path, hint=f"Its subtitle streams: {has}" if has else "It carries none")
    folder = Path(outdir) if outdir is not None else path.parent
    out: list[ExtractedTrack] = []
    named: set[Path] = set()
    for s in streams:
        lang = stream_language(s)
        track = ExtractedTrack(s.index, s.codec, lang, s.forced)
        own = natural_format(s)
        if own is None:
            track.refused = f"{image_kind(s)} subtitles are pictures of text: extracting them needs OCR, which subtool does not do"
        else:
            track.format = format or own
            name = f"{path.stem}.{lang or 'und'}{'.forced' if s.forced else ''}"
            target = folder / f"{name}.{track.format}"
            if target in named:  # a second stream of the same language: its number tells them apart
                target = folder / f"{name}.{s.index}.{track.format}"
            named.add(target)
            check_writable(target, force=force)
            track.output = str(target)
        out.append(track)
    from .media.extract import extract_streams

    by_index = {s.index: s for s in streams}
    jobs = [(by_index[t.stream], Path(t.output), t.format) for t in out if t.output is not None]
    if jobs:
        extract_streams(path, jobs, force=force, duration=info.duration, on_progress=on_progress)
    return out


def convert(paths: str | Path | Sequence[str | Path], *, to: str, shift: float = 0.0, fps: str | tuple[float, float] | None = None,
            output: str | Path | None = None, outdir: str | Path | None = None, force: bool = False,
            encoding: str | None = None) -> list[ConvertedFile]:
    """``subtool convert``: subtitle files written in the format ``to`` (srt, vtt, ass) through
    pysubs2, retimed by ``fps`` (``"23.976:25"``: every time x FROM/TO) then ``shift`` seconds
    (cues moved before zero start at zero, and say so), to ``output`` (one file), into ``outdir``,
    or beside each as ``<stem>.<to>`` (``talk.fr.srt`` -> ``talk.fr.vtt``). What the format cannot
    carry is in each result's ``warnings``; a file that cannot be read is reported (``error``),
    not raised. An input is never written over; an output only with ``force``."""
    import math

    from .errors import SubtitleReadError, UsageError
    from .outputs import check_writable
    from .subtitles import check_encoding
    from .subtitles.convert import FORMATS, convert_file, parse_fps

    if to not in FORMATS:
        raise UsageError(f"unknown subtitle format '{to}'", hint="Use --to srt, vtt or ass")
    if not math.isfinite(shift):
        raise UsageError(f"--shift takes seconds, not '{shift}'", hint="E.g. --shift -1.5")
    if encoding is not None:
        check_encoding(encoding)
    rates = parse_fps(fps) if isinstance(fps, str) else fps
    names = [paths] if isinstance(paths, str | Path) else list(paths)
    if output is not None and (len(names) > 1 or outdir is not None):
        raise UsageError("-o names one output file: give one subtitle file, or use -d OUTDIR")
    if output is not None:
        _output_file(output, hint="-o names the output file, e.g. -o {folder}/talk.fr." + to)
    targets = [Path(output) if output is not None else (Path(outdir) if outdir is not None else Path(p).parent) / f"{Path(p).stem}.{to}"
               for p in names]
    for source, target in zip(names, targets, strict=True):
        if target.absolute() == Path(source).absolute():
            raise UsageError("the converted file would replace its input", path=target, hint="Give -o or -d to write it elsewhere")
        check_writable(target, force=force)
    if len(set(targets)) < len(targets):
        raise UsageError("two inputs would be converted to the same file", hint="Convert them into different -d folders")
    out = []
    for source, target in zip(names, targets, strict=True):
        try:
            done = convert_file(Path(source), target, to, shift=shift, fps=rates, force=force, encoding=encoding)
        except SubtitleReadError as exc:
            out.append(ConvertedFile(str(source), None, to, error=exc.line()))
            continue
        out.append(ConvertedFile(str(source), str(target), to, cues=done.cues, warnings=done.warnings, notes=done.notes))
    return out


def frame_rates(text: str) -> tuple[float, float]:
    """``convert --fps``'s ``FROM:TO`` as two frame rates (``"23.976:25"`` -> (23.976, 25.0));
    anything else is a ``UsageError``."""
    from .subtitles.convert import parse_fps

    return parse_fps(text)


def _shots_of(video: Path) -> Shots:
    """The shot changes of ``video`` (for ``conform --shot-changes``)."""
    from .media.probe import probe as probe_file
    from .media.shots import detect
    from .subtitles.shots import Shots

    found = detect(video, probe_file(video, deep=False))
    return Shots.of(found.cuts, found.fps) or Shots((), found.fps)


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
        from .suggest import did_you_mean

        known = sorted({info.name for info in list_presets(kind)})
        raise PresetError(f"no preset called '{name}'", hint=f"{did_you_mean(name, known)}Available: {', '.join(known) or 'none'}")
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


def jobs(limit: int = 20) -> list[JobInfo]:
    """``subtool jobs list``: the newest jobs at the Gladia service (GLADIA_API_KEY's account)."""
    return [_job_info(raw) for raw in _gladia().list_jobs(limit)]


def job(job_id: str) -> tuple[JobInfo, dict[str, Any]]:
    """``subtool jobs get ID``: one job at the Gladia service, and the service's own JSON of it."""
    raw = _gladia().job(job_id)
    return _job_info(raw), raw


def delete_job(job_id: str) -> None:
    """``subtool jobs delete ID``: delete a finished job (its audio and results) at the service."""
    _gladia().delete_job(job_id)


def _gladia() -> Any:
    from .engines.gladia.engine import GladiaEngine

    return GladiaEngine()


def _job_info(raw: Mapping[str, Any]) -> JobInfo:
    def table(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    file, params, metadata = table(raw.get("file")), table(raw.get("request_params")), table(raw.get("custom_metadata"))
    translation = table(params.get("translation_config")) if params.get("translation") else {}
    duration = file.get("audio_duration")
    return JobInfo(
        id=str(raw.get("id")), status=str(raw.get("status")), created_at=raw.get("created_at"), filename=file.get("filename"),
        duration=float(duration) if isinstance(duration, int | float) else None, error_code=raw.get("error_code"),
        token=metadata.get("subtool_request"), translate=list(translation.get("target_languages") or []) or None,
    )


def resume_journal(planned: Plan, engine: Engine, job_ids: Sequence[str]) -> Any:
    """``run --resume-job ID``: a job journal holding the job an interrupted run created for an
    input sent whole, so that the run polls it instead of creating a new one.
    Each job is checked against the input first: a job over audio of another length, or made
    without a translation asked for now, is refused rather than made into this input's subtitles."""
    from .engines.base import is_job_engine
    from .engines.jobs import MemoryJournal
    from .errors import UsageError

    if not is_job_engine(engine) or not hasattr(engine, "job"):
        raise UsageError("--resume-job takes up a job at the Gladia service", hint="Use --engine gladia (with GLADIA_API_KEY set)")
    if len(job_ids) > 1:  # the pieces' order cannot be checked against their jobs: a swap would misplace every cue
        raise UsageError("--resume-job takes the one job of an input sent whole",
                         hint="An input sent in pieces is taken up again by a batch: subtool batch INPUT, then --resume")
    journal = MemoryJournal()
    for piece, job_id in enumerate(job_ids):
        info = _job_info(engine.job(job_id))
        length = _audio_length(planned)
        if len(job_ids) == 1 and info.duration and length and abs(info.duration - length) > max(1.0, 0.02 * length):
            raise UsageError(f"job {job_id} was given {info.duration:.1f} s of audio, but {planned.input} has {length:.1f} s",
                             hint="It is another input's job: see 'subtool jobs list'")
        missing = [t for t in planned.options.translate if t not in (info.translate or [])]
        if missing:
            raise UsageError(f"job {job_id} was made without the translation into {', '.join(missing)} asked for now",
                             hint="Give the -t of the interrupted run, or run without --resume-job")
        journal.submitted(piece, job_id)
    return journal


def _audio_length(planned: Plan) -> float | None:
    """The length of the audio a run sends for ``planned``: its audio stream's, else the input's."""
    info = planned.source.info
    if info is not None and info.audio_streams:
        from .media.audio import pick_audio_stream

        _, stream = pick_audio_stream(info, planned.options.audio_stream)
        if stream.duration:
            return stream.duration
    return planned.source.duration


def language_codes() -> list[str]:
    """The language codes the Gladia service transcribes or translates into (for completion)."""
    from .engines.gladia import service

    return sorted(service.TRANSLATION_LANGUAGES)


def config(command: str) -> dict[str, tuple[Any, str]]:
    """The defaults of ``command`` (run, transcribe or batch) from the config file and the
    environment (see ``subtool.config``): each key's value and where it came from."""
    from .config import settings

    return {key: (s.value, s.origin) for key, s in settings(command).items()}


def config_file() -> Path:
    """The config file read (``SUBTOOL_CONFIG``, else config.toml in subtool's config folder)."""
    from .config import config_path

    return config_path()


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"Did you mean 'run'? "`` when one of ``choices`` is close to ``word`` (a typo), else ``""``."""
    from .suggest import did_you_mean as suggestion

    return suggestion(word, choices)


def as_error(exc: BaseException) -> SubtoolError | None:
    """A fault of the machine that escaped the code that could name it better, as subtool's one
    line: a full disk (OSError ENOSPC/EDQUOT/EFBIG, or SQLite's "database or disk is full"), a
    name too long; None for anything else."""
    from .outputs import database_full, os_error

    if isinstance(exc, OSError):
        return os_error(exc)
    return database_full(exc)


STYLE_OPTIONS = ("font_size", "position", "color", "outline_color", "box")


def _styled(deliv: Delivery, options: Mapping[str, Any]) -> Delivery:
    """The delivery with the burn style's values the command line changed (``--font-size``...)."""
    from . import styles

    changed = styles.given(**options)
    if not changed:
        return deliv
    if deliv.burn is None:
        from .errors import UsageError

        name = next(iter(changed)).replace("_", "-")
        raise UsageError(f"--{name} changes how subtitles are burned, but this run does not burn them", hint="Add --burn STYLE")
    return dataclasses.replace(deliv, burn=styles.override(deliv.burn, **changed))  # type: ignore[arg-type]


SUBTITLE_SUFFIXES = (".srt", ".vtt", ".ass", ".ssa", ".sub", ".sbv", ".ttml", ".dfxp")


def _video_first(video: str | Path | SubtitleTrack, other: str | Path | SubtitleTrack | None, usage: str) -> None:
    """Refuse a subtitle file given where the video belongs (``burn talk.fr.srt talk.mp4``)."""
    if isinstance(video, SubtitleTrack) or Path(video).suffix.lower() not in SUBTITLE_SUFFIXES:
        return
    swapped = f" (the video looks like {other})" if other is not None and not isinstance(other, SubtitleTrack) \
        and Path(str(other)).suffix.lower() not in SUBTITLE_SUFFIXES else ""
    from .errors import UsageError

    raise UsageError(f"is a subtitle file, given where the video belongs{swapped}", path=str(video),
                     hint=f"VIDEO comes first: subtool {usage}")


def _output_file(output: str | Path, *, hint: str) -> None:
    """Refuse a folder given as ``-o`` (``-o out/``, or a folder that exists): ``-o`` names a file."""
    import os

    text = str(output)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        from .errors import UsageError

        folder = text.rstrip("/" + os.sep) or text
        raise UsageError(f"-o {text} is a folder, and -o names a file", hint=hint.format(given=text, folder=folder))


def _hooks(on_status: StatusCallback | None, on_progress: ProgressCallback | None, on_warning: StatusCallback | None) -> Hooks:
    quiet: StatusCallback = lambda _line: None  # noqa: E731
    return Hooks(status=on_status or quiet, progress=on_progress, warning=on_warning or quiet)
