"""``subtool transcribe``: thin wrapper over :mod:`subtool.transcription`."""

from __future__ import annotations

from typing import Any

import click

from .app import STATE, emit_json, info, json_option
from .options import build_options, download_options, pop_options, transcribe_options
from .stages import StageProgress


@click.command(name="transcribe")
@click.argument("inputs", nargs=-1, required=True)
@transcribe_options
@click.option("-d", "--outdir", type=click.Path(file_okay=False, path_type=str), help="Where to write (default: beside each input).")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
@download_options
@json_option
def command(inputs: tuple[str, ...], outdir: str | None, force: bool, as_json: bool, max_download: int | None, **kwargs: Any) -> int:
    """Transcribe (and translate) each INPUT (a media file or a URL) into <stem>.<lang>.<fmt>
    subtitle files and <stem>.transcript.json.

    Everything is checked before anything is uploaded: the inputs, the languages, the profile,
    and the outputs (never overwritten without --force).
    """
    from .. import transcription as tx
    from ..presets import load_profile

    shared = pop_options(kwargs)
    options = build_options(shared)
    subtitle_profile = load_profile(shared["profile"] or "netflix")
    eng = tx.resolve_engine(shared["engine"], max_jobs=shared["max_jobs"], model=shared["model"], threads=shared["threads"], on_note=info)
    tx.check_options(options, eng)
    keep_raw = shared["keep_raw"]
    prepared = [tx.prepare(i, options, eng, outdir=outdir, force=force, keep_raw=keep_raw) for i in inputs]
    tx.check_distinct([p.stem for p in prepared])
    for item in prepared:
        item.max_download = max_download

    results = []
    for item in prepared:
        with StageProgress(item.input) as progress:
            result = tx.transcribe(
                item, options, eng, profile=subtitle_profile, force=force, speaker_labels=shared["speaker_labels"], keep_raw=keep_raw,
                on_status=progress.status, on_progress=lambda done, total: progress.update("audio", done, total),
                on_engine_progress=lambda done, total: progress.update("transcribe", done, total),
            )
        results.append(result)
        if not as_json:
            note = " (cached)" if result.cached else ""
            if not STATE.quiet:
                spoken = result.transcript.language or "no speech found"
                info(f"{item.input}: {spoken}, {len(result.files)} file{'s' if len(result.files) != 1 else ''}{note}")
            for path in result.files:
                click.echo(path)
    if as_json:
        emit_json({"results": [r.to_dict() for r in results]})
    return 0
