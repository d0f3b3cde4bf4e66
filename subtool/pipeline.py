"""``run``: the whole flow for one input, composed of the functions the other commands use.

probe or resolve the URL -> (download) -> transcribe and translate (``transcription``) -> the
sidecars under the profile -> mux (``media.mux``) or burn (``media.burn``). Everything that can
refuse the job (input, presets, languages, output paths, free disk) is checked by ``plan``
before anything is downloaded or uploaded, so a typo costs nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import languages as langs
from . import transcription as tx
from .engines.base import NOTE, Engine, StatusCallback, TranscribeOptions
from .errors import SubtoolError, UsageError
from .models import BurnStyle, MuxPreset, Profile, SubtitleTrack
from .outputs import check_writable, existing_ancestor
from .presets import load_burn, load_mux, load_profile

ProgressCallback = Callable[[str, float, float | None], None]
"""(stage, done, total): stage is "download", "audio", "transcribe", "mux" or "burn"."""

DEFAULT_MUX = "mkv-multi"


@dataclass
class Delivery:
    """What comes out: soft tracks (``mux``), one burned language (``burn``), or sidecars only."""

    kind: str  # "mux" | "burn" | "sidecars"
    mux: MuxPreset | None = None
    burn: BurnStyle | None = None
    burn_language: str | None = None
    default_language: str | None = None
    forced: list[str] = field(default_factory=list)
    replace: bool = False  # mux: drop the input's own subtitle streams

    @property
    def container(self) -> str | None:
        if self.mux is not None:
            return self.mux.container
        if self.burn is not None:
            return self.burn.container
        return None


@dataclass
class Plan:
    """One input after every check: where things come from and where they go.

    Every output is decided here, once: ``stem`` names every side file (``<stem>.<lang>.<fmt>``,
    ``<stem>.transcript.json``), ``output`` the subtitled video, and ``burn_language`` the track
    burned into it (None: the spoken language, known after transcription); the video's name and
    what is burned into it come from that one decision."""

    input: str
    is_url: bool
    delivery: Delivery
    profile: Profile
    stem: Path
    output: Path | None  # the subtitled video, unless sidecars only
    source: Any = None  # sources.SourceInfo for URLs
    prepared: tx.Prepared | None = None  # local inputs (and URLs the service fetches)
    burn_language: str | None = None

    @property
    def outdir(self) -> Path:
        return self.stem.parent


@dataclass
class RunResult:
    input: str
    output: str | None
    engine: str
    language: str | None  # None: no speech was found
    languages: list[str]
    tracks: list[SubtitleTrack]
    files: list[str]
    job_ids: list[str]
    cached: bool
    timings: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    burned: str | None = None  # the language burned into ``output`` (burn delivery)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "engine": self.engine,
            "language": self.language,
            "languages": self.languages,
            "burned": self.burned,
            "tracks": [
                {"path": t.path, "language": t.language, "default": t.default, "forced": t.forced, "title": t.title} for t in self.tracks
            ],
            "files": self.files,
            "job_ids": self.job_ids,
            "cached": self.cached,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": self.warnings,
        }


def delivery(
    *,
    mux: str | None = None,
    burn: str | None = None,
    sidecars_only: bool = False,
    burn_language: str | None = None,
    default_language: str | None = None,
    forced: list[str] | None = None,
    replace: bool = False,
) -> Delivery:
    """Load and check the delivery presets (a malformed or unknown one stops everything here)."""
    if sum(bool(x) for x in (mux, burn, sidecars_only)) > 1:
        raise UsageError("choose one of --mux, --burn and --sidecars-only")
    if replace and (burn or sidecars_only):
        raise UsageError("--replace applies to --mux deliveries (a burned video carries no subtitle streams)")
    if sidecars_only:
        return Delivery("sidecars")
    norm = lambda code: langs.normalize(code) if code else None  # noqa: E731
    if burn:
        return Delivery("burn", burn=load_burn(burn), burn_language=norm(burn_language))
    return Delivery(
        "mux", mux=load_mux(mux or DEFAULT_MUX), default_language=norm(default_language), forced=[langs.normalize(f) for f in forced or []],
        replace=replace,
    )


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


def _output_for(stem: Path, deliv: Delivery, output: str | Path | None, burn_language: str | None) -> Path | None:
    if deliv.kind == "sidecars":
        if output is not None:
            raise UsageError("-o names a video, but --sidecars-only writes no video", hint="Use -d OUTDIR for the sidecars")
        return None
    if output is not None:
        return Path(output)
    ext = {"matroska": "mkv"}.get(deliv.container or "mkv", deliv.container or "mkv")
    if deliv.kind == "burn":
        return stem.with_name(f"{stem.name}.{burn_language}.burned.{ext}" if burn_language else f"{stem.name}.burned.{ext}")
    return stem.with_name(f"{stem.name}.subtitled.{ext}")


def _check_disk(folder: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(existing_ancestor(folder)).free
    if needed > free:
        raise UsageError(
            f"not enough free disk for {what}: about {needed / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free",
            path=folder,
            hint="Free some space or choose another folder with -d",
        )


def _check_languages(deliv: Delivery, options: TranscribeOptions) -> None:
    """The languages the delivery names must be ones the run writes: a typo in --default or
    --burn-language would otherwise be found only after the job was paid for."""
    if deliv.kind == "burn" and deliv.burn_language is None and len(options.translate) > 1:
        raise UsageError(
            f"--burn needs to know which language to burn: {len(options.translate)} translations are made",
            hint="Give --burn-language LANG (the spoken one or a -t target)",
        )
    named = [("--burn-language", deliv.burn_language), ("--default", deliv.default_language), *(("--forced", f) for f in deliv.forced)]
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


def plan(
    input: str,
    options: TranscribeOptions,
    engine: Engine,
    deliv: Delivery,
    *,
    profile: str | None = None,
    output: str | Path | None = None,
    outdir: str | Path | None = None,
    force: bool = False,
    keep_raw: bool = False,
    cookies: str | Path | None = None,
    allow_playlist: bool = False,
    deep: bool = True,
) -> list[Plan]:
    """Every check that can refuse ``input``; a playlist URL (with ``allow_playlist``) gives one
    plan per entry. Nothing is downloaded or uploaded here. ``deep``: see ``transcription.prepare``."""
    from . import sources

    prof = load_profile(profile or (deliv.mux.profile if deliv.mux else deliv.burn.profile if deliv.burn else "netflix"))
    _check_languages(deliv, options)
    out_dir = Path(outdir) if outdir is not None else None
    burned = burn_choice(deliv, options)

    if sources.is_url(input):
        # Durations are checked per entry below: the service's limit for a URL it fetches, else
        # none (files we send ourselves are cut into chunks).
        infos = sources.resolve(input, limit_s=float("inf"), allow_playlist=allow_playlist, cookies=cookies)
        if output is not None and len(infos) > 1:
            raise UsageError(f"-o names one output, but the playlist has {len(infos)} videos", path=input, hint="Use -d OUTDIR instead")
        # The service fetches the URL itself when only sidecars are wanted and it can (see
        # handed_url); not with --cookies, which it cannot use. Otherwise the audio is downloaded.
        hand_over = deliv.kind == "sidecars" and cookies is None
        plans = []
        for info in infos:
            stem = side_stem(Path.cwd(), info.stem, output=output, outdir=out_dir)
            target = _output_for(stem, deliv, output, burned)  # refuses -o for sidecars only
            if hand_over and tx.handed_url(info, engine):
                prepared = tx.prepare_source(info, options, engine, stem=stem, force=force, keep_raw=keep_raw)
                if len(infos) == 1:
                    prepared.input = sources.redact(input)
                plans.append(Plan(prepared.input, True, deliv, prof, stem, None, prepared=prepared))
                continue
            if target is not None:
                check_writable(target, force=force)
                size = (info.raw or {}).get("filesize") or (info.raw or {}).get("filesize_approx")
                if isinstance(size, int | float) and size > 0:  # the download, then the subtitled copy
                    _check_disk(target.parent, int(size * (2.5 if deliv.kind == "burn" else 2.05)) + 10_000_000, "the download and the subtitled video")
            for path in tx.planned_outputs(stem, options, keep_raw=keep_raw):
                check_writable(path, force=force)
            plans.append(Plan(sources.redact(info.webpage_url or input), True, deliv, prof, stem, target, source=info, burn_language=burned))
        return plans

    stem = side_stem(Path(input).parent, Path(input).stem, output=output, outdir=out_dir)
    prepared = tx.prepare(input, options, engine, stem=stem, force=force, keep_raw=keep_raw, deep=deep)
    target = _output_for(stem, deliv, output, burned)
    if deliv.kind != "sidecars":
        if prepared.info is not None and not prepared.info.video_streams:
            raise UsageError(
                f"has no video stream to {deliv.kind} subtitles into", path=input, hint="Use --sidecars-only for audio-only inputs"
            )
        assert target is not None
        if target.resolve() == Path(input).resolve():
            raise UsageError("the output would replace the input", path=target, hint="Choose another -o")
        check_writable(target, force=force)
        if deliv.kind == "mux" and prepared.info is not None:
            from .media.mux import check_codecs, container_for

            check_codecs(prepared.info, container_for(target)[0], reencode=False)  # a MOV that cannot take VP9: before paying
        size = Path(input).stat().st_size
        _check_disk(target.parent, int(size * (1.5 if deliv.kind == "burn" else 1.05)) + 10_000_000, "the subtitled video")
    return [Plan(input, False, deliv, prof, stem, target, prepared=prepared, burn_language=burned)]


def one_per_language(tracks: list[SubtitleTrack], container: str) -> list[SubtitleTrack]:
    """One sidecar per language for delivery, in the format the container keeps best (WebM
    carries WebVTT; elsewhere SRT is the most faithful source for mov_text and Matroska)."""
    order = ["vtt", "srt", "ass"] if container == "webm" else ["srt", "vtt", "ass"]
    best: dict[str | None, SubtitleTrack] = {}
    for track in tracks:
        fmt = Path(track.path).suffix.lstrip(".")
        current = best.get(track.language)
        if current is None or order.index(fmt) < order.index(Path(current.path).suffix.lstrip(".")):
            best[track.language] = track
    return list(best.values())


@dataclass
class Delivered:
    """What ``deliver`` made: the video (None for sidecars only), the language burned into it, and
    the delivered tracks with the flags the output really carries (default, forced)."""

    output: Path | None
    burned: str | None = None
    tracks: list[SubtitleTrack] = field(default_factory=list)


def deliver(
    p: Plan,
    video: Path,
    tracks: list[SubtitleTrack],
    language: str | None,
    languages: list[str],
    *,
    force: bool = False,
    on_status: StatusCallback | None = None,
    on_progress: ProgressCallback | None = None,
    on_warning: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> Delivered:
    """Mux or burn the written ``tracks`` into ``video`` as ``p`` says; ``language`` is the
    spoken one (None when no speech was found), ``languages`` all that were written. ``tracks``
    come back flagged as muxed. No tracks (no speech): no video, and a warning says so."""
    if p.delivery.kind != "sidecars" and not tracks:
        if on_warning is not None:
            on_warning(f"{p.input}: no speech was found, so there are no subtitles to {p.delivery.kind}: no video was made")
        return Delivered(None)
    if p.delivery.kind == "mux":
        from .media.mux import mux

        if on_status:
            on_status("muxing")
        assert p.output is not None
        info = p.prepared.info if p.prepared is not None and p.prepared.info is not None and Path(p.prepared.input) == video else None
        muxed = mux(
            video,
            one_per_language(tracks, p.delivery.container or "mkv"),
            p.output,
            probed=(lambda: info) if info is not None else None,  # the plan's probe: no second ffprobe
            preset=p.delivery.mux,
            default=p.delivery.default_language,
            forced=p.delivery.forced,
            replace=p.delivery.replace,
            spoken=language,
            force=force,
            on_progress=(lambda done, total: on_progress("mux", done, total)) if on_progress else None,
            on_warning=on_warning,
        )
        flags = {m.source: (m.default, m.forced, m.title) for m in muxed.tracks}
        by_language = {t.language: flags[t.path] for t in tracks if t.path in flags}
        flagged = [
            dataclasses.replace(t, default=f[0], forced=f[1], title=f[2]) if (f := by_language.get(t.language)) else t for t in tracks
        ]
        return Delivered(Path(muxed.output), tracks=flagged)
    if p.delivery.kind == "burn":
        from .media.burn import burn

        assert p.output is not None and p.delivery.burn is not None
        lang = p.burn_language or language
        track = next((t for t in one_per_language(tracks, "mp4") if t.language == lang), None)
        if track is None:
            raise UsageError(f"no {lang} subtitles were made to burn", hint="Pick --burn-language among: " + ", ".join(languages))
        if on_status:
            on_status(f"burning {lang}")
        out = burn(
            video, Path(track.path), p.output, style=p.delivery.burn, language=lang, force=force,
            on_progress=(lambda done, total: on_progress("burn", done, total)) if on_progress else None, cancel=cancel,
            on_warning=on_warning,
        )
        return Delivered(out, burned=lang, tracks=list(tracks))
    return Delivered(None, tracks=list(tracks))


def execute(
    p: Plan,
    options: TranscribeOptions,
    engine: Engine,
    *,
    force: bool = False,
    speaker_labels: bool = False,
    keep_raw: bool = False,
    cookies: str | Path | None = None,
    on_status: StatusCallback | None = None,
    on_progress: ProgressCallback | None = None,
    on_warning: Callable[[str], None] | None = None,
    max_download: int | None = None,
) -> RunResult:
    """Run one planned input to the end. ``max_download``: bytes a URL's download may take
    (default ``sources.DEFAULT_MAX_DOWNLOAD``)."""
    from . import sources

    timings: dict[str, float] = {}
    warnings: list[str] = []

    def warn(text: str) -> None:
        warnings.append(text)
        if on_warning is not None:
            on_warning(text)

    def stage_progress(stage: str) -> Callable[[float, float | None], None] | None:
        if on_progress is None:
            return None
        return lambda done, total: on_progress(stage, done, total)

    with contextlib.ExitStack() as scratch:
        prepared = p.prepared
        if prepared is None:  # a URL whose video we need
            t0 = time.monotonic()
            audio_only = p.delivery.kind == "sidecars"
            if on_status and audio_only and engine.fetches_urls and sources.has_credentials(p.source.url):
                on_status(f"{NOTE}the URL carries a password, which is never handed to the service: its audio is downloaded here")
            if on_status:
                on_status("downloading")
            prefer = {"mp4": "mp4", "mov": "mp4", "webm": "webm"}.get(p.delivery.container or "", "mkv")
            # Beside the outputs, on the disk whose free space plan() checked, not in the temporary folder.
            where = scratch.enter_context(sources.scratch_folder(p.output.parent if p.output is not None else p.outdir))
            downloaded = sources.download(
                p.source, where, prefer=prefer, audio_only=audio_only, cookies=cookies, on_progress=stage_progress("download"),
                max_bytes=max_download,
            )
            timings["download"] = time.monotonic() - t0
            prepared = tx.prepare(str(downloaded), options, engine, stem=p.stem, force=force, keep_raw=keep_raw)
            prepared.url = p.source.webpage_url or p.source.url  # the transcript's source (shown redacted), not the scratch copy
        result = tx.transcribe(
            prepared,
            options,
            engine,
            profile=p.profile,
            force=force,
            speaker_labels=speaker_labels,
            keep_raw=keep_raw,
            on_status=on_status,
            on_progress=stage_progress("audio"),
            on_engine_progress=stage_progress("transcribe"),
        )
        timings.update(result.timings)
        t1 = time.monotonic()
        delivered = deliver(
            p, Path(prepared.input), result.tracks, result.transcript.language, result.transcript.all_languages(),
            force=force, on_status=on_status, on_progress=on_progress, on_warning=warn,
        )
        if delivered.output is not None:
            timings[p.delivery.kind] = time.monotonic() - t1
    return RunResult(
        input=p.input,
        output=str(delivered.output) if delivered.output else None,
        engine=result.engine,
        language=result.transcript.language,
        languages=result.transcript.all_languages(),
        tracks=delivered.tracks,
        burned=delivered.burned,
        files=result.files,
        job_ids=result.job_ids,
        cached=result.cached,
        timings=timings,
        warnings=warnings,
    )


def run(
    input: str | Path,
    *,
    languages: list[str] | None = None,
    translate: list[str] | None = None,
    formats: list[str] | None = None,
    profile: str | None = None,
    engine: str | Engine = "auto",
    mux: str | None = None,
    burn: str | None = None,
    burn_language: str | None = None,
    sidecars_only: bool = False,
    default_language: str | None = None,
    output: str | Path | None = None,
    outdir: str | Path | None = None,
    force: bool = False,
    forced: list[str] | None = None,
    replace: bool = False,
    diarize: bool = False,
    speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    speaker_labels: bool = False,
    code_switching: bool = False,
    translation_model: str = "base",
    vocabulary: list[str] | None = None,
    audio_stream: int | None = None,
    max_jobs: int = 3,
    model: str | None = None,
    threads: int | None = None,
    use_cache: bool = True,
    keep_raw: bool = False,
    cookies: str | Path | None = None,
    allow_playlist: bool = False,
    max_download: int | None = None,
    on_status: StatusCallback | None = None,
    on_progress: ProgressCallback | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> list[RunResult]:
    """The whole job for one input (a path or a URL; a playlist with ``allow_playlist`` gives one
    result per entry), with the options of ``subtool run``. Raises the errors of
    ``subtool.errors``."""
    options = TranscribeOptions(
        languages=list(languages or []),
        code_switching=code_switching,
        translate=list(translate or []),
        translation_model=translation_model,
        formats=list(formats or ["srt"]),
        diarize=diarize,
        speakers=speakers,
        min_speakers=min_speakers,
        max_speakers=max_speakers,
        vocabulary=list(vocabulary or []),
        model=model,
        threads=threads,
        audio_stream=audio_stream,
        use_cache=use_cache,
        keep_raw=keep_raw,
    )
    eng = engine if not isinstance(engine, str) else tx.resolve_engine(engine, max_jobs=max_jobs, model=model, threads=threads, on_note=on_status)
    tx.check_options(options, eng)
    deliv = delivery(
        mux=mux, burn=burn, sidecars_only=sidecars_only, burn_language=burn_language, default_language=default_language, forced=forced,
        replace=replace,
    )
    plans = plan(
        str(input), options, eng, deliv, profile=profile, output=output, outdir=outdir, force=force, keep_raw=keep_raw,
        cookies=cookies, allow_playlist=allow_playlist,
    )
    tx.check_distinct([p.stem for p in plans])
    return [
        execute(
            p, options, eng, force=force, speaker_labels=speaker_labels, keep_raw=keep_raw, cookies=cookies,
            on_status=on_status, on_progress=on_progress, on_warning=on_warning, max_download=max_download,
        )
        for p in plans
    ]


__all__ = ["Delivered", "Delivery", "Plan", "RunResult", "SubtoolError", "deliver", "delivery", "execute", "plan", "run"]
