"""The burn style options of ``burn``, ``run`` and ``batch`` (``--font-size``, ``--position``,
``--color``, ``--outline-color``, ``--box``), declared once under the library's names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

NAMES = ("font_size", "position", "color", "outline_color", "box")

_OPTIONS = [
    click.option("--font-size", type=click.FloatRange(min=0, min_open=True), metavar="SIZE",
                 help="Burn: the text's size, a fraction of the picture's height (0.05) or points on a 1080-line picture (54)."),
    click.option("--position", type=click.Choice(["top", "middle", "bottom"]),
                 help="Burn: where the cues go (top, middle or bottom of the picture, centred)."),
    click.option("--color", metavar="COLOUR", help="Burn: the text's colour, #RRGGBB or a CSS colour name (e.g. #FFD700, gold)."),
    click.option("--outline-color", metavar="COLOUR", help="Burn: the outline's colour, #RRGGBB or a CSS colour name."),
    click.option("--box", is_flag=True, default=None, help="Burn: draw each cue on a box (the style's back colour)."),
]


def style_options(f: F) -> F:
    for option in reversed(_OPTIONS):
        f = option(f)
    return f


def pop_style(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The style options given (None and unset flags left out), taken out of ``kwargs``."""
    values = {name: kwargs.pop(name) for name in NAMES}
    return {k: v for k, v in values.items() if v is not None and v is not False}
