"""Stage 4, write: the sidecars (``<stem>.<lang>.<fmt>``), ``<stem>.transcript.json`` and, with
``--keep-raw``, ``<stem>.raw.json``, each atomically; then the fresh result goes to the cache.

Every output is checked before the first is written, so a refusal leaves nothing half done. A
language with no text at all (no speech; a translation that came back empty) gets no file: an
empty subtitle file is refused by ffmpeg when muxed. A fresh transcript is cached once its
outputs are written (or when writing failed on the disk's side: a full disk must not make the
rerun pay again), never before: a transcript that cannot be written would otherwise fail every
rerun the same way without asking the engine.
"""

from __future__ import annotations

import dataclasses
import json

from .. import cache as result_cache
from ..models import Hooks, Plan, Transcribed, Written
from ..outputs import check_writable, make_folder, write_text


def write(plan: Plan, transcribed: Transcribed, hooks: Hooks, *, force: bool | None = None) -> Written:
    """Write ``transcribed``'s files as ``plan`` names them; ``force`` overrides the plan's (a
    resumed batch item rewrites what its earlier attempt wrote)."""
    try:
        written = _write(plan, transcribed, plan.force if force is None else force)
    except OSError:
        _remember(transcribed)  # the result is sound; the disk was not
        raise
    _remember(transcribed)
    return written


def _remember(transcribed: Transcribed) -> None:
    if transcribed.cache_key is not None:
        # The entry is the audio's, not this run's input: no source in it.
        result_cache.store(transcribed.cache_key, dataclasses.replace(transcribed.transcript, source=None), transcribed.raw)


def _write(plan: Plan, transcribed: Transcribed, force: bool) -> Written:
    from ..subtitles import sidecar_path, write_tracks

    stem, transcript, formats = plan.stem, transcribed.transcript, list(plan.options.formats)
    wanted = [lang for lang in transcript.all_languages() if transcript.spoken(lang)]
    if not force:
        for lang in wanted:
            for fmt in formats:
                check_writable(sidecar_path(stem, lang, fmt), force=False)
        check_writable(stem.with_name(f"{stem.name}.transcript.json"), force=False)
    make_folder(stem.parent)
    tracks = (
        write_tracks(transcript, stem, formats=formats, profile=plan.profile, force=force, speaker_labels=plan.speaker_labels,
                     languages=wanted)
        if wanted
        else []
    )
    files = [t.path for t in tracks]
    doc = json.dumps(transcript.to_dict(), ensure_ascii=False, indent=1)
    files.append(str(write_text(stem.with_name(f"{stem.name}.transcript.json"), doc + "\n", force=force)))
    if plan.keep_raw:
        raw = json.dumps(transcribed.raw, ensure_ascii=False, indent=1)
        files.append(str(write_text(stem.with_name(f"{stem.name}.raw.json"), raw + "\n", force=force)))
    return Written(files, tracks)
