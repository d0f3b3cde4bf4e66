"""``subtool presets``: what presets exist (shipped or the user's) and what one sets."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click

from ..errors import EXIT_USAGE, PresetError
from .app import emit_json, err, json_option


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


@click.command(name="presets")
@click.argument("action", type=click.Choice(["list", "show"]), default="list")
@click.argument("name", required=False)
@click.option("--kind", type=click.Choice(["profile", "mux", "burn"]), help="Only presets of this kind.")
@json_option
def command(action: str, name: str | None, kind: str | None, as_json: bool) -> int:
    """List the presets (subtitle profiles, mux presets, burn styles), or show what NAME sets.

    Presets in your config folder (presets/ under subtool's platformdirs config dir, or
    SUBTOOL_PRESETS_DIR) override shipped ones of the same kind and name.
    """
    from ..presets import discover, load, user_dir

    found = [p for p in discover() if kind is None or p.kind == kind or p.error is not None]
    if action == "list":
        if name:
            raise click.UsageError("'presets list' takes no NAME; use 'presets show NAME'")
        rows: list[dict[str, Any]] = []
        bad: list[PresetError] = []
        for p in found:
            try:
                description = load(p.kind, p.name).description  # type: ignore[arg-type]
            except PresetError as exc:
                bad.append(exc)
                description = "(malformed, see below)"
            rows.append({"kind": p.kind or "?", "name": p.name, "origin": p.origin, "overrides_builtin": p.overrides is not None,
                         "path": str(p.path), "description": description})
        if as_json:
            emit_json({"user_dir": str(user_dir()), "presets": rows})
        else:
            width = max((len(r["name"]) for r in rows), default=4)
            for r in rows:
                origin = "user, overrides builtin" if r["overrides_builtin"] else r["origin"]
                click.echo(f"{r['kind']:<8} {r['name']:<{width}}  {origin:<23}  {r['description']}")
            click.echo(f"(user presets: {user_dir()})")
        for problem in bad:
            err(f"subtool: {problem.line()}")
        return EXIT_USAGE if bad else 0

    if not name:
        raise click.UsageError("'presets show' needs a NAME (see 'subtool presets list')")
    matches = [p for p in found if p.name == name]
    if not matches:
        names = ", ".join(sorted({p.name for p in found})) or "none"
        raise PresetError(f"no preset called '{name}'", hint=f"Available: {names}")
    docs: list[dict[str, Any]] = []
    for p in matches:
        values = dataclasses.asdict(load(p.kind, p.name))  # type: ignore[arg-type]
        values.pop("name", None)
        docs.append({"name": p.name, "kind": p.kind, "origin": p.origin, "path": str(p.path),
                     "overrides": str(p.overrides) if p.overrides else None, "values": values})
    if as_json:
        emit_json(docs[0] if len(docs) == 1 else docs)
        return 0
    for i, d in enumerate(docs):
        if i:
            click.echo("")
        note = f", overrides {d['overrides']}" if d["overrides"] else ""
        click.echo(f"# {d['kind']} preset '{d['name']}' ({d['origin']}: {d['path']}{note})")
        click.echo(f"kind = {_toml_value(d['kind'])}")
        for key, value in d["values"].items():
            click.echo(f"{key} = {_toml_value(value)}")
    return 0
