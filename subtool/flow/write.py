"""Stage 4, write: the sidecars (``<stem>.<lang>.<fmt>``), ``<stem>.transcript.json`` and, with
``--keep-raw``, ``<stem>.raw.json``, each atomically; then the fresh result goes to the cache.

Every output is checked before the first is written, so a refusal leaves nothing half done. A
language with no text at all (no speech; a translation that came back empty) gets no file: an
empty subtitle file is refused by ffmpeg when muxed. A fresh transcript is cached once its
outputs are written (or when writing failed on the disk's side, or the files were refused by
``--strict``: the transcript is sound and a rerun must not pay again), never before: a transcript
that cannot be written would otherwise fail every rerun the same way without asking the engine.

The subtitles are built before anything is written (``subtitles.build_tracks``: translations on
the spoken language's cue times unless ``--template own``; cue edges timed to the video's shot
changes when they were looked for) and checked with ``check``'s own code. What still breaks the
profile is said when the files are written (a warning per file: how many cues, which, the rule)
and handed on (``Written.problems``, in ``--json`` as ``violations``); with ``--strict`` it is an
error and nothing is written or delivered.

With ``--cues service`` each sidecar is instead the subtitle file the service wrote itself for that
language and format (normalised when transcribed: numbering, comma milliseconds in SRT, UTF-8),
checked with the same rules and reported the same way (never fixed: the user asked for the
service's cues); one the service did not return gets subtool's own cues, that file only, with a
warning. subtool's cues stay the default: one profile enforced for every engine, translations on
the spoken template, and real captures show the service's translated subtitles can drop final
words and differ between SRT and VTT. The transcript keeps both, so a cached result can switch.

The languages the plan found already made (``--reuse``) are not built: ``reuse.include`` writes
them as ``<stem>.<lang>.<fmt>`` with their cues unchanged, beside the ones built here; when every
language was reused nothing was transcribed, and no transcript.json is written.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from .. import cache as result_cache
from .. import languages as langs
from ..errors import ProfileViolation
from ..models import CueProblem, Hooks, Plan, Profile, SubtitleTrack, Transcribed, Transcript, Written
from ..outputs import check_writable, make_folder, write_text
from . import reuse

if TYPE_CHECKING:
    from ..subtitles.shots import Shots


def write(plan: Plan, transcribed: Transcribed, hooks: Hooks, *, force: bool | None = None) -> Written:
    """Write ``transcribed``'s files as ``plan`` names them; ``force`` overrides the plan's (a
    resumed batch item rewrites what its earlier attempt wrote)."""
    try:
        written = _write(plan, transcribed, plan.force if force is None else force, hooks)
    except (OSError, ProfileViolation):
        _remember(transcribed)  # the result is sound; the disk, or the files made from it, were not
        raise
    _remember(transcribed)
    return written


def _remember(transcribed: Transcribed) -> None:
    if transcribed.cache_key is not None:
        # The entry is the audio's, not this run's input: no source in it.
        result_cache.store(transcribed.cache_key, dataclasses.replace(transcribed.transcript, source=None), transcribed.raw)


def _write(plan: Plan, transcribed: Transcribed, force: bool, hooks: Hooks) -> Written:
    from ..subtitles import build_tracks, planned_paths, write_built

    stem, transcript, formats = plan.stem, transcribed.transcript, list(plan.options.formats)
    wanted = [lang for lang in transcript.all_languages() if transcript.spoken(lang) and lang not in plan.reused_languages]
    paths = planned_paths(transcript, stem, formats, wanted, force=force)
    if not force:
        for path in [p for lang_paths in paths.values() for p in lang_paths]:
            check_writable(path, force=False)
        check_writable(stem.with_name(f"{stem.name}.transcript.json"), force=False)
    served, missing = service_files(transcript, paths) if plan.options.cues == "service" else ({}, [])
    own = {lang: [p for p in lang_paths if p not in served] for lang, lang_paths in paths.items()}
    building = [lang for lang in wanted if own[lang]]
    built = build_tracks(transcript, plan.profile, languages=building, speaker_labels=plan.speaker_labels,
                         template=plan.options.template, shots=shots_for(plan, transcript)) if building else []
    problems = [CueProblem(t.language, v.index, v.start, v.end, v.code, v.message, path=str(path), template=t.template)
                for t in built for path in own[t.language] for v in t.violations]
    problems += [p for path, (lang, text) in served.items() for p in service_problems(text, path, lang, plan.profile)]
    if problems and plan.options.strict:
        raise _refused(plan, problems)
    make_folder(stem.parent)
    made = {t.path: dataclasses.replace(t, origin="engine") for t in write_built(built, {lang: own[lang] for lang in building}, force=force)}
    for path, (lang, text) in served.items():
        made[str(path)] = dataclasses.replace(service_track(write_text(path, text, force=force), lang), origin="engine")
    tracks = [made[str(p)] for lang_paths in paths.values() for p in lang_paths]
    tracks += reuse.include(plan, force=force)  # the languages found already made, cues unchanged
    files = [t.path for t in tracks]
    if plan.transcribes:  # nothing was transcribed when every language was reused
        doc = json.dumps(transcript.to_dict(), ensure_ascii=False, indent=1)
        files.append(str(write_text(stem.with_name(f"{stem.name}.transcript.json"), doc + "\n", force=force)))
    if plan.keep_raw:
        raw = json.dumps(transcribed.raw, ensure_ascii=False, indent=1)
        files.append(str(write_text(stem.with_name(f"{stem.name}.raw.json"), raw + "\n", force=force)))
    for line in missing + regional(plan.options.translate, paths, transcribed.engine) + report_lines(problems, plan.profile.name):
        hooks.warning(line)
    return Written(files, tracks, problems, service_files=[str(p) for p in served])


def regional(targets: list[str], paths: dict[str, list[Path]], engine: str) -> list[str]:
    """A translation asked in a regional variant (``pt-BR``, ``en-GB``, ``fr-CA``) is made by the
    engines in the language (the service takes bare codes; Whisper writes English): its files keep
    the asked tag, the name a player and the user expect, and a warning says the variant is not
    guaranteed. (A script other than the language's usual one is refused at plan: it would be wrong.)"""
    lines = []
    for lang in targets:
        region = langs.region_name(lang)
        if region is None or not paths.get(lang):
            continue
        base = langs.base(lang)
        lines.append(f"{paths[lang][0]}: the {engine} engine translates into {langs.english_name(base)} ({base}), not its {region} "
                     f"variant: the files are named and tagged {lang} as asked; have them checked for {region} usage")
    return lines


# -- --cues service ---------------------------------------------------------------------------------


def service_files(transcript: Transcript, paths: dict[str, list[Path]]) -> tuple[dict[Path, tuple[str, str]], list[str]]:
    """For ``--cues service``: the sidecars the service wrote itself (path -> language and its
    normalised text, as the transcript keeps it), and a warning for each it did not return (or
    returned with no cue that can be read), which gets subtool's own cues instead (that file only)."""
    from ..errors import SubtitleReadError
    from ..subtitles import read_text

    served: dict[Path, tuple[str, str]] = {}
    missing: list[str] = []
    for lang, lang_paths in paths.items():
        for path in lang_paths:
            fmt = path.suffix.lstrip(".")
            text = transcript.subtitles.get(lang, {}).get(fmt, "")
            why = f"the service returned no {lang} {fmt.upper()} subtitles"
            try:
                if text.strip() not in ("", "WEBVTT") and read_text(text, str(path)):
                    served[path] = (lang, text)
                    continue
            except SubtitleReadError as exc:
                why = f"the service's {lang} {fmt.upper()} subtitles cannot be read ({exc.message})"
            missing.append(f"{path}: {why}, so this file carries subtool's own cues (--cues service; the others are the service's)")
    return served, missing


def service_problems(text: str, path: Path, language: str, profile: Profile) -> list[CueProblem]:
    """Every way the service's file breaks ``profile``, as ``subtool check`` reads and checks it."""
    from ..subtitles import check_cues, read_text

    doc = read_text(text, str(path))
    return [CueProblem(language, v.index, v.start, v.end, v.code, v.message, path=str(path), cues="service")
            for v in check_cues(doc, profile, language=language)]


def service_track(path: Path, language: str) -> SubtitleTrack:
    from .. import languages

    return SubtitleTrack(path=str(path), language=languages.normalize(language), title=languages.native_name(language))


def shots_for(plan: Plan, transcript: Transcript) -> Shots | None:
    """The video's cuts to time cue edges to: when ``--shot-changes`` is on (by default, when the
    profile says so) and the transcript has them."""
    from ..subtitles.shots import Shots

    wanted = plan.options.shot_changes if plan.options.shot_changes is not None else plan.profile.shot_changes
    return Shots.of(transcript.shot_changes, transcript.frame_rate) if wanted else None


def report_lines(problems: list[CueProblem], profile: str, *, most: int = 5) -> list[str]:
    """One line per language (per file for the service's files, which differ between formats):
    its files, how many cues break ``profile``, the first few with their rule."""
    by_track: dict[tuple[str | None, str | None], list[CueProblem]] = {}
    for p in problems:
        by_track.setdefault((p.language, p.path if p.cues == "service" else None), []).append(p)
    lines = []
    for found in by_track.values():
        files = ", ".join(dict.fromkeys(str(p.path) for p in found))
        first = [p for p in found if p.path == found[0].path]
        cues = sorted({p.cue for p in first})
        shown = "; ".join(f"cue {p.cue} {p.code} ({p.message})" for p in first[:most]) + ("; ..." if len(first) > most else "")
        template = f", on the {found[0].template} cue times it follows (--template own segments it on its own)" if found[0].template else ""
        if found[0].cues == "service":
            lines.append(f"{files}: {len(cues)} cue(s) of the service's subtitles break the {profile} profile, delivered as the service "
                         f"wrote them (--cues service; --cues subtool builds cues that meet it): {shown}")
        else:
            lines.append(f"{files}: {len(cues)} cue(s) break the {profile} profile{template}: {shown}")
    return lines


def _refused(plan: Plan, problems: list[CueProblem]) -> ProfileViolation:
    cues = len({(p.language, p.cue) for p in problems})
    files = ", ".join(sorted({str(p.path) for p in problems}))
    first = problems[0]
    return ProfileViolation(
        f"{cues} cue(s) would break the {plan.profile.name} profile ({files}; first: cue {first.cue} {first.code}, {first.message}): "
        "nothing was written (--strict)",
        path=plan.input,
        hint="Run without --strict to get the files and the report, or choose another --profile"
        + (", or use --cues subtool (cues built to meet it)" if any(p.cues == "service" for p in problems) else ""),
    )
