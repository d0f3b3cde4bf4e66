"""``subtool extract``: a video's text subtitle streams as files, thin over :func:`subtool.api.extract`."""

from __future__ import annotations

import click

from ..errors import EXIT_INPUT
from .app import emit_json, err, info, json_option, split_csv
from .progress import ffmpeg_progress


@click.command(name="extract")
@click.argument("video", type=click.Path(dir_okay=False, path_type=str))
@click.option("-d", "--outdir", type=click.Path(file_okay=False, path_type=str), help="Where the files go (default: beside the video).")
@click.option("-l", "--lang", "languages", multiple=True, metavar="LANG",
              help="Only the streams in these languages (ISO 639-1 or the container's 639-2 code; repeat or comma-separate).")
@click.option("--format", "fmt", type=click.Choice(["srt", "vtt", "ass"]),
              help="Write every stream in this format: srt (SubRip), vtt (WebVTT) or ass (styled). Default: each stream's own "
              "(SubRip as .srt, ASS as .ass, WebVTT as .vtt, MP4's mov_text as .srt).")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@json_option
def command(video: str, outdir: str | None, languages: tuple[str, ...], fmt: str | None, force: bool, as_json: bool) -> int:
    """Write each text subtitle stream of VIDEO as <stem>.<lang>[.forced].<fmt> (the language
    from the stream's tag, ISO 639-2 mapped back to ISO 639-1: fre -> fr). Image-based streams
    (Blu-ray PGS, DVB, DVD VobSub) hold pictures of text: they are listed and refused (OCR is not
    done). Nothing is written over without --force; every file is written whole or not at all.

    Exit 0 when every stream was written, 3 when a stream is image-based (the text ones are still
    written) or the video has no subtitle stream, 2 for bad options.
    """
    from .. import api

    with ffmpeg_progress("extracting") as on_progress:
        tracks = api.extract(video, outdir=outdir, languages=split_csv(languages), format=fmt, force=force, on_progress=on_progress)
    if as_json:
        emit_json([t.to_dict() for t in tracks])
    for t in tracks:
        if t.refused is not None:
            err(f"subtool: {video}: stream #{t.stream} ({t.language or 'und'}): {t.refused}")
        elif not as_json:
            info(f"{video}: stream #{t.stream} ({t.codec}, {t.language or 'und'}{', forced' if t.forced else ''}) -> {t.output}")
            click.echo(t.output)
    return EXIT_INPUT if any(t.refused for t in tracks) else 0
