"""``subtool transcribe``: ``run`` with sidecars only, thin over :func:`subtool.api.plan` and
:func:`subtool.api.run_plan`."""

from __future__ import annotations

from typing import Any

import click

from .app import STATE, emit_json, info, json_option, warn
from .options import download_options, pop_options, transcribe_options
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
    from .. import api

    options = pop_options(kwargs)
    plans, engine = api.plan(list(inputs), on_status=info, sidecars_only=True, outdir=outdir, force=force, max_download=max_download,
                             **options)
    results = []
    for p in plans:
        with StageProgress(p.input) as progress:
            result = api.run_plan(p, engine, on_status=progress.status, on_progress=progress.update, on_warning=warn)
        results.append(result)
        if not as_json:
            note = " (cached)" if result.cached else ""
            if not STATE.quiet:
                said = result.language or "no speech found"
                info(f"{p.input}: {said}, {len(result.files)} files{note}")
            for path in result.files:
                click.echo(path)
    if as_json:
        emit_json({"results": [r.to_dict() for r in results]})
    return 0
