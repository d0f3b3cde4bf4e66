"""``subtool run``: the whole job, thin over :mod:`subtool.pipeline`."""

from __future__ import annotations

from typing import Any

import click

from .app import STATE, emit_json, info, json_option, warn
from .options import build_options, download_options, pop_options, transcribe_options
from .stages import StageProgress


@click.command(name="run")
@click.argument("inputs", nargs=-1, required=True)
@transcribe_options
@click.option("--mux", "mux_preset", metavar="PRESET", help="Mux the subtitles as soft tracks with this preset (default mkv-multi).")
@click.option("--burn", "burn_style", metavar="STYLE", help="Burn one language into the picture with this style.")
@click.option("--sidecars-only", is_flag=True, help="Only write the subtitle files (URLs are then not downloaded when the service can fetch them).")
@click.option("--burn-language", metavar="LANG", help="Which language to burn (default: the only -t target, or the spoken language).")
@click.option("--default", "default_language", metavar="LANG",
              help="The default subtitle track (mux). Default: the preset's rule (mkv-multi: the first track not in the spoken language).")
@click.option("--replace", is_flag=True, help="Mux: drop the subtitle streams the input already has (else a language added twice is warned about).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str),
              help="The subtitled video (one input only); the sidecars and transcript.json go beside it, named after it.")
@click.option("-d", "--outdir", type=click.Path(file_okay=False, path_type=str),
              help="Where the sidecars, transcript.json and video go (default: beside -o's file, else beside each input; the current folder for URLs).")
@click.option("--cookies", type=click.Path(dir_okay=False, path_type=str), help="A cookies.txt file for sites that need a login.")
@click.option("--playlist", "allow_playlist", is_flag=True, help="Accept a playlist URL: each entry becomes an input.")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
@download_options
@json_option
def command(inputs: tuple[str, ...], **kwargs: Any) -> int:
    """Probe, (download), transcribe and translate, write the sidecars, then mux or burn.

    Everything is checked before anything is downloaded or uploaded.
    """
    from .. import pipeline
    from .. import transcription as tx
    from ..errors import UsageError

    shared = pop_options(kwargs)
    options = build_options(shared)
    if kwargs["output"] and len(inputs) > 1:
        raise UsageError("-o names one output, but several inputs were given", hint="Use -d OUTDIR instead")
    engine = tx.resolve_engine(shared["engine"], max_jobs=shared["max_jobs"], model=shared["model"], threads=shared["threads"], on_note=info)
    tx.check_options(options, engine)
    deliv = pipeline.delivery(
        mux=kwargs["mux_preset"],
        burn=kwargs["burn_style"],
        sidecars_only=kwargs["sidecars_only"],
        burn_language=kwargs["burn_language"],
        default_language=kwargs["default_language"],
        replace=kwargs["replace"],
    )
    plans = []
    for item in inputs:  # every input is checked before the first is processed
        plans += pipeline.plan(
            item, options, engine, deliv, profile=shared["profile"], output=kwargs["output"], outdir=kwargs["outdir"],
            force=kwargs["force"], keep_raw=shared["keep_raw"], cookies=kwargs["cookies"], allow_playlist=kwargs["allow_playlist"],
        )
    tx.check_distinct([p.stem for p in plans])
    results = []
    for p in plans:
        with StageProgress(p.input) as progress:
            result = pipeline.execute(
                p, options, engine, force=kwargs["force"], speaker_labels=shared["speaker_labels"], keep_raw=shared["keep_raw"],
                cookies=kwargs["cookies"], on_status=progress.status, on_progress=progress.update, on_warning=warn,
                max_download=kwargs["max_download"],
            )
        results.append(result)
        if not kwargs["as_json"]:
            if not STATE.quiet:
                said = f"{result.language} -> {', '.join(result.languages)}" if result.language else "no speech found"
                burned = f"; {result.burned} burned into the picture" if result.burned else ""
                info(f"{p.input}: {said} ({result.engine}){burned}")
            for path in result.files:
                click.echo(path)
            if result.output:
                click.echo(result.output)
    if kwargs["as_json"]:
        emit_json({"results": [r.to_dict() for r in results]})
    return 0
