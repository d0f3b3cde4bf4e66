"""After deliver, with ``--preview``: the item's review page beside its outputs
(``<stem>.preview.html``, the side-file rule), for both schedulers (``run.run_one``, the batch's
worker).

The page plays what was delivered (the subtitled or burned video), else the input itself; a
download, removed when the run ends, is played from a proxy kept beside the page, as is any media
browsers cannot play (an MKV delivery: its streams copied into an MP4). One file per language is
shown (SRT first, the format the check reads best), the spoken language first, checked against the
plan's profile. The proxy is ffmpeg work: it holds the scheduler's ffmpeg slot.
"""

from __future__ import annotations

from pathlib import Path

from ..models import Delivered, Fetched, Hooks, PreviewResult, Transcribed, Written
from .deliver import one_per_language


def preview(fetched: Fetched, transcribed: Transcribed, written: Written, delivered: Delivered, hooks: Hooks, *,
            force: bool | None = None) -> PreviewResult | None:
    """Write the plan's page (None when the plan asks for none, or no subtitles were made)."""
    from ..media.probe import probe
    from ..review import PageFacts, PageMedia, page_path, write_page

    plan = fetched.plan
    if not plan.preview:
        return None
    if not written.tracks:
        hooks.warning(f"{plan.input}: no subtitles were made, so no preview page was written")
        return None
    if delivered.output is not None:
        media = PageMedia(delivered.output, probe(delivered.output, deep=False))
    elif fetched.media is not None:
        media = PageMedia(fetched.media, fetched.info, lasts=plan.source.path is not None)
    else:
        media = PageMedia(None, None)
    transcript = transcribed.transcript
    engine = transcribed.engine + (f" ({transcript.model})" if transcript.model else "")
    facts = PageFacts(title=Path(plan.input).name if plan.source.path is not None else plan.input, engine=engine, spoken=transcript.language,
                      burned=delivered.burned)
    hooks.status("writing the preview page")
    with hooks.hold("ffmpeg"):
        return write_page(page_path(plan.stem), media, one_per_language(written.tracks, "mkv"), plan.profile, facts,
                          force=plan.force if force is None else force, on_progress=hooks.stage("preview"), on_warning=hooks.warning,
                          cancel=hooks.cancel)
