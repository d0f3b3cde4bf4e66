"""``subtool preview``: a review page in the browser, thin over :func:`subtool.api.preview`."""

from __future__ import annotations

from pathlib import Path

import click

from .app import emit_json, info, json_option, warn
from .progress import ffmpeg_progress


@click.command(name="preview")
@click.argument("video", type=click.Path(dir_okay=False, path_type=str))
@click.argument("subtitles", nargs=-1, type=str, metavar="[SUB]...")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str),
              help="The page (default: <video stem>.preview.html beside the video); a proxy, when one is needed, goes beside it.")
@click.option("--profile", "profile_name", default="netflix", show_default=True, help="Subtitle profile the cues are checked against.")
@click.option("-l", "--language", help="The spoken language, whose track comes first (default: the run's transcript.json, else the audio's tag).")
@click.option("--encoding", metavar="ENC", help="The code page of subtitle files that are not UTF-8 (guessed from their letters otherwise).")
@click.option("--force", is_flag=True, help="Overwrite the page and the proxy.")
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default browser.")
@json_option
def command(video: str, subtitles: tuple[str, ...], output: str | None, profile_name: str, language: str | None, encoding: str | None,
            force: bool, open_page: bool, as_json: bool) -> int:
    """Write a page that plays VIDEO with one subtitle track per SUB (talk.fr.srt, or x.srt:fr),
    a timeline per language with every cue coloured by its worst problem against the profile
    (click a cue to see it), the problems table, and how the page was made.

    Without SUB, the subtitle files named after the video beside it (talk.en.srt ...) are used.
    The page is one HTML file that needs no server or network; a video browsers cannot play
    (MKV, AVI, HEVC...) gets a small H.264 proxy beside it. Exit 0 when the page is written,
    whatever the cues' problems (see subtool check for an exit code).
    """
    from .. import api

    with ffmpeg_progress("proxy") as on_progress:
        result = api.preview(video, list(subtitles), output, profile=profile_name, language=language, encoding=encoding, force=force,
                             on_progress=on_progress, on_warning=warn)
    if as_json:
        emit_json(result.to_dict())
    else:
        langs = ", ".join(f"{t.language or t.label} {t.total}" for t in result.tracks)
        made = f"; proxy {result.proxy}" if result.proxy else ""
        info(f"{video}: {result.problems} problem(s) ({langs}) against {result.profile}{made}")
        click.echo(result.page)
    if open_page:
        import webbrowser

        if not webbrowser.open(Path(result.page).resolve().as_uri()):
            warn(f"no browser could be started: open {result.page} yourself")
    return 0
