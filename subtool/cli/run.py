"""``subtool run``: the whole job, thin over :func:`subtool.api.plan` and :func:`subtool.api.run_plan`."""

from __future__ import annotations

from typing import Any

import click

from .app import STATE, emit_json, info, json_option, warn
from .dryrun import HELP as DRY_RUN_HELP
from .dryrun import show as show_plan
from .options import download_options, pop_options, run_options, transcribe_options
from .stages import StageProgress
from .style import pop_style, style_options


@click.command(name="run")
@click.argument("inputs", nargs=-1, required=True)
@transcribe_options
@click.option("--mux", metavar="PRESET", help="Mux the subtitles as soft tracks with this preset (default mkv-multi).")
@click.option("--burn", metavar="STYLE", help="Burn one language into the picture with this style.")
@click.option("--sidecars-only", is_flag=True, help="Only write the subtitle files (URLs are then not downloaded when the service can fetch them).")
@click.option("--burn-language", metavar="LANG", help="Which language to burn (default: the only -t target, or the spoken language).")
@click.option("--default", metavar="LANG",
              help="The default subtitle track (mux). Default: the preset's rule (mkv-multi: the first track not in the spoken language).")
@click.option("--forced", multiple=True, metavar="LANG", help="Flag this language's track forced (mux; repeat or comma-separate).")
@click.option("--replace", is_flag=True, help="Mux: drop the subtitle streams the input already has (else a language added twice is warned about).")
@click.option("-o", "--output", type=click.Path(path_type=str),
              help="The subtitled video (one input only); the sidecars and transcript.json go beside it, named after it.")
@click.option("-d", "--outdir", type=click.Path(file_okay=False, path_type=str),
              help="Where the sidecars, transcript.json and video go (default: beside -o's file, else beside each input; the current folder for URLs).")
@click.option("--cookies", type=click.Path(dir_okay=False, path_type=str), help="A cookies.txt file for sites that need a login.")
@click.option("--playlist", is_flag=True, help="Accept a playlist URL: each entry becomes an input.")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
@click.option("--preview", is_flag=True, help="Also write a review page beside the outputs (<stem>.preview.html; see subtool preview).")
@style_options
@download_options
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
@click.option("--resume-job", "resume_job", metavar="ID",
              help="Take up the job an interrupted run of this one input created (its id was printed; see 'subtool jobs list') "
              "instead of paying for a new one. The job is checked against the input (its audio's length, its translations).")
@json_option
def command(inputs: tuple[str, ...], as_json: bool, dry_run: bool, resume_job: str | None, **kwargs: Any) -> int:
    """Probe, (download), transcribe and translate, write the sidecars, then mux or burn.

    Everything is checked before anything is downloaded or uploaded.
    """
    from .. import api

    options = {**pop_options(kwargs), **pop_style(kwargs), **run_options(kwargs)}
    resumed = [resume_job] if resume_job else []
    if resumed and len(inputs) > 1:
        raise click.UsageError("--resume-job takes up the job of one input: give that input alone")
    plans, engine = api.plan(list(inputs), on_status=info, **options)
    if dry_run:
        return show_plan(api.dry_run(plans, engine), engine.name, as_json=as_json)
    results = []
    for p in plans:
        with StageProgress(p.input) as progress:
            result = api.run_plan(p, engine, on_status=progress.status, on_progress=progress.update, on_warning=warn,
                                  resume_job=resumed)
        results.append(result)
        if not as_json:
            if not STATE.quiet:
                said = f"{result.language} -> {', '.join(result.languages)}" if result.language else "no speech found"
                burned = f"; {result.burned} burned into the picture" if result.burned else ""
                info(f"{p.input}: {said} ({result.engine}){burned}")
                for lang, where in dict.fromkeys((t.language, t.reused_from) for t in result.tracks if t.reused_from):
                    info(f"{p.input}: {lang} reused from {where}")
            for path in result.files:
                click.echo(path)
            if result.output:
                click.echo(result.output)
    if as_json:
        emit_json({"results": [r.to_dict() for r in results]})
    return 0
