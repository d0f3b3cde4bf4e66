"""``subtool presets``: what presets exist (shipped or the user's) and what one sets."""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import EXIT_USAGE
from .app import emit_json, err, json_option


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


@click.command(name="presets")
@click.argument("action", default="list", metavar="[list|show|NAME]")
@click.argument("name", required=False)
@click.option("--kind", type=click.Choice(["profile", "mux", "burn"]),
              help="Only presets of this kind: profile (subtitle reading rules), mux (soft tracks) or burn (burn styles).")
@json_option
def command(action: str, name: str | None, kind: str | None, as_json: bool) -> int:
    """List the presets (subtitle profiles, mux presets, burn styles), or show what NAME sets
    ('presets NAME' is 'presets show NAME').

    Presets in your config folder (presets/ under subtool's platformdirs config dir, or
    SUBTOOL_PRESETS_DIR) override shipped ones of the same kind and name.
    """
    from .. import api

    if action not in ("list", "show"):  # `presets boxed` is `presets show boxed`
        if name:
            raise click.UsageError(f"'presets {action} {name}': the first word is list or show (or a preset's NAME alone)")
        action, name = "show", action
    if action == "list":
        if name:
            raise click.UsageError("'presets list' takes no NAME; use 'presets show NAME'")
        found = api.list_presets(kind)
        rows: list[dict[str, Any]] = [{"kind": f.kind or "?", "name": f.name, "origin": f.origin, "overrides_builtin": f.overrides is not None, "path": f.path,
                 "description": "(malformed, see below)" if f.error else f.description} for f in found]
        if as_json:
            emit_json({"user_dir": str(api.presets_folder()), "presets": rows})
        else:
            width = max((len(r["name"]) for r in rows), default=4)
            for r in rows:
                origin = "user, overrides builtin" if r["overrides_builtin"] else r["origin"]
                click.echo(f"{r['kind']:<8} {r['name']:<{width}}  {origin:<23}  {r['description']}")
            click.echo(f"(user presets: {api.presets_folder()})")
        bad = [f.error for f in found if f.error]
        for problem in bad:
            err(f"subtool: {problem}")
        return EXIT_USAGE if bad else 0

    if not name:
        raise click.UsageError("'presets show' needs a NAME (see 'subtool presets list')")
    docs: list[dict[str, Any]] = [{"name": info.name, "kind": info.kind, "origin": info.origin, "path": info.path, "overrides": info.overrides, "values": values}
            for info, values in api.show_preset(name, kind)]
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
