"""A burn style changed from the command line, and colours as people write them.

``--font-size``, ``--position``, ``--color``, ``--outline-color`` and ``--box`` (burn, run, batch)
replace those values of the style's preset, checked as a preset's are, each error naming its
option. Colours are written ``#RRGGBB`` (``#RGB``) or as a CSS colour name (``gold``; webcolors
knows the 147 of CSS 3) and converted here to ASS's ``&HAABBGGRR`` (alpha first, then blue,
green, red: ``#FFD700`` is ``&H0000D7FF``), which is what libass reads; a preset may use either
form. A font size under 1 is a fraction of the picture's height (0.05); from 1 it is points on a
1080-line picture (54 is 0.05), the unit editors set subtitles in.
"""

from __future__ import annotations

import dataclasses
import re

from .errors import UsageError
from .models import BurnStyle
from .suggest import did_you_mean

POSITIONS = {"bottom": 2, "middle": 5, "top": 8}  # ASS numpad alignment, centred
REFERENCE_LINES = 1080
_ASS = re.compile(r"&H[0-9A-Fa-f]{8}&?")
_HEX = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")


def ass_colour(text: str) -> str | None:
    """``#RRGGBB``, ``#RGB``, a CSS colour name or an ASS colour, as ASS ``&HAABBGGRR`` (opaque
    for the first three); None when ``text`` is none of them."""
    value = text.strip()
    if _ASS.fullmatch(value):
        return value.rstrip("&")
    import webcolors

    if _HEX.fullmatch(value) and (value.startswith("#") or len(value) == 6):
        rgb = webcolors.hex_to_rgb(webcolors.normalize_hex("#" + value.lstrip("#")))
    else:
        try:
            rgb = webcolors.name_to_rgb(value.lower())
        except ValueError:
            return None
    return f"&H00{rgb.blue:02X}{rgb.green:02X}{rgb.red:02X}"


def colour_names() -> list[str]:
    import webcolors

    return list(webcolors.names("css3"))


def _colour(option: str, value: str) -> str:
    found = ass_colour(value)
    if found is None:
        raise UsageError(f"{option} {value!r} is not a colour",
                         hint=f"{did_you_mean(value, colour_names())}Use #RRGGBB (e.g. #FFD700) or a CSS colour name (e.g. gold)")
    return found


def font_fraction(size: float) -> float:
    """A ``--font-size`` as the fraction of the picture's height a style holds."""
    if size <= 0 or size >= REFERENCE_LINES:
        raise UsageError(f"--font-size {size:g} is out of range",
                         hint="Give a fraction of the picture's height under 1 (0.05), or points on a 1080-line picture (54)")
    return size if size < 1 else size / REFERENCE_LINES


def override(
    style: BurnStyle,
    *,
    font_size: float | None = None,
    position: str | None = None,
    color: str | None = None,
    outline_color: str | None = None,
    box: bool | None = None,
) -> BurnStyle:
    """``style`` with what the command line changed, checked; the same style when nothing is."""
    changes: dict[str, object] = {}
    if font_size is not None:
        changes["font_size"] = font_fraction(float(font_size))
    if position is not None:
        if position not in POSITIONS:
            raise UsageError(f"--position {position!r} is not a position", hint=f"{did_you_mean(position, POSITIONS)}Use top, middle or bottom")
        changes["alignment"] = POSITIONS[position]
    if color is not None:
        changes["primary_colour"] = _colour("--color", color)
    if outline_color is not None:
        changes["outline_colour"] = _colour("--outline-color", outline_color)
    if box:
        changes["border_style"] = 4  # one box behind the whole cue, in the style's back colour
    return dataclasses.replace(style, **changes) if changes else style  # type: ignore[arg-type]


def given(*, font_size: float | None = None, position: str | None = None, color: str | None = None, outline_color: str | None = None,
          box: bool | None = None) -> dict[str, object]:
    """The overrides actually given (for a message, or a batch's state key)."""
    values = {"font_size": font_size, "position": position, "color": color, "outline_color": outline_color, "box": box or None}
    return {k: v for k, v in values.items() if v is not None}
