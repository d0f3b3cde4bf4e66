"""ASS/SSA files as libass reads them: Format lines honoured, vector drawings not taken for cues.

pysubs2 ignores Format lines and assumes the standard field order: a [V4+ Styles] or [Events]
Format in another order or with fewer fields, which libass and ffmpeg read, made it fail. Style
and Dialogue lines are put in the standard order for pysubs2, and for ffmpeg (whose ASS reader
makes no cue of events in another order) the file's events are rewritten the same way. An event
that mixes a vector drawing and words is the words; one that only draws is no cue.
"""

from __future__ import annotations

import functools
import re

import pysubs2
from pysubs2.formats.substation import EVENT_FIELDS, STYLE_FIELDS

from ..errors import SubtitleReadError

_SECTION = re.compile(r"\s*\[([^\]]+)\]\s*")
_SUBSTATION = re.compile(r"^\s*\[(?:V4\+? Styles|Events|Script Info)\]", re.MULTILINE | re.IGNORECASE)
_DRAWING_MODE = re.compile(r"\\p(\d+)")
_OVERRIDE = re.compile(r"\{[^}]*\}")


def is_substation(text: str) -> bool:
    """Whether the text has an ASS/SSA section heading."""
    return _SUBSTATION.search(text) is not None


@functools.lru_cache(maxsize=2)
def _substation_defaults(fmt: str) -> tuple[dict[str, str], dict[str, str], str]:
    """pysubs2's default style and event as it writes them (field -> value: what a field a
    Format line leaves out takes), and its [Events] Format line."""
    ssa = pysubs2.SSAFile()
    ssa.append(pysubs2.SSAEvent())
    lines = ssa.to_string(fmt).splitlines()
    formats = [line for line in lines if line.startswith("Format:")]
    style = dict(zip(_format_fields(formats[0]), next(x for x in lines if x.startswith("Style:")).split(":", 1)[1].split(","), strict=True))
    names = _format_fields(formats[1])
    event = dict(zip(names, next(x for x in lines if x.startswith("Dialogue:")).split(":", 1)[1].lstrip().split(",", len(names) - 1),
                     strict=True))
    return style, event, formats[1]


def _format_fields(line: str) -> list[str]:
    """A Format line's fields in pysubs2's names ("PrimaryColour" -> "primarycolor")."""
    return [f.strip().lower().replace("colour", "color") for f in line.split(":", 1)[1].split(",")]


def _split_fields(rest: str, fields: list[str]) -> dict[str, str]:
    """A Style or Dialogue line's values by field; Text takes the rest of the line, as in libass."""
    values: dict[str, str] = {}
    for i, name in enumerate(fields):
        if name == "text" or i == len(fields) - 1:
            values[name] = rest
            break
        value, sep, rest = rest.partition(",")
        values[name] = value.strip()
        if not sep:
            break
    return values


def _in_order(kind: str, rest: str, fields: list[str], standard: list[str], defaults: dict[str, str]) -> str:
    """A ``kind:`` line whose values ``rest`` come in the order ``fields``, in the ``standard`` one
    (a field the file leaves out takes pysubs2's default)."""
    values = _split_fields(rest.lstrip(), fields)
    return f"{kind}: " + ",".join(values.get(f, defaults.get(f, "")) for f in standard)


def _events_order(format_line: str, standard: list[str], notes: list[str], path: str) -> list[str] | None:
    """The fields of an [Events] Format line when they are not in the standard order, else None."""
    fields = _format_fields(format_line)
    if fields == standard:
        return None
    missing = {"start", "end", "text"} - set(fields)
    if missing:
        raise SubtitleReadError(f"has an [Events] Format line without {', '.join(sorted(missing))}", path=path,
                                hint="Add the missing fields to the Format line")
    notes.append(f"[Events] Format is '{format_line.split(':', 1)[1].strip()}': read by it")
    return fields


def read_substation(text: str, notes: list[str], path: str) -> tuple[str, str | None]:
    """ASS/SSA text with its Style and Dialogue lines in the field order pysubs2 assumes, and the
    file for ffmpeg: with its events in the standard order when they were not, else None."""
    fmt = "ass" if re.search(r"^\s*\[V4\+ Styles\]", text, re.MULTILINE | re.IGNORECASE) else "ssa"
    style_std = ["name", *STYLE_FIELDS[fmt]]
    event_std = EVENT_FIELDS[fmt]
    style_defaults, event_defaults, event_format = _substation_defaults(fmt)
    section = ""
    styles: list[str] | None = None  # the file's own field order, when it is not the standard one
    events: list[str] | None = None
    read: list[str] = []
    source: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        heading = _SECTION.fullmatch(line)
        is_format = stripped.lower().startswith("format:")
        if heading:
            section = heading.group(1).strip().lower()
        elif is_format and section in {"v4+ styles", "v4 styles"}:
            fields = _format_fields(stripped)
            styles = None if fields == style_std else fields
            if styles is not None:
                notes.append(f"[{_heading_text(section)}] Format lists its fields in another order: read by it")
        elif is_format and section == "events":
            events = _events_order(stripped, event_std, notes, path)
            if events is not None:
                read.append(line)
                source.append(event_format)
                continue
        elif styles is not None and stripped.startswith("Style:"):
            read.append(_in_order("Style", stripped.split(":", 1)[1], styles, style_std, style_defaults))
            source.append(line)
            continue
        elif events is not None and stripped.startswith(("Dialogue:", "Comment:")):
            kind, rest = stripped.split(":", 1)
            line = _in_order(kind, rest, events, event_std, event_defaults)
        read.append(line)
        source.append(line)
    return "\n".join(read), ("\n".join(source) if events is not None else None)


def _heading_text(section: str) -> str:
    return {"v4+ styles": "V4+ Styles", "v4 styles": "V4 Styles"}.get(section, section)


def _without_drawings(text: str) -> str:
    """An ASS event's text without its vector drawings (what follows ``{\\p1}`` up to ``{\\p0}``
    is shape commands, not words)."""
    out: list[str] = []
    drawing = False
    pos = 0
    for m in _OVERRIDE.finditer(text):
        if not drawing:
            out.append(text[pos:m.start()])
        out.append(m.group())
        for scale in _DRAWING_MODE.findall(m.group()):
            drawing = int(scale) > 0
        pos = m.end()
    if not drawing:
        out.append(text[pos:])
    return "".join(out)


def substation_cues(events: list[pysubs2.SSAEvent], notes: list[str]) -> list[pysubs2.SSAEvent]:
    """An ASS/SSA file's events that are cues: not comments; an event mixing a vector drawing and
    words is the words (pysubs2 calls the whole event a drawing), one that only draws is none."""
    out: list[pysubs2.SSAEvent] = []
    drawings = 0
    for e in events:
        if e.is_comment:
            continue
        if _DRAWING_MODE.search(e.text):
            words = _without_drawings(e.text)
            if not _OVERRIDE.sub("", words).replace("\\N", " ").replace("\\n", " ").replace("\\h", " ").strip():
                drawings += 1
                continue
            e.text = words
        out.append(e)
    if drawings:
        notes.append(f"{drawings} drawing-only event(s) (vector shapes, no text) are not cues: skipped")
    return out
