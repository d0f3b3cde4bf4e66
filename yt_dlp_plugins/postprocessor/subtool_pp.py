"""subtool as a yt-dlp post-processor: ``yt-dlp --use-postprocessor "Subtool:translate=fr,es;deliver=mkv-multi" URL``.

yt-dlp finds this module in the ``yt_dlp_plugins`` namespace package that subtool's wheel ships
(no ``__init__.py`` at either level; yt-dlp's rule), imports every public class ending in ``PP``,
and builds ``SubtoolPP`` with the ``;``-separated ``key=value`` arguments as strings. The
downloaded file goes through subtool's own stages (``subtool.api.plan`` and ``run_plan``: the
plan, the engine, the sidecars, the delivery), exactly as ``subtool run FILE`` would take it:

- sidecars are named as yt-dlp names subtitles, ``<file without extension>.<lang>.<fmt>``, and
  ``<stem>.transcript.json`` beside them;
- the subtitled video replaces the file yt-dlp wrote (``deliver=mkv-multi`` on a .mp4 writes the
  .mkv and hands the .mp4 back to yt-dlp to delete, as its own remuxer does; ``-k`` keeps it);
  ``info["filepath"]`` then names it, so ``--exec`` and ``--print after_move:filepath`` see it;
- the subtitles yt-dlp downloaded (``--write-subs``) are reused (``reuse=no`` to pay for them
  anyway; machine captions only with ``reuse_auto=yes``), as are text tracks the file carries.

``when``: yt-dlp's own argument (``post_process`` unless given). At ``post_process`` the outputs
are made in yt-dlp's temporary folder and moved with the video, so ``--print
after_move:filepath`` prints the subtitled file; ``when=after_move`` works too (``--exec`` sees the
subtitled file, but yt-dlp prints ``after_move:`` fields before that stage's post-processors run).
A stage with no downloaded file yet (``pre_process``, ``after_filter``, ``video``, ``before_dl``)
or a playlist (``playlist``) is refused with one line. Errors are yt-dlp's ``PostProcessingError``
(``ERROR: Postprocessing: ...``, exit 1; ``--ignore-errors`` goes on with the next video); a bad
argument is said before anything is downloaded. The API key comes from the environment
(``GLADIA_API_KEY``), never from the arguments.

This module imports only yt-dlp at import time: yt-dlp loads every plugin at start-up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from yt_dlp.postprocessor.common import PostProcessor
from yt_dlp.utils import DownloadError, PostProcessingError

# argument -> what it takes (the --help of `subtool run` tells the values)
ARGUMENTS = {
    "languages": "the spoken language(s), as -l (en; several: detection among them)",
    "translate": "translation targets, as -t (fr,es)",
    "format": "sidecar formats (srt,vtt,ass; default srt)",
    "profile": "the subtitle profile (netflix, bbc...)",
    "engine": "auto, gladia or local",
    "model": "the local engine's model",
    "deliver": "mkv-multi (default), another mux preset, burn, burn:STYLE or sidecars",
    "burn": "the burn style (same as deliver=burn:STYLE)",
    "burn_language": "which language to burn",
    "default": "the default track's language (mux)",
    "reuse": "yes (default) or no: take the languages already there (downloaded subtitles, the file's tracks)",
    "reuse_auto": "yes or no (default): also take the platform's machine captions",
    "diarize": "yes or no (default)",
    "cues": "subtool (default: built under the profile) or service (the Gladia service's own SRT/VTT files)",
    "cache": "yes (default) or no",
}
ALIASES = {"lang": "languages", "language": "languages", "l": "languages", "t": "translate", "formats": "format", "delivery": "deliver"}
_YES, _NO = ("yes", "true", "1", "on"), ("no", "false", "0", "off")


class SubtoolPP(PostProcessor):  # type: ignore[misc]  # yt-dlp is untyped
    """Subtitles for the downloaded video, by subtool (see the module docstring)."""

    def __init__(self, downloader: Any = None, **kwargs: str) -> None:
        super().__init__(downloader)
        self._error: str | None = None
        try:
            self._options = options_of(kwargs)
        except ValueError as exc:
            self._options = {}
            self._error = str(exc)
            if downloader is not None and downloader.params.get("ignoreerrors") is not True:
                # Said now, before anything is downloaded, and yt-dlp stops (exit 1); with
                # --ignore-errors each video is downloaded and its post-processing fails instead.
                downloader.report_error(f"Postprocessing: Subtool: {exc}")
                raise DownloadError(f"Subtool: {exc}") from None

    def run(self, info: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        if self._error is not None:
            raise PostProcessingError(f"Subtool: {self._error}")
        filepath = info.get("filepath")
        if info.get("_type") == "playlist" or not filepath or not os.path.isfile(filepath):
            stage = "a playlist" if info.get("_type") == "playlist" else "no downloaded file yet"
            raise PostProcessingError(f"Subtool: runs on the downloaded video, and at this stage there is {stage} "
                                      "(when=pre_process, after_filter, video, before_dl or playlist): "
                                      "leave when= out (post_process) or use when=after_move")
        return self._subtitle(Path(filepath), info)

    def _subtitle(self, video: Path, info: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        from subtool import api
        from subtool.errors import SubtoolError

        overwrite = self.get_param("overwrites", None) is not False
        try:
            plans, engine = api.plan(str(video), outdir=str(video.parent), force=overwrite,
                                         downloaded_subtitles=downloaded_subtitles(info), on_status=self._say, **self._options)
            [result] = [api.run_plan(p, engine, on_status=self._say, on_warning=self.report_warning) for p in plans]
        except SubtoolError as exc:
            raise PostProcessingError(f"Subtool: {exc.line()}") from None
        for track in result.tracks:
            if track.reused_from:
                self.to_screen(f"{track.language}: reused from {track.reused_from}")
        moves = info.setdefault("__files_to_move", {})
        for path in result.files:  # moved with the video by yt-dlp (at post_process)
            moves.setdefault(path, "")
        if result.output is None:
            return [], info
        made = Path(result.output)  # <stem>.subtitled.<ext>: the file yt-dlp wrote is replaced by it
        final = video.with_suffix(made.suffix)
        os.replace(made, final)
        self.to_screen(f"Subtitled video: {final}")
        info["filepath"], info["ext"] = str(final), final.suffix.lstrip(".")
        return ([str(video)] if final != video else []), info

    def _say(self, line: str) -> None:
        self.to_screen(line.removeprefix("note: "))


def options_of(kwargs: dict[str, str]) -> dict[str, Any]:
    """The post-processor's arguments as ``subtool.plan``'s options; ``ValueError`` naming a bad one."""
    out: dict[str, Any] = {}
    for raw, value in kwargs.items():
        key = ALIASES.get(raw.lower(), raw.lower())
        if key not in ARGUMENTS:
            known = ", ".join(ARGUMENTS)
            raise ValueError(f"unknown argument '{raw}' (the arguments are {known}; e.g. --use-postprocessor \"Subtool:translate=fr,es\")")
        value = str(value).strip()
        if key in ("languages", "translate", "format"):
            out["formats" if key == "format" else key] = [v.strip() for v in value.split(",") if v.strip()]
        elif key in ("reuse", "reuse_auto", "diarize", "cache"):
            if value.lower() not in (*_YES, *_NO):
                raise ValueError(f"{key}={value}: takes yes or no")
            out[key] = value.lower() in _YES
        elif key == "cues" and value.lower() not in ("subtool", "service"):
            raise ValueError(f"cues={value}: takes subtool or service")
        elif key == "deliver":
            out.update(_delivery(value))
        elif not value:
            raise ValueError(f"{key}= needs a value ({ARGUMENTS[key]})")
        else:
            out[key] = value
    if "burn" in out and ("mux" in out or out.get("sidecars_only")):
        raise ValueError("burn= and deliver= name two deliveries: give one")
    return out


def _delivery(value: str) -> dict[str, Any]:
    kind, _, style = value.partition(":")
    if kind == "sidecars":
        return {"sidecars_only": True}
    if kind == "burn":
        return {"burn": style or "clean"}
    if not value or style:
        raise ValueError(f"deliver={value}: takes a mux preset (mkv-multi, mp4-mov-text...), burn, burn:STYLE or sidecars")
    return {"mux": value}


def downloaded_subtitles(info: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """What yt-dlp wrote for this video (``--write-subs``, ``--write-auto-subs``): (language, file,
    whether they are machine captions: offered only as automatic captions)."""
    own = info.get("subtitles") or {}
    auto = info.get("automatic_captions") or {}
    out = []
    for lang, sub in (info.get("requested_subtitles") or {}).items():
        path = sub.get("filepath") if isinstance(sub, dict) else None
        if path and os.path.isfile(path):
            out.append((lang, str(path), lang in auto and lang not in own))
    return out
