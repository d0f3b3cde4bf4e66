"""Stage 1, plan: every check that can refuse an input, done before anything is downloaded or
uploaded, and every output named once.

A typo costs nothing: the options (languages the engine knows, formats, speaker hints), the
presets, the languages the delivery names (``--burn-language``, ``--default``, ``--forced`` must be
ones the run writes), the input (probed; a URL resolved with yt-dlp, a playlist expanded), the
outputs (never overwritten without ``--force``; a folder that cannot be written), the output
container against the input's codecs, and the free disk. The ``Plan`` then holds each decision:
where side files go (``side_stem``: ``-d``, else beside ``-o``'s file, else beside the input), the
video's name, and the language burned into it (``burn_choice``).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence
from pathlib import Path

from .. import languages as langs
from .. import sources
from ..engines.base import Engine
from ..engines.gladia import service
from ..errors import MediaError, UsageError
from ..models import Delivery, MediaInfo, Plan, Reused, Source, TranscribeOptions
from ..outputs import check_writable, existing_ancestor
from ..presets import load_burn, load_mux, load_profile
from ..redaction import redact
from . import reuse

DEFAULT_MUX = "mkv-multi"
SUBTITLE_FORMATS = ("srt", "vtt", "ass")
CUES = ("subtool", "service")  # --cues: whose cues the subtitle files carry (the write stage's choice)


# -- options ----------------------------------------------------------------------------------------


def check_options(options: TranscribeOptions, engine: Engine) -> TranscribeOptions:
    """``options`` with language codes normalised; refuses what no engine, or ``engine``, can do."""
    hints = {"--speakers": options.speakers, "--min-speakers": options.min_speakers, "--max-speakers": options.max_speakers}
    given = [name for name, value in hints.items() if value is not None]
    if given and not options.diarize:
        raise UsageError(f"{given[0]} needs --diarize")
    if options.min_speakers is not None and options.max_speakers is not None and options.min_speakers > options.max_speakers:
        raise UsageError(f"--min-speakers {options.min_speakers} is more than --max-speakers {options.max_speakers}")
    bad = [f for f in options.formats if f not in SUBTITLE_FORMATS]
    if bad:
        raise UsageError(f"unknown subtitle format '{bad[0]}'", hint="Use srt, vtt or ass")
    if not options.formats:
        raise UsageError("no subtitle format given", hint="Use --format srt,vtt")
    if options.template not in ("source", "own"):
        raise UsageError(f"unknown --template '{options.template}'", hint="Use source (the spoken language's cue times) or own")
    if options.cues not in CUES:
        raise UsageError(f"unknown --cues '{options.cues}'", hint="Use subtool (its own cues, the default) or service (the service's subtitle files)")
    options = dataclasses.replace(
        options,
        languages=[langs.normalize(c) for c in options.languages],
        translate=list(dict.fromkeys(langs.normalize(c, what="translation target") for c in options.translate)),
        formats=list(dict.fromkeys(options.formats)),
    )
    if options.code_switching and len(options.languages) < 2:
        # Gladia's advice: with no candidates the detector tries 100+ languages and misdetects.
        raise UsageError("--code-switching needs the languages that may be spoken", hint="Give 2-5 of them with -l, e.g. -l en,fr,es")
    engine.check(options)
    return options


def delivery(
    *,
    mux: str | None = None,
    burn: str | None = None,
    sidecars_only: bool = False,
    burn_language: str | None = None,
    default: str | None = None,
    forced: Sequence[str] = (),
    replace: bool = False,
) -> Delivery:
    """Load and check the delivery presets (a malformed or unknown one stops everything here)."""
    if sum(bool(x) for x in (mux, burn, sidecars_only)) > 1:
        raise UsageError("choose one of --mux, --burn and --sidecars-only")
    if replace and (burn or sidecars_only):
        raise UsageError("--replace applies to --mux deliveries (a burned video carries no subtitle streams)")
    if sidecars_only:
        return Delivery("sidecars")
    if burn:
        return Delivery("burn", burn=load_burn(burn), burn_language=langs.normalize(burn_language) if burn_language else None)
    return Delivery(
        "mux", mux=load_mux(mux or DEFAULT_MUX), default=langs.normalize(default) if default and default != "none" else default,
        forced=tuple(langs.normalize(f) for f in forced), replace=replace,
    )


def _check_languages(deliv: Delivery, options: TranscribeOptions) -> None:
    """The languages the delivery names must be ones the run writes: a typo in --default or
    --burn-language would otherwise be found only after the job was paid for."""
    if deliv.kind == "burn" and deliv.burn_language is None and len(options.translate) > 1:
        raise UsageError(
            f"--burn needs to know which language to burn: {len(options.translate)} translations are made",
            hint="Give --burn-language LANG (the spoken one or a -t target)",
        )
    default = deliv.default if deliv.default != "none" else None
    named = [("--burn-language", deliv.burn_language), ("--default", default), *(("--forced", f) for f in deliv.forced)]
    for option, lang in named:
        if not lang or lang in options.translate or lang in options.languages:
            continue
        if options.languages:
            raise UsageError(
                f"{option} {lang} is neither a spoken language (-l {','.join(options.languages)}) nor a translation target",
                hint=f"Add -t {lang}, or pick one of: {', '.join(dict.fromkeys([*options.languages, *options.translate]))}",
            )
        raise UsageError(
            f"{option} {lang} is not a translation target, and the spoken language is left to detection",
            hint=f"Give -l {lang} if {lang} is spoken, or -t {lang} to translate into it",
        )


# -- the decisions ------------------------------------------------------------------------------------


def burn_choice(deliv: Delivery, options: TranscribeOptions) -> str | None:
    """Which language a burn delivery draws: ``--burn-language``, else the only ``-t`` target,
    else the spoken language (``-l`` when given alone; None: detected, known after transcription).
    Several targets and no ``--burn-language`` are refused by ``_check_languages``."""
    if deliv.kind != "burn":
        return None
    if deliv.burn_language:
        return deliv.burn_language
    if len(options.translate) == 1:
        return options.translate[0]
    return options.languages[0] if len(options.languages) == 1 and not options.translate else None


def side_stem(default_folder: Path, name: str, *, output: str | Path | None, outdir: Path | None) -> Path:
    """Where side files go (sidecars, transcript.json, raw.json): ``-d`` when given, else beside
    ``-o``'s file and named after its stem, else ``default_folder`` (beside the input; the current
    folder for URLs) named ``name``. An input's folder is written only when it is the output's."""
    if outdir is not None:
        return outdir / name
    if output is not None:
        out = Path(output)
        return out.parent / out.stem
    return default_folder / name


def output_for(stem: Path, deliv: Delivery, output: str | Path | None, burn_language: str | None) -> Path | None:
    """The subtitled video: ``-o``, else ``<stem>.subtitled.<ext>`` or ``<stem>.<lang>.burned.<ext>``."""
    if deliv.kind == "sidecars":
        if output is not None:
            raise UsageError("-o names a video, but --sidecars-only writes no video", hint="Use -d OUTDIR for the sidecars")
        return None
    if output is not None:
        return Path(output)
    ext = deliv.container or "mkv"
    if deliv.kind == "burn":
        return stem.with_name(f"{stem.name}.{burn_language}.burned.{ext}" if burn_language else f"{stem.name}.burned.{ext}")
    return stem.with_name(f"{stem.name}.subtitled.{ext}")


def planned_outputs(stem: Path, options: TranscribeOptions, *, keep_raw: bool = False, preview: bool = False,
                    reused: Sequence[Reused] = ()) -> list[Path]:
    """The side files known before transcription (the spoken language is known only when forced);
    with ``preview`` the page and the name of its proxy (made only when browsers need one). A
    reused language's files are among them, but not a reused sidecar that already is one."""
    known = [*reuse.wanted(options.languages, options.translate), *(r.language for r in reused)]
    kept = {Path(r.source).absolute() for r in reused if r.origin == "sidecar"}
    paths = [p for lang in dict.fromkeys(known) for fmt in options.formats
             if (p := stem.with_name(f"{stem.name}.{lang}.{fmt}")).absolute() not in kept]
    paths.append(stem.with_name(f"{stem.name}.transcript.json"))
    if keep_raw:
        paths.append(stem.with_name(f"{stem.name}.raw.json"))
    if preview:
        from ..review import page_path, proxy_path

        paths += [page_path(stem), proxy_path(page_path(stem))]
    return paths


