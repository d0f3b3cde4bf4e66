"""``subtool conform``: other people's subtitle files made to meet a profile, words untouched."""

from __future__ import annotations

import click

from ..errors import EXIT_FAILED, EXIT_INPUT
from ..models import ConformedFile
from .app import emit_json, err, info, json_option


@click.command(name="conform")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--profile", "profile_name", default="netflix", show_default=True, help="Subtitle profile (name or .toml path).")
@click.option("--language", "-l", help="Language of the files (default: from the file name, e.g. talk.fr.srt).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="The conformed file (one input only).")
@click.option("-d", "--outdir", type=click.Path(file_okay=False, path_type=str),
              help="Where the conformed files go, under their own names (default: beside each, as <stem>.conformed.<lang>.<ext>).")
@click.option("--shot-changes", "video", type=click.Path(dir_okay=False, path_type=str), metavar="VIDEO",
              help="Also move cue edges to this video's shot changes (found with ffmpeg's scene detection).")
@click.option("--encoding", metavar="ENC", help="The code page of subtitle files that are not UTF-8 (cp1250, cp1252, shift_jis...); guessed from their letters otherwise.")
@click.option("--force", is_flag=True, help="Overwrite existing outputs.")
@json_option
def command(paths: tuple[str, ...], profile_name: str, language: str | None, output: str | None, outdir: str | None, video: str | None,
            encoding: str | None, force: bool, as_json: bool) -> int:
    """Make subtitle files meet a profile without changing a word: lines broken again, cues
    split and merged, gaps, durations and overlaps fixed, and (with --shot-changes VIDEO) edges
    timed to the video's cuts. Each file is written anew (never over its input) with a report of
    every change and of what could not be fixed.

    Exit 0 when every conformed file meets the profile, 1 when some cue still breaks it (the
    file is still written), 3 when a file cannot be read as subtitles.
    """
    from .. import api

    done = api.conform(list(paths), profile=profile_name, language=language, output=output, outdir=outdir, shot_changes=video,
                       encoding=encoding, force=force)
    if as_json:
        emit_json([c.to_dict() for c in done])
    else:
        for c in done:
            _say(c)
    if any(c.error for c in done):
        return EXIT_INPUT
    return EXIT_FAILED if any(c.problems for c in done) else 0


def _say(c: ConformedFile) -> None:
    if c.error is not None:
        err(f"subtool: {c.error}")
        return
    for note in c.notes:
        info(f"{c.path}: note: {note}")
    for change in c.changes:
        click.echo(f"{c.path}: {change}")
    for p in c.problems:
        click.echo(f"{c.output}: cue {p.cue}: {p.code}: {p.message} (could not be fixed)")
    info(f"{c.path}: {c.before} cue(s) broke the {c.profile} profile, {c.after} still do; "
         f"{len(c.changes)} change(s); {c.cues_in} cues in, {c.cues_out} out")
    click.echo(str(c.output))
