"""``subtool probe``."""

from __future__ import annotations

import click

from ..errors import EXIT_INPUT
from .app import emit_json, err, json_option


@click.command(name="probe")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@json_option
@click.option("--platform", type=click.Choice(["youtube"], case_sensitive=False), help="Apply the limits of links from this platform (youtube: the service's shorter limit for YouTube links).")
def command(paths: tuple[str, ...], as_json: bool, platform: str | None) -> int:
    """Describe media files and check them against the transcription service's limits.

    Exit 0 when every input can be transcribed, 3 when any cannot.
    """
    from .. import api

    infos = [api.probe(p, platform=platform) for p in paths]
    if as_json:
        emit_json([i.to_dict() for i in infos])
    else:
        for info in infos:
            click.echo(info.path)
            if info.format_names:
                size = f"{info.size / 1e6:.1f} MB"
                click.echo(f"  format   {info.format_long_name or ','.join(info.format_names)}  {_hms(info.duration)}  {size}")
            for s in info.streams:
                desc = [f"#{s.index}", s.type, s.codec or "?"]
                if s.type == "audio":
                    desc += [f"{s.channels or '?'} ch", f"{s.sample_rate or '?'} Hz"]
                if s.type == "video" and s.width:
                    desc += [f"{s.width}x{s.height}", f"{s.fps or '?'} fps"]
                if s.language:
                    desc.append(f"[{s.language}]")
                click.echo("  stream   " + "  ".join(desc))
            if info.ok:
                click.echo("  verdict  ok")
            for problem in info.problems:
                label = "problem" if problem.fatal else "note   "
                click.echo(f"  {label}  {problem.code}: {problem.message}")
    bad = [i for i in infos if not i.ok]
    for info in bad:
        first = next(p for p in info.problems if p.fatal)
        err(f"subtool: {info.path}: {first.message} [{first.code}]")
    return EXIT_INPUT if bad else 0


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    total = round(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
