"""``subtool mux``."""

from __future__ import annotations

from pathlib import Path

import click

from .app import emit_json, info, json_option, split_csv, warn
from .progress import ffmpeg_progress


@click.command(name="mux")
@click.argument("video", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("subs", nargs=-1, required=True, metavar="SUB[:LANG]...")
@click.option("--preset", "preset_name", metavar="NAME", help="A mux preset (container, default and forced tracks): see 'subtool presets'.")
@click.option("--default", "default", metavar="LANG", help="The one track players show by default ('none' for no default).")
@click.option("--forced", "forced", multiple=True, metavar="LANG", help="Flag this language's track forced (repeat or comma-separate).")
@click.option("--replace", is_flag=True, help="Drop the subtitle streams the video already has.")
@click.option("--allow-und", is_flag=True, help="Accept tracks without a known language (tagged 'und').")
@click.option("--reencode", is_flag=True, help="Re-encode the video/audio the output container cannot carry (H.264/AAC; VP9/Opus for WebM).")
@click.option("-o", "--output", type=click.Path(path_type=str),
              help="Output file; its extension picks the container. Default: <video stem>.subtitled.<ext> beside the video.")
@click.option("--force", is_flag=True, help="Overwrite the output if it exists.")
@click.option("--encoding", metavar="ENC", help="The code page of subtitle files that are not UTF-8 (cp1250, cp1252, shift_jis...); guessed from their letters otherwise.")
@json_option
def command(video: Path, subs: tuple[str, ...], preset_name: str | None, default: str | None, forced: tuple[str, ...], replace: bool,
            allow_und: bool, reencode: bool, output: str | None, force: bool, encoding: str | None, as_json: bool) -> int:
    """Add subtitle files to VIDEO as language-tagged soft tracks, in one pass without re-encoding.

    Each SUB takes its language from a final ':LANG' (talk.srt:fr) or from its name
    (talk.fr.srt, talk.fr.forced.srt). MP4/MOV store mov_text, MKV keeps SRT/ASS/VTT as they
    are, WebM stores WebVTT. Without -o the output is <stem>.subtitled.<ext> beside VIDEO, in the
    preset's container (MKV when there is no preset).
    """
    from .. import api

    with ffmpeg_progress("muxing") as on_progress:
        result = api.mux(video, list(subs), output, preset=preset_name, default=default, forced=split_csv(forced), replace=replace,
                         allow_und=allow_und, reencode=reencode, force=force, encoding=encoding, on_progress=on_progress, on_warning=warn)
    if as_json:
        emit_json(result.to_dict())
    else:
        for t in result.tracks:
            flags = ",".join(f for f, on in (("default", t.default), ("forced", t.forced)) if on) or "-"
            info(f"  subtitle #{t.index}  {t.language or 'und'} ({t.container_code})  {t.codec}  {t.title or ''}  [{flags}]  {t.source}")
        info(f"wrote {result.output}")
    return 0
