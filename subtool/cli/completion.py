"""Shell completion (click's own: ``_SUBTOOL_COMPLETE=bash_source subtool``) of preset names and
language codes. Each option that takes a preset or a language gets a string type that converts
as before and completes from the presets that exist (shipped or the user's) or the language
codes the service knows, from :func:`subtool.api.list_presets` and
:func:`subtool.api.language_codes`."""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem

# option name -> the preset kind it names ("" for any kind), or "language"
COMPLETED = {
    "mux": "mux", "mux_preset": "mux", "preset_name": "mux", "burn": "burn", "burn_style": "burn", "style_name": "burn",
    "profile": "profile", "profile_name": "profile", "name": "", "action": "",
    "languages": "language", "translate": "language", "burn_language": "language", "default": "language", "forced": "language",
    "language": "language",
}


class Completed(click.types.StringParamType):
    """A string option whose values are completed from what exists."""

    def __init__(self, what: str) -> None:
        self.what = what

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        from .. import api

        try:
            if self.what == "language":
                head, _, last = incomplete.rpartition(",")  # -t fr,e<TAB>
                prefix = f"{head}," if head else ""
                return [CompletionItem(prefix + code) for code in api.language_codes() if code.startswith(last)]
            names = sorted({p.name for p in api.list_presets(self.what or None) if p.error is None})
        except Exception:  # noqa: BLE001 - a completion never breaks the shell with a traceback
            return []
        if param.name == "action":  # presets [list|show|NAME]
            names = ["list", "show", *names]
        return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def add_completion(command: click.Command) -> None:
    """Give the preset and language options of ``command`` (and a group's subcommands) completion."""
    for param in command.params:
        what = COMPLETED.get(param.name or "")
        if what is not None and isinstance(param.type, click.types.StringParamType):
            param.type = Completed(what)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_completion(sub)
