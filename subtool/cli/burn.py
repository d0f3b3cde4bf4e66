"""``subtool burn``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .app import info, warn
from .progress import ffmpeg_progress
from .style import pop_style, style_options


@click.command(name="burn")
@click.argument("video", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("subtitle", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--style", "style_name", default="clean", show_default=True, metavar="NAME", help="A burn style: see 'subtool presets'.")
@click.option("--language", metavar="LANG", help="The subtitle's language (picks a font with its script); default: from the file name.")
@click.option("-o", "--output", type=click.Path(path_type=str),
              help="Output file. Default: <video stem>.burned.<ext> beside the video (the style's container, MP4 by default).")
@click.option("--force", is_flag=True, help="Overwrite the output if it exists.")
@click.option("--encoding", metavar="ENC", help="The code page of subtitle files that are not UTF-8 (cp1250, cp1252, shift_jis...); guessed from their letters otherwise.")
@click.option("--allow-heavy", is_flag=True, help="Burn an ASS file even with effects far outside any subtitle (a glyph taller than the picture, a blur over 50).")
@style_options
def command(video: Path, subtitle: Path, style_name: str, language: str | None, output: str | None, force: bool, encoding: str | None,
            allow_heavy: bool, **style: Any) -> int:
    """Burn one subtitle file (SRT, VTT or ASS) into VIDEO's picture.

    SRT/VTT cues are drawn with the style (font, size relative to the picture, colours,
    outline, box, margins); their own override tags cannot move, enlarge or recolour them,
    except a placement such as {\\an8} (top) or {\\an4} (middle left). An ASS file keeps its own
    styling. Audio is copied (re-encoded, with a warning, when the container cannot carry it);
    video is re-encoded with the style's encoder settings (VP9 + Opus for a .webm output).
    """
    from .. import api

    with ffmpeg_progress("burning") as on_progress:
        written = api.burn(video, subtitle, output, style=style_name, language=language, force=force, encoding=encoding,
                          allow_heavy=allow_heavy, on_progress=on_progress, on_warning=warn, **pop_style(style))
    info(f"wrote {written}")
    return 0
