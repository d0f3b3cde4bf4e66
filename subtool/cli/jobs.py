"""``subtool jobs``: the jobs at the Gladia service (list, get ID, delete ID), thin over
:func:`subtool.api.jobs`, :func:`subtool.api.job` and :func:`subtool.api.delete_job`."""

from __future__ import annotations

import click

from .app import emit_json, info, json_option


@click.group(name="jobs")
def command() -> None:
    """The transcription jobs at the Gladia service (GLADIA_API_KEY's account): list them, show
    one, delete a finished one. An interrupted 'subtool run' prints its job ids; 'subtool run
    INPUT --resume-job ID' takes such a job up again without paying for a new one."""


def _duration(seconds: float | None) -> str:
    return f"{seconds:.1f} s" if seconds is not None else "?"


@command.command(name="list")
@click.option("--limit", type=click.IntRange(min=1, max=100), default=20, show_default=True, help="How many of the newest jobs.")
@json_option
def list_jobs(limit: int, as_json: bool) -> int:
    """The newest jobs, newest first: id, status, when made, the audio's name and length."""
    from .. import api

    found = api.jobs(limit)
    if as_json:
        emit_json([j.to_dict() for j in found])
        return 0
    for j in found:
        made = (j.created_at or "?").replace("T", " ")[:19]
        click.echo(f"{j.id}  {j.status:<10}  {made}  {_duration(j.duration):>9}  {j.filename or ''}")
    if not found:
        info("no jobs at the service")
    return 0


@command.command(name="get")
@click.argument("job_id", metavar="ID")
@json_option
def get_job(job_id: str, as_json: bool) -> int:
    """One job: its status, audio and translations (--json: the service's own JSON of it)."""
    from .. import api

    job, raw = api.job(job_id)
    if as_json:
        emit_json(raw)
        return 0
    for key, value in job.to_dict().items():
        if value is not None:
            click.echo(f"{key:<11} {', '.join(value) if isinstance(value, list) else value}")
    return 0


@command.command(name="delete")
@click.argument("job_id", metavar="ID")
def delete_job(job_id: str) -> int:
    """Delete a finished job (its audio and results) at the service."""
    from .. import api

    api.delete_job(job_id)
    info(f"deleted job {job_id}")
    return 0
