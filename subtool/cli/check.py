"""``subtool check``: which cues of subtitle files break a subtitle profile."""

from __future__ import annotations

from typing import Any

import click

from ..errors import EXIT_FAILED, EXIT_INPUT
from ..models import CheckedFile
from .app import emit_json, err, info, json_option, warn


def _ts(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _violation(v: Any) -> dict[str, Any]:
    if v.line is not None:  # a cue block that could not be read: no cue number, no times
        return {"cue": None, "line": v.line, "start": None, "end": None, "code": v.code, "message": v.message}
    return {"cue": v.index, "start": round(v.start, 3), "end": round(v.end, 3), "code": v.code, "message": v.message}


@click.command(name="check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option("--profile", "profile_name", default="netflix", show_default=True, help="Subtitle profile (name or .toml path).")
@click.option("--language", "-l", help="Language of the files (default: from the file name, e.g. talk.fr.srt).")
@click.option("--encoding", metavar="ENC", help="The code page of subtitle files that are not UTF-8 (cp1250, cp1252, shift_jis...); guessed from their letters otherwise.")
@json_option
def command(paths: tuple[str, ...], profile_name: str, language: str | None, encoding: str | None, as_json: bool) -> int:
    """Report each cue that breaks a subtitle profile (line length, lines, reading speed,
    duration, overlaps, gaps), and each cue block that cannot be read (bad_block: a malformed or
    missing timing line, with its line number).

    Exit 0 when every cue meets the profile, 1 when any breaks it, 3 when a file cannot be read
    as subtitles (the other files are still checked).
    """
    from .. import api

    checked = api.check(list(paths), profile=profile_name, language=language, encoding=encoding)
    report: list[dict[str, Any]] = []
    unreadable = broken = 0
    for c in checked:
        if c.error is not None:
            unreadable += 1
            err(f"subtool: {c.error}")
            report.append({"path": c.path, "ok": False, "error": c.error, "violations": [], "notes": [], "warnings": []})
            continue
        broken += bool(c.violations)
        report.append({
            "path": c.path, "ok": c.ok, "error": None, "format": c.format, "encoding": c.encoding, "cues": c.cues,
            "profile": c.profile, "notes": c.notes, "warnings": c.warnings, "violations": [_violation(v) for v in c.violations],
        })
        if not as_json:
            _say(c)
    if as_json:
        emit_json(report)
    else:
        total = sum(len(r["violations"]) for r in report)
        info(f"{len(paths)} file(s): {total} problem(s) in {broken} file(s), {unreadable} unreadable")
    if unreadable:
        return EXIT_INPUT
    return EXIT_FAILED if broken else 0


def _say(c: CheckedFile) -> None:
    for note in c.notes:
        if note in c.warnings:
            warn(f"{c.path}: {note}")
        else:
            info(f"{c.path}: note: {note}")
    for v in c.violations:
        where = f"line {v.line}" if v.line is not None else f"cue {v.index} at {_ts(v.start)}"
        click.echo(f"{c.path}: {where}: {v.code}: {v.message}")
    if not c.violations:
        click.echo(f"{c.path}: ok ({c.cues} cues meet the {c.profile} profile)")
