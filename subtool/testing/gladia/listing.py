"""``GET /v2/pre-recorded``: the list's filters (status, date, before/after, custom metadata),
its validation messages, and its pages (newest first, ``first``/``current``/``next`` links).

The custom metadata filter is taken in two forms: the documented ``custom_metadata={"k":"v"}``
JSON, and the SDK's ``custom_metadata[k]=v``; under ``--strict`` only the documented one (the
SDK's form is ignored, as an unknown parameter).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from . import spec
from .records import Job
from .state import State


@dataclass
class Filters:
    offset: int = 0
    limit: int = 20
    statuses: list[str] = field(default_factory=list)
    day: str | None = None
    before: datetime | None = None
    after: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def list_jobs(state: State, query: dict[str, list[str]]) -> tuple[list[str], dict[str, Any]]:
    """(validation messages, {}) or ([], the page) for the list request's ``query``."""
    strict = state.config.strict
    problems, f = parse_filters(query, strict=strict)
    if problems:
        return problems, {}
    with state.lock:
        jobs = sorted((j for j in state.jobs.values() if keep(j, f)), key=lambda j: j.created, reverse=True)
        items = [j.to_dict(trimmed=True, strict=strict) for j in jobs[f.offset : f.offset + f.limit]]
    filters = [(k, v) for k, vs in query.items() if k not in ("offset", "limit") for v in vs]

    def link(off: int) -> str:
        return f"{state.base_url}/v2/pre-recorded?" + urlencode([("offset", off), ("limit", f.limit), *filters])

    return [], {
        "first": link(0),
        "current": link(f.offset),
        "next": link(f.offset + f.limit) if f.offset + f.limit < len(jobs) else None,
        "items": items,
    }


def parse_filters(query: dict[str, list[str]], *, strict: bool) -> tuple[list[str], Filters]:
    """The filters of ``query`` and every message the real API would give about them."""
    problems: list[str] = []
    f = Filters()
    f.offset = _integer(query, "offset", 0, 0, problems)
    f.limit = _integer(query, "limit", 20, 1, problems)
    f.statuses = query.get("status", [])
    if any(s not in spec.JOB_STATUSES for s in f.statuses):
        problems.append(f"each value in status must be one of the following values: {', '.join(spec.JOB_STATUSES)}")
    f.day = query.get("date", [None])[-1]
    if f.day is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.day):
        problems.append("date must be a valid ISO 8601 date string (YYYY-MM-DD)")
    f.before = _bound(query, "before_date", problems)
    f.after = _bound(query, "after_date", problems)
    f.meta = _metadata_filter(query, strict, problems)
    return problems, f


def keep(job: Job, f: Filters) -> bool:
    created = datetime.fromtimestamp(job.created, UTC)
    if f.statuses and job.status not in f.statuses:
        return False
    if f.day and created.strftime("%Y-%m-%d") != f.day:
        return False
    if f.before and not created < f.before:
        return False
    if f.after and not created > f.after:
        return False
    have = job.body.get("custom_metadata") or {}
    return all(k in have and (have[k] == v or str(have[k]) == str(v)) for k, v in f.meta.items())


def _integer(query: dict[str, list[str]], name: str, default: int, low: int, problems: list[str]) -> int:
    raw = query.get(name, [str(default)])[-1]
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be an integer number")
        return default
    if value < low:
        problems.append(f"{name} must not be less than {low}")
    return value


def _bound(query: dict[str, list[str]], name: str, problems: list[str]) -> datetime | None:
    raw = query.get(name, [None])[-1]
    value = _parse_date(raw) if raw else None
    if raw and value is None:
        problems.append(f"{name} must be a valid ISO 8601 date string")
    return value


def _parse_date(value: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _metadata_filter(query: dict[str, list[str]], strict: bool, problems: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, values in query.items():
        m = re.fullmatch(r"custom_metadata\[(.+)\]", key)
        if m and not strict:  # the SDK's form; the documented one is the JSON below
            meta[m.group(1)] = values[-1]
        elif key == "custom_metadata":
            try:
                parsed = json.loads(values[-1])
            except json.JSONDecodeError:
                parsed = None
            if not isinstance(parsed, dict):
                problems.append("custom_metadata must be an object")
            else:
                meta.update(parsed)
    return meta
