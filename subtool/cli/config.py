"""Config-file defaults on the command line: they become click's ``default_map`` for ``run``,
``transcribe`` and ``batch`` (so the command line still wins), and ``subtool config show`` says
each effective value and where it came from. The values come from :func:`subtool.api.config`."""

from __future__ import annotations

import json
from typing import Any

import click

from ..errors import UsageError
from .app import emit_json, json_option

CONFIGURED = ("run", "transcribe", "batch")
# A key's click parameter where it differs from the library's name.
RENAMED = {"batch": {"mux": "mux_preset", "burn": "burn_style"}}


def _params(command: click.Command, name: str) -> dict[str, click.Parameter]:
    """The command's options by their library names."""
    back = {v: k for k, v in RENAMED.get(name, {}).items()}
    return {back.get(p.name or "", p.name or ""): p for p in command.params if isinstance(p, click.Option) and p.name}


def default_map(ctx: click.Context, name: str) -> dict[str, Any]:
    """The config's defaults for command ``name``, as click's ``default_map``, each value checked
    by its option's own type (a bad one is refused naming the file or variable and the key)."""
    from .. import api

    command = ctx.command.get_command(ctx, name) if isinstance(ctx.command, click.Group) else None
    if command is None:
        return {}
    params = _params(command, name)
    out: dict[str, Any] = {}
    for key, (value, origin) in api.config(name).items():
        param = params.get(key)
        if param is None:
            if origin.startswith("["):  # a [batch] key the command does not have
                raise UsageError(f"{origin}: '{key}' is not an option of subtool {name}")
            continue
        if param.multiple and isinstance(value, str):
            value = [value]
        try:
            param.type_cast_value(ctx, value)
        except click.BadParameter as exc:
            raise UsageError(f"{origin}: {key} = {json.dumps(value)}: {exc.message}") from None
        out[param.name or key] = value
    return out


def _builtin(param: click.Parameter) -> Any:
    """An option's own default (None when it has none: click marks that with a sentinel)."""
    default = param.default
    if default is None or isinstance(default, str | int | float | bool | list | tuple):
        return list(default) if isinstance(default, tuple) else default
    if isinstance(param, click.Option) and param.multiple:
        return []
    return False if isinstance(param, click.Option) and param.is_flag else None


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, ensure_ascii=False)


@click.group(name="config")
def command() -> None:
    """Defaults for run, transcribe and batch in a config file (config.toml in subtool's config
    folder, or SUBTOOL_CONFIG) or the environment (SUBTOOL_MAX_JOBS=25). Keys are the options'
    library names (translate, max_jobs, engine, profile, burn...); a [run], [transcribe] or
    [batch] table applies to that command only. The command line wins over the environment,
    which wins over the file, which wins over the built-in default."""


@command.command(name="show")
@click.option("--command", "which", type=click.Choice(CONFIGURED), help="Only this command's values: run, transcribe or batch (default: all three).")
@json_option
@click.pass_context
def show(ctx: click.Context, which: str | None, as_json: bool) -> int:
    """Print the effective defaults and where each came from (built-in, the file, the environment)."""
    from .. import api

    root = ctx.find_root()
    path = api.config_file()
    doc: dict[str, Any] = {"file": str(path), "exists": path.is_file(), "commands": {}}
    for name in [which] if which else CONFIGURED:
        command = root.command.get_command(root, name) if isinstance(root.command, click.Group) else None
        assert command is not None
        given = api.config(name)
        default_map(root, name)  # the same checks as a run would make
        values = {}
        for key, param in _params(command, name).items():
            if key in ("output", "as_json", "dry_run", "resume_job", "resume", "restart", "state_path", "report_path", "quiet", "verbose"):
                continue
            value, origin = given.get(key, (_builtin(param), "built-in"))
            values[key] = {"value": list(value) if isinstance(value, tuple) else value, "from": origin}
        doc["commands"][name] = values
    if as_json:
        emit_json(doc)
        return 0
    click.echo(f"# config file: {path}{'' if doc['exists'] else ' (none)'}")
    for name, values in doc["commands"].items():
        click.echo(f"\n[{name}]")
        for key, entry in values.items():
            shown = f"{key} = {_toml(entry['value'])}" if entry["value"] is not None else f"# {key} (not set)"
            click.echo(f"{shown:<40} # {entry['from']}")
    return 0
