"""Many inputs through the stages of ``subtool.flow``: service slots kept full, resumable, with a
report. One concept per module: ``manifest`` (the items), ``claims`` (where they write),
``state`` (the SQLite state and its lock), ``journal`` (jobs recorded as they happen),
``pacing`` (429s), ``worker`` (one item through the stages), ``scheduler`` (``run_batch``),
``report``; ``cluster`` runs the items on a Dask cluster (imported only for it)."""

from __future__ import annotations

from .report import BatchReport, ItemReport
from .scheduler import run_batch

__all__ = ["BatchReport", "ItemReport", "run_batch"]
