"""``batch --dry-run``: every item checked and planned as the batch would (its options, presets,
delivery, where it writes, its media probed or its URL resolved), then summarised
(``flow.summary``): what it would send, the jobs it would create, the files it would write.
No state file is made or read, nothing is uploaded, downloaded or written to the outputs; an
item the batch would refuse is listed with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..engines.base import Engine
from ..errors import SubtoolError, UsageError
from ..flow import plan as stage
from ..flow.summary import summarize
from ..models import Hooks, PlanSummary, TranscribeOptions
from ..redaction import redact
from .claims import Claims, item_outputs, output_folders, outside
from .scheduler import Settings, _engine, _request, loaded, reason


def dry_run(
    items: str | Path | Iterable[Mapping[str, Any] | str | Path],
    *,
    options: TranscribeOptions | None = None,
    defaults: Mapping[str, Any] | None = None,
    engine: str | Engine = "auto",
    max_jobs: int = 3,
    profile: str | None = None,
    force: bool = False,
    speaker_labels: bool = False,
    keep_raw: bool = False,
    cookies: str | Path | None = None,
    max_download: int | None = None,
    allow_outside: bool = False,
    style: Mapping[str, Any] | None = None,
    on_note: Callable[[str], None] | None = None,
    on_status: Callable[[str], None] | None = None,
) -> tuple[list[PlanSummary], Engine]:
    """One summary per item (``error`` set for an item the batch would refuse), and the engine."""
    shared = options or TranscribeOptions()
    batch_items, _base, _outdir, roots = loaded(items, defaults, allow_outside)
    notes = (lambda line: on_note(redact(line))) if on_note else None
    eng = _engine(engine, shared, max_jobs, notes)
    settings = Settings(shared, eng, max_jobs, profile, force, speaker_labels, keep_raw,
                        str(cookies) if cookies is not None else None, max_download, roots, style=style)
    hooks = Hooks(status=on_status or (lambda _line: None))
    claims = Claims()
    out: list[PlanSummary] = []
    for item in batch_items:
        try:
            request = _request(item, settings, resumed=False)
            beyond = sorted(f.resolve() for f in output_folders(item) if roots is not None and outside(f, roots))
            if beyond:
                raise UsageError(f"would write into {beyond[0]}, outside the manifest's folder", path=item.where,
                                 hint="Pass --allow-outside if the manifest is yours and meant to write there")
            outputs = item_outputs(item, request.options, request.delivery, keep_raw)
            clash = claims.clash(outputs)
            if clash is not None:
                raise UsageError(f"would write {clash[0]}, which {clash[1]} also writes", path=item.where,
                                 hint="Give one of them another output or outdir")
            claims.claim(outputs, item.where)
            for planned in stage.plan(item.input, request, eng):
                out.append(summarize(planned, eng, hooks))
        except SubtoolError as exc:
            out.append(PlanSummary(input=redact(item.input), engine=eng.name, error=reason(item, exc)))
    return out, eng
