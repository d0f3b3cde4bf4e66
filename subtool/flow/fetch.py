"""Stage 2, fetch: the only place a URL becomes a local file.

A local input is used where it is. A URL the engine fetches itself (only sidecars wanted, a
platform the service knows, no cookies, no password) is handed over as it is: nothing is
downloaded. Otherwise yt-dlp downloads what the delivery needs (the video in a container it can
use as it is for mux and burn, the audio alone for sidecars) into a hidden folder beside the
outputs, on the disk whose free space the plan checked (not the temporary folder, often a small
tmpfs), bounded by ``--max-download``; the folder is removed when the run is over. The
platform's own subtitles the plan reuses (``--reuse``) are downloaded there first, and the
``Fetched`` carries the plan that names their files; with every language reused and only sidecars
wanted, the media are not downloaded at all.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from .. import sources
from ..engines.base import NOTE, Engine
from ..models import Fetched, Hooks, Plan
from ..redaction import has_credentials
from . import reuse
from .plan import probe_input

# The container a delivery can use as it is (stream copy) -> what yt-dlp is asked for.
_PREFER = {"mp4": "mp4", "mov": "mp4", "webm": "webm"}


@contextlib.contextmanager
def fetch(plan: Plan, engine: Engine, hooks: Hooks) -> Iterator[Fetched]:
    """The media of ``plan``, for as long as the ``with`` block lasts."""
    source = plan.source
    if source.path is not None:
        yield Fetched(plan, source.path, source.info)
        return
    platform = any(r.origin == "platform" for r in plan.reused)
    if source.service_url and engine.fetches_urls and not platform:
        yield Fetched(plan, None, None, url=source.service_url)
        return
    audio_only = plan.delivery.kind == "sidecars"
    t0 = time.monotonic()
    with sources.scratch_folder(plan.output.parent if plan.output is not None else plan.outdir) as folder:
        if platform:  # the platform's own subtitles, reused (--reuse): the fetched plan names their files
            hooks.status("downloading the platform's subtitles")
            plan = reuse.downloaded_platform(plan, folder)
        if audio_only and not plan.transcribes:  # every language reused: no media needed
            yield Fetched(plan, None, None, seconds=time.monotonic() - t0)
            return
        if source.service_url and engine.fetches_urls:
            yield Fetched(plan, None, None, url=source.service_url, seconds=time.monotonic() - t0)
            return
        if audio_only and engine.fetches_urls and has_credentials(source.url):
            hooks.status(f"{NOTE}the URL carries a password, which is never handed to the service: its media are downloaded here")
        hooks.status("downloading the audio" if audio_only else "downloading")
        downloaded = sources.download(
            source.remote if source.remote is not None else str(source.url), folder,
            prefer=_PREFER.get(plan.delivery.container or "", "mkv"), audio_only=audio_only, cookies=plan.cookies,
            on_progress=hooks.stage("download"), cancel=hooks.cancel, max_bytes=plan.max_download,
        )
        # Checked as a local input is (truncation, no audio, the audio stream asked for).
        info = probe_input(downloaded, plan.options, engine, deep=True)
        yield Fetched(plan, downloaded, info, seconds=time.monotonic() - t0)
