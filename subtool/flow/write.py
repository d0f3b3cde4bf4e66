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

The languages the plan found already made (``--reuse``) are not built: ``reuse.include`` writes
them as ``<stem>.<lang>.<fmt>`` with their cues unchanged, beside the ones built here; when every
language was reused nothing was transcribed, and no transcript.json is written.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

from .. import cache as result_cache
from ..errors import ProfileViolation
from ..models import CueProblem, Hooks, Plan, Transcribed, Transcript, Written
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
    built = build_tracks(transcript, plan.profile, languages=wanted, speaker_labels=plan.speaker_labels,
                         template=plan.options.template, shots=shots_for(plan, transcript)) if wanted else []
    problems = [CueProblem(t.language, v.index, v.start, v.end, v.code, v.message, path=str(path), template=t.template)
                for t in built for path in paths[t.language] for v in t.violations]
    if problems and plan.options.strict:
        raise _refused(plan, problems)
    make_folder(stem.parent)
    tracks = [dataclasses.replace(t, origin="engine") for t in write_built(built, paths, force=force)]
    tracks += reuse.include(plan, force=force)  # the languages found already made, cues unchanged
    files = [t.path for t in tracks]
    if plan.transcribes:  # nothing was transcribed when every language was reused
        doc = json.dumps(transcript.to_dict(), ensure_ascii=False, indent=1)
        files.append(str(write_text(stem.with_name(f"{stem.name}.transcript.json"), doc + "\n", force=force)))
    if plan.keep_raw:
        raw = json.dumps(transcribed.raw, ensure_ascii=False, indent=1)
        files.append(str(write_text(stem.with_name(f"{stem.name}.raw.json"), raw + "\n", force=force)))
    for line in report_lines(problems, plan.profile.name):
        hooks.warning(line)
    return Written(files, tracks, problems)


def shots_for(plan: Plan, transcript: Transcript) -> Shots | None:
    """The video's cuts to time cue edges to: when ``--shot-changes`` is on (by default, when the
    profile says so) and the transcript has them."""
    from ..subtitles.shots import Shots

    wanted = plan.options.shot_changes if plan.options.shot_changes is not None else plan.profile.shot_changes
    return Shots.of(transcript.shot_changes, transcript.frame_rate) if wanted else None


def report_lines(problems: list[CueProblem], profile: str, *, most: int = 5) -> list[str]:
    """One line per language: its files, how many cues break ``profile``, the first few with their rule."""
    by_language: dict[str | None, list[CueProblem]] = {}
    for p in problems:
        by_language.setdefault(p.language, []).append(p)
    lines = []
    for found in by_language.values():
        files = ", ".join(dict.fromkeys(str(p.path) for p in found))
        first = [p for p in found if p.path == found[0].path]
        cues = sorted({p.cue for p in first})
        shown = "; ".join(f"cue {p.cue} {p.code} ({p.message})" for p in first[:most]) + ("; ..." if len(first) > most else "")
        template = f", on the {found[0].template} cue times it follows (--template own segments it on its own)" if found[0].template else ""
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
        hint="Run without --strict to get the files and the report, or choose another --profile",
    )
