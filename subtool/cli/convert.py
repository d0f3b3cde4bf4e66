"""``subtool convert``: subtitle files to another format and retimed, thin over :func:`subtool.api.convert`."""

from __future__ import annotations

import click

from ..errors import EXIT_INPUT
from .app import emit_json, err, json_option, warn


class Seconds(click.ParamType[float]):
    """``--shift``: seconds, signed (``-1.5``, ``+2``)."""

    name = "seconds"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        import math

        try:
            seconds = float(str(value))
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a number of seconds (e.g. -1.5 or +2)", param, ctx)
        return seconds


class Rates(click.ParamType[str]):
    """``--fps FROM:TO``, checked by the library's rule."""

    name = "from:to"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ..api import frame_rates
        from ..errors import UsageError

        try:
            frame_rates(str(value))
        except UsageError as exc:
            self.fail(exc.message, param, ctx)
        return str(value)


@click.command(name="convert")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--to", "to", required=True, type=click.Choice(["srt", "vtt", "ass"]),
              help="The format written: srt (SubRip), vtt (WebVTT) or ass (styled; SRT and WebVTT files get subtool's 1080p canvas).")
@click.option("--shift", type=Seconds(), default=0.0, metavar="SECONDS",
              help="Move every cue by this many seconds (-1.5 earlier, +2 later); cues moved before 0:00 start at 0:00, and a warning says how many.")
@click.option("--fps", type=Rates(), metavar="FROM:TO",
              help="Retime from one frame rate to another: every time x FROM/TO (23.976:25 for the PAL speed-up, 25:23.976 back). Applied before --shift.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="The converted file (one input only).")
@click.option("-d", "--outdir", type=click.Path(file_okay=False, path_type=str),
              help="Where the converted files go (default: beside each, as <stem>.<format>: talk.fr.srt -> talk.fr.vtt).")
@click.option("--encoding", metavar="ENC", help="The code page of subtitle files that are not UTF-8 (cp1250, cp1252, shift_jis...); guessed from their letters otherwise.")
@click.option("--force", is_flag=True, help="Overwrite existing outputs (an input is never written over).")
@json_option
def command(paths: tuple[str, ...], to: str, shift: float, fps: str | None, output: str | None, outdir: str | None, encoding: str | None,
            force: bool, as_json: bool) -> int:
    """Convert subtitle files between SRT, WebVTT and ASS (through pysubs2), optionally retimed.
    Texts and times are kept to the millisecond; what the target format cannot carry (ASS styles,
    positions and colours in SRT or WebVTT; WebVTT cue settings) is said in a warning.

    Exit 0 when every file was converted, 3 when a file cannot be read as subtitles (the others
    are still converted), 2 for bad options or an output that exists (without --force).
    """
    from .. import api

    done = api.convert(list(paths), to=to, shift=shift, fps=fps, output=output, outdir=outdir, force=force, encoding=encoding)
    if as_json:
        emit_json([c.to_dict() for c in done])
    for c in done:
        if c.error is not None:
            err(f"subtool: {c.error}")
            continue
        for line in c.warnings:
            warn(line)
        if not as_json:
            click.echo(c.output)
    return EXIT_INPUT if any(c.error for c in done) else 0