def check_distinct(plans: Sequence[Plan]) -> None:
    """Two inputs must not write the same outputs (``a/talk.mp4`` and ``b/talk.mkv`` into one -d)."""
    seen: set[Path] = set()
    for p in plans:
        if p.stem in seen:
            raise UsageError(f"two inputs would write the same outputs ({p.stem}.*)", hint="Write them into different --outdir folders")
        seen.add(p.stem)


def _check_disk(folder: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(existing_ancestor(folder)).free
    if needed > free:
        from ..outputs import disk_full

        raise disk_full(folder, None, what=what, needed=needed)


# -- inputs -------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Request:
    """What one ``plan`` call is asked for, besides the input: the options shared by every input
    of a run (a batch makes one per item)."""

    options: TranscribeOptions
    delivery: Delivery
    profile: str | None = None
    output: str | Path | None = None
    outdir: str | Path | None = None
    force: bool = False
    keep_raw: bool = False
    speaker_labels: bool = False
    cookies: str | None = None
    playlist: bool = False
    max_download: int | None = None
    deep: bool = True  # decode a local input's end to catch truncation (a batch leaves it to the extraction)
    preview: bool = False  # --preview: the review page beside the outputs
    downloaded: tuple[reuse.Downloaded, ...] = ()  # what yt-dlp wrote beside the input (the plugin): (language, file, machine captions)


def plan(input: str | Path, request: Request, engine: Engine) -> list[Plan]:
    """Every check that can refuse ``input``; a playlist URL (with ``request.playlist``) gives one
    plan per entry. Nothing is downloaded or uploaded here."""
    deliv = request.delivery
    prof = load_profile(request.profile or (deliv.mux.profile if deliv.mux else deliv.burn.profile if deliv.burn else "netflix"))
    options = check_options(request.options, engine)
    options = dataclasses.replace(options, subtitle_limits=options.subtitle_limits or service.subtitles_config(prof))
    _check_languages(deliv, options)
    base = Plan(
        source=Source(str(input)), options=options, delivery=deliv, profile=prof, stem=Path(), output=None,
        burn_language=burn_choice(deliv, options), force=request.force, keep_raw=request.keep_raw,
        speaker_labels=request.speaker_labels, cookies=request.cookies, max_download=request.max_download, preview=request.preview,
    )
    text = str(input)
    sources.refuse_other_schemes(text)
    if sources.is_url(text):
        return _plan_url(text, base, request, engine)
    return [_plan_local(Path(text), base, request, engine)]


def _plan_url(url: str, base: Plan, request: Request, engine: Engine) -> list[Plan]:
    # Durations are checked per entry: the service's limit for a URL it fetches, else none (what
    # is sent from here is cut into pieces).
    infos = sources.resolve(url, limit_s=float("inf"), allow_playlist=request.playlist, cookies=request.cookies)
    if request.output is not None and len(infos) > 1:
        raise UsageError(f"-o names one output, but the playlist has {len(infos)} videos", path=redact(url),
                         hint="Use -d OUTDIR instead")
    outdir = Path(request.outdir) if request.outdir is not None else None
    plans = []
    for info in infos:
        stem = side_stem(Path.cwd(), info.stem, output=request.output, outdir=outdir)
        target = output_for(stem, base.delivery, request.output, base.burn_language)  # refuses -o for sidecars only
        # The service fetches the URL itself when only sidecars are wanted and it can; not with
        # --cookies, which it cannot use, nor a URL with a password. Otherwise it is fetched here.
        handed = handed_url(info, engine) if base.delivery.kind == "sidecars" and request.cookies is None else None
        shown = redact(url if len(infos) == 1 and handed else info.webpage_url or url)
        source = Source(shown, remote=info, url=info.webpage_url or info.url, service_url=handed, duration=info.duration)
        if target is not None:
            check_writable(target, force=request.force)
            size = (info.raw or {}).get("filesize") or (info.raw or {}).get("filesize_approx")
            if isinstance(size, int | float) and size > 0:  # the download, then the subtitled copy
                factor = 2.5 if base.delivery.kind == "burn" else 2.05
                _check_disk(target.parent, int(size * factor) + 10_000_000, "the download and the subtitled video")
        planned = with_reuse(dataclasses.replace(base, source=source, stem=stem, output=target))
        for path in planned_outputs(stem, base.options, keep_raw=request.keep_raw, preview=request.preview, reused=planned.reused):
            check_writable(path, force=request.force)
        plans.append(planned)
    return plans


def handed_url(info: sources.SourceInfo, engine: Engine) -> str | None:
    """The URL ``engine`` can be handed for ``info`` to fetch itself, or None when the audio must
    be fetched here: the engine cannot fetch, only yt-dlp reaches the media, the URL carries a
    password (never handed to a third party), or the video is longer than the service takes from
    a URL (its audio is then sent in pieces)."""
    if not engine.fetches_urls:
        return None
    limit = sources.duration_limit(info, service_fetches_url=True)
    if info.duration is not None and info.duration > min(limit, getattr(engine, "max_duration", limit)):
        return None
    return sources.service_url(info)


def _plan_local(path: Path, base: Plan, request: Request, engine: Engine) -> Plan:
    info = probe_input(path, base.options, engine, deep=request.deep)
    outdir = Path(request.outdir) if request.outdir is not None else None
    stem = side_stem(path.parent, path.stem, output=request.output, outdir=outdir)
    target = output_for(stem, base.delivery, request.output, base.burn_language)
    planned = with_reuse(dataclasses.replace(base, source=Source(str(path), path=path, info=info, duration=info.duration), stem=stem,
                                             output=target), request.downloaded)
    if not request.force:
        for side in planned_outputs(stem, base.options, keep_raw=request.keep_raw, preview=request.preview, reused=planned.reused):
            check_writable(side, force=False)
    if base.delivery.kind != "sidecars":
        _check_video_output(path, info, base.delivery, target, request.force)
    return planned


def with_reuse(planned: Plan, downloaded: Sequence[reuse.Downloaded] = ()) -> Plan:
    """``planned`` with the wanted languages found already made (``flow.reuse``): those targets
    leave ``options.translate``, so only the missing ones are paid for."""
    found = reuse.find(planned, downloaded)
    if not found:
        return planned
    taken = {r.language for r in found}
    options = dataclasses.replace(planned.options, translate=[t for t in planned.options.translate if t not in taken])
    return dataclasses.replace(planned, options=options, reused=found)


def probe_input(path: Path, options: TranscribeOptions, engine: Engine, *, deep: bool) -> MediaInfo:
    """Probe a local input (or a download) and refuse what cannot be transcribed."""
    from ..media.audio import needs_extraction, pick_audio_stream
    from ..media.probe import check_tail, probe

    info = probe(path, deep=False)
    # The extraction decodes all of the audio anyway: a truncated input is found there, one
    # ffmpeg run less per input, for a batch whose items do not wait on each other.
    extracted = not engine.takes_media and bool(info.audio_streams) and needs_extraction(info, stream=options.audio_stream)
    if deep or not extracted:
        check_tail(info)
    for problem in info.problems:
        if problem.fatal and problem.code != "too_long":  # long inputs are cut into pieces
            raise MediaError(problem.message, path=str(path), code=problem.code)
    if options.audio_stream is not None:
        pick_audio_stream(info, options.audio_stream)
    return info


def _check_video_output(path: Path, info: MediaInfo, deliv: Delivery, target: Path | None, force: bool) -> None:
    if not info.video_streams:
        raise UsageError(f"has no video stream to {deliv.kind} subtitles into", path=str(path), hint="Use --sidecars-only for audio-only inputs")
    assert target is not None
    if target.resolve() == path.resolve():
        raise UsageError("the output would replace the input", path=target, hint="Choose another -o")
    check_writable(target, force=force)
    if deliv.kind == "mux":
        from ..media.mux import check_codecs, container_for

        check_codecs(info, container_for(target)[0], reencode=False)  # a MOV that cannot take VP9: before paying
    size = path.stat().st_size
    _check_disk(target.parent, int(size * (1.5 if deliv.kind == "burn" else 1.05)) + 10_000_000, "the subtitled video")


def plan_all(inputs: Sequence[str | Path], request: Request, engine: Engine) -> list[Plan]:
    """Every input planned before the first is fetched; two that would write the same files are refused."""
    plans = [p for item in inputs for p in plan(item, request, engine)]
    check_distinct(plans)
    return plans
