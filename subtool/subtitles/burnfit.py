"""Cues against a burn style: how many lines libass will draw each on, and whether the style's own
profile allows that many.

libass wraps a line wider than the style leaves it (the picture's width less the side margins),
so cues made for a wide profile become taller blocks in a narrow style: an ordinary 2 x 42
character SRT burned with ``social-vertical`` (1080 x 1920, 8% margins, a 0.042-of-the-height
bold font) becomes a 4-line block where its profile, ``vertical``, allows 3. The width of a line is
estimated from its characters: 0.42 em each (measured: "Vertical video needs short", 26
characters in that style on a 1080 x 1920 picture, drew 776 pixels, 0.37 em each; 0.42 leaves room
for capitals and wide letters), a CJK character 1 em.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..models import BurnStyle
from .limits import CJK_CHAR

GLYPH_EM = 0.42


def chars_per_line(style: BurnStyle, width: int, height: int) -> float:
    """About how many Latin characters fit on one drawn line of ``style`` on a ``width`` x ``height`` picture."""
    room = width * (1 - 2 * style.margin_h)
    return max(1.0, room / (style.font_size * height * GLYPH_EM))


def drawn_lines(lines: Sequence[str], style: BurnStyle, width: int, height: int) -> int:
    """How many lines ``style`` draws a cue of ``lines`` on (each wrapped line counts)."""
    per_line = chars_per_line(style, width, height)
    out = 0
    for line in lines:
        visual = sum(1 / GLYPH_EM if CJK_CHAR.match(c) else 1.0 for c in line)
        out += max(1, math.ceil(visual / per_line - 1e-9))
    return out


def too_tall(cues: Sequence[Sequence[str]], style: BurnStyle, width: int, height: int, max_lines: int) -> list[tuple[int, int]]:
    """(cue number, lines drawn) for each cue the style draws on more than ``max_lines`` lines,
    its own line breaks counted with the wrapping (a 4-line cue is as tall in the picture as a
    2-line cue wrapped twice, and the profile's limit is on what the viewer reads)."""
    out = []
    for i, lines in enumerate(cues, 1):
        n = drawn_lines(lines, style, width, height)
        if n > max_lines:
            out.append((i, n))
    return out
