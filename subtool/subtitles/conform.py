"""Other people's subtitle files made to meet a profile, their words untouched (``subtool conform``).

Only breaks and times change, never the text: each cue's words (styling tags kept with the word
they are attached to, and never counted as characters) become tokens timed across the cue in
proportion to their characters, and the file goes through the builder's own steps. What the output
format carries is kept (``save``: italic, bold, underline in SRT and WebVTT, strike-out and the
``{\an8}`` position in SRT, every override tag in ASS); a cue split in parts starts each part with
its position and the styling its earlier parts left open; what the input had and the output
cannot carry (a WebVTT cue's identifier, settings, voices and classes, SRT's ``<font>``) is named
per cue (``unkept``, read from the file as written, which ``mux`` hands to ffmpeg whole):

- a cue that fits the profile's lines keeps its line breaks; one that does not (over-long lines,
  more lines than the profile has) is broken again, and split into cues at its best boundaries
  (``segment.gather``: a sentence end, clause punctuation, never after a function word) when its
  words need more room than one cue has or it lasts longer than the maximum duration;
- the times are those of the builder (``timing``): stretched into the following silence for the
  reading speed and the minimum duration, small gaps closed to the minimum gap, overlaps and
  1-frame gaps opened to it, edges moved to the video's shot changes when a video is given;
- cues still too fast or too short share their words with a neighbour or merge with it, then use
  the sync frames (``rules``).

``conform`` returns the new file, a line for every change (the input's cue numbers), and the
caller checks the written file with ``check``'s code for what could not be fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pysubs2
from pysubs2.formats.substation import parse_tags

from .. import languages
from ..errors import UsageError
from ..models import Profile
from ..outputs import atomic_path
from .layout import Layout
from .limits import Limits, limits_for
from .model import Cue, SubtitleDoc
from .rules import Owners, settle
from .segment import gather
from .shots import Shots
from .tokens import Tok, units

_TAG = re.compile(r"\{[^}]*\}")
_POSITION = re.compile(r"\{[^}]*\\an([1-9])[^}]*\}")
_WORD_SPLIT = re.compile(r"\s+(?![^{]*\})")  # whitespace outside override blocks


@dataclass
class Conformed:
    """The conformed file (events in the input's styles), what changed, and the cue counts."""

    ssa: pysubs2.SSAFile
    changes: list[str] = field(default_factory=list)
    cues_in: int = 0
    cues_out: int = 0


def conform(doc: SubtitleDoc, profile: Profile, *, language: str | None, shots: Shots | None = None) -> Conformed:
    """``doc``'s cues made to meet ``profile`` (see the module docstring)."""
    events = list(doc.ssa.events)
    sample = " ".join(e.plaintext for e in events[:50])
    lim = limits_for(profile, language, sample)
    groups: list[list[Tok]] = []
    lines: list[list[str] | None] = []
    for i, e in enumerate(events):
        toks = _event_tokens(e, i, lim)
        if not toks:
            continue
        raw_lines = [line.strip() for line in e.text.replace("\\n", "\\N").split("\\N") if line.strip()]
        fits = _fits(raw_lines, lim)
        if fits and toks[-1].end - toks[0].start <= lim.max_dur + 1e-6:
            groups.append(toks)
            lines.append(raw_lines)
            continue
        for part in gather(toks, lim, False):
            groups.append(part)
            lines.append(None)
    layout = Layout(groups, lim, False, None, lines)
    cues, owners, _found, layout = settle(layout, shots)
    out = pysubs2.SSAFile()
    out.info = dict(doc.ssa.info)
    out.styles = {name: style.copy() for name, style in doc.ssa.styles.items()}
    written: dict[int, str] = {}  # what each input cue's earlier parts wrote
    for cue, (a, _b) in zip(cues, owners, strict=True):
        utt = layout.groups[a][0].utt
        source = events[utt]
        event = source.copy()
        event.start, event.end = round(cue.start * 1000), round(cue.end * 1000)
        text = "\\N".join(cue.lines)
        event.text = _carried(source.text, written.get(utt, ""), text, out.styles) + text
        written[utt] = written.get(utt, "") + text
        out.events.append(event)
    changes = _changes(events, cues, owners, layout)
    return Conformed(out, changes, len(events), len(cues))


def _carried(source: str, before: str, text: str, styles: dict[str, pysubs2.SSAStyle]) -> str:
    """The tags a part split from ``source`` starts with so it looks as the same words did in it:
    the cue's position (``{\\an8}``: a top cue's parts stay at the top) and the italic, bold,
    underline and strike-out its earlier parts (``before``) opened and did not close."""
    if not before:
        return ""
    pos = _POSITION.search(source)
    out = f"{{\\an{pos.group(1)}}}" if pos and not _POSITION.search(text) else ""
    [*_, (_, sty)] = parse_tags(before + "x", pysubs2.SSAStyle.DEFAULT_STYLE, styles)
    out += "".join(f"{{\\{tag}1}}" for tag, on in (("i", sty.italic), ("b", sty.bold), ("u", sty.underline), ("s", sty.strikeout)) if on)
    return out


def _fits(lines: list[str], lim: Limits) -> bool:
    plain = [_TAG.sub("", line).strip() for line in lines]
    return len(plain) <= lim.lines and all(len(line) <= lim.chars for line in plain)


def _event_tokens(e: pysubs2.SSAEvent, index: int, lim: Limits) -> list[Tok]:
    """The cue's words as tokens (text as written, tags included; widths of the visible text),
    timed across the cue in proportion to their characters."""
    raw = e.text.replace("\\N", " ").replace("\\n", " ").strip()
    if lim.spaced or "{" in raw:
        words = [(w, " ") for w in _WORD_SPLIT.split(raw) if w]
        words = _tags_onto_words(words)
    else:
        words = units(raw, False)
    start, end = e.start / 1000, max(e.end, e.start) / 1000
    total = sum(len(_TAG.sub("", w)) for w, _ in words) or 1
    toks: list[Tok] = []
    pos = 0
    for text, sep in words:
        plain = _TAG.sub("", text) or text
        s = start + (end - start) * pos / total
        pos += len(plain)
        tok = Tok(plain, s, start + (end - start) * pos / total, sep, None, not toks, lim.spaced, lim.wording, index)
        tok.text = text  # written as it came, tags and all; measured without them
        toks.append(tok)
    return toks


def _tags_onto_words(words: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A word that is only a tag ("{\\i1}") is joined to the word after it (before it, at the end)."""
    out: list[tuple[str, str]] = []
    pending = ""
    for text, sep in words:
        if not _TAG.sub("", text).strip():
            pending += text
            continue
        out.append((pending + text, sep))
        pending = ""
    if pending and out:
        out[-1] = (out[-1][0] + pending, out[-1][1])
    return out


def _clock(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _changes(events: list[pysubs2.SSAEvent], cues: list[Cue], owners: Owners, layout: Layout) -> list[str]:
    """One line per change, the input's cue numbers first."""
    sources = [sorted({t.utt for run in layout.groups[a:b] for t in run}) for a, b in owners]
    out: list[str] = []
    k = 0
    while k < len(cues):
        ins, outs = set(sources[k]), [k]
        while k + 1 < len(cues) and set(sources[k + 1]) & ins:
            k += 1
            outs.append(k)
            ins |= set(sources[k])
        out += _describe(sorted(ins), outs, events, cues)
        k += 1
    return out


def _describe(ins: list[int], outs: list[int], events: list[pysubs2.SSAEvent], cues: list[Cue]) -> list[str]:
    first, last = ins[0] + 1, ins[-1] + 1
    name = f"cue {first}" if first == last else f"cues {first}-{last}"
    out_name = f"cue {outs[0] + 1}" if len(outs) == 1 else f"cues {outs[0] + 1}-{outs[-1] + 1}"
    if len(ins) == 1 and len(outs) > 1:
        return [f"{name}: split into {len(outs)} cues ({out_name})"]
    if len(ins) > 1 and len(outs) == 1:
        return [f"{name}: merged into one cue ({out_name})"]
    if len(ins) > 1:
        return [f"{name}: words shared out again as {out_name}"]
    e, cue = events[ins[0]], cues[outs[0]]
    said: list[str] = []
    start, end = e.start / 1000, e.end / 1000
    if abs(cue.start - start) >= 0.0005:
        said.append(f"in-time {_clock(start)} -> {_clock(cue.start)}")
    if abs(cue.end - end) >= 0.0005:
        said.append(f"out-time {_clock(end)} -> {_clock(cue.end)}")
    if [_TAG.sub("", line).strip() for line in e.text.replace("\\n", "\\N").split("\\N") if line.strip()] != [
            _TAG.sub("", line) for line in cue.lines]:
        said.append("lines broken again")
    return [f"{name}: {', '.join(said)}"] if said else []


def output_path(path: str | Path, *, output: str | Path | None, outdir: str | Path | None) -> Path:
    """Where a conformed file goes: ``output``; else in ``outdir`` under the input's name; else
    beside the input as ``<stem>.conformed[.<lang>].<ext>`` (a language tag stays last, where
    players and ``mux`` read it)."""
    path = Path(path)
    if output is not None:
        return Path(output)
    if outdir is not None:
        return Path(outdir) / path.name
    parts = path.name.split(".")
    if languages.from_sidecar(path)[0] is not None:
        at = len(parts) - 2  # the language is the last part before the flags and the extension
        while parts[at].lower() in languages.SIDECAR_FLAGS:
            at -= 1
        return path.with_name(".".join([*parts[:at], "conformed", *parts[at:]]))
    return path.with_name(f"{path.stem}.conformed{path.suffix}")


def save(conformed: Conformed, target: Path, *, force: bool) -> Path:
    """Write the conformed file atomically, in the format its name says (SRT, WebVTT, ASS/SSA)."""
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in {"srt", "vtt", "ass", "ssa"}:
        raise UsageError(f"cannot write '{target.suffix}' subtitles", path=target, hint="Name the output .srt, .vtt, .ass or .ssa")
    ssa = conformed.ssa
    if fmt in {"srt", "vtt"}:
        ssa = pysubs2.SSAFile()
        ssa.styles = conformed.ssa.styles
        ssa.events = [e.copy() for e in conformed.ssa.events]
        for e in ssa.events:
            e.text = _markup(e.text, ssa.styles.get(e.style, pysubs2.SSAStyle.DEFAULT_STYLE), ssa.styles, fmt)
    with atomic_path(target, force=force) as tmp:
        if fmt in {"srt", "vtt"}:
            ssa.save(str(tmp), format_=fmt, encoding="utf-8", keep_ssa_tags=True)  # the text as _markup made it
        else:
            ssa.save(str(tmp), format_=fmt, encoding="utf-8")
    return target


def _markup(text: str, style: pysubs2.SSAStyle, styles: dict[str, pysubs2.SSAStyle], fmt: str) -> str:
    """An event's text in the markup SRT and WebVTT carry: ``<i>``, ``<b>``, ``<u>`` (and
    ``<s>`` in SRT) around the words they cover; in SRT, the cue's position as ``{\\anN}`` at its
    start, which players and ffmpeg read (``unkept`` names what WebVTT loses)."""
    pos = _POSITION.search(text)
    out = f"{{\\an{pos.group(1)}}}" if pos and fmt == "srt" and pos.group(1) != "2" else ""
    tags = ("i", "b", "u", "s") if fmt == "srt" else ("i", "b", "u")
    for fragment, sty in parse_tags(text, style, styles):
        piece = fragment.replace("\\h", " ").replace("\\n", "\\N")
        if fmt == "vtt":
            piece = piece.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for tag, on in zip(("i", "b", "u", "s"), (sty.italic, sty.bold, sty.underline, sty.strikeout), strict=True):
            if on and tag in tags and piece.strip():
                piece = f"<{tag}>{piece}</{tag}>"
        out += piece
    return out


_BLOCK_TIME = re.compile(r"\s*((?:\d+:)?\d{1,2}:\d{1,2}[.,]\d{1,3})\s*-->\s*\S+(.*)")
# The override tags SRT and WebVTT carry (``_markup``): italic, bold, underline, strike-out, SRT's position.
_KEPT_TAGS = {"srt": r"\\(?:an[1-9]|[ibus][01]?)(?![a-z])", "vtt": r"\\[ibu][01]?(?![a-z])"}
_HTML_TAG = re.compile(r"<(/?)([A-Za-z]+)([^>]*)>|<\d[\d:.]*>")


def unkept(doc: SubtitleDoc, fmt: str) -> list[str]:
    """One line per input cue naming what its file had that the conformed file in ``fmt`` does
    not carry (the words are kept, see ``save``): a WebVTT cue's identifier, settings, voices,
    classes and inline times; SRT's ``<font>``; override tags other than the position; the
    position itself in WebVTT. Read from the file as written, as ``mux`` hands it to ffmpeg."""
    raw = _raw_cues(doc)
    kept = {"i", "b", "u", "s"} if fmt != "vtt" else {"i", "b", "u"}
    out: list[str] = []
    used: set[int] = set()
    for n, e in enumerate(doc.ssa.events, 1):
        k = next((k for k, (start, *_rest) in enumerate(raw) if start == e.start and k not in used), None)
        if k is None:
            continue
        used.add(k)
        _start, ident, settings, body = raw[k]
        lost = [f"cue identifier '{ident}'"] if ident and fmt != "ass" else []
        lost += [f"cue settings '{settings}'"] if settings else []
        for m in _HTML_TAG.finditer(body):
            if not m.group(2):
                lost.append(f"inline time {m.group(0)}")
            elif not m.group(1) and m.group(2).lower() not in kept:
                lost.append(m.group(0))
        for m in _TAG.finditer(body if fmt != "ass" else ""):  # ASS keeps every override tag
            rest = re.sub(_KEPT_TAGS[fmt], "", m.group(0))
            if rest.strip("{} ") and not rest.startswith("{ "):
                lost.append(rest)
        if lost:
            out.append(f"cue {n}: not kept in {fmt.upper()}: {', '.join(dict.fromkeys(lost))}")
    return out


def _raw_cues(doc: SubtitleDoc) -> list[tuple[int, str, str, str]]:
    """(start in ms, identifier, settings, text) of each cue block of an SRT or WebVTT file as
    written; nothing for other formats or a file that cannot be read again."""
    if doc.format in ("ass", "ssa"):
        return [(e.start, "", "", e.text) for e in doc.ssa.events]
    text = doc.source if doc.format == "vtt" else None
    if doc.format == "srt":
        try:
            text = Path(doc.path).read_bytes().decode(doc.encoding, errors="replace").replace("\r\n", "\n").lstrip("\ufeff")
        except (OSError, LookupError):
            return []
    if text is None:
        return []
    out = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.strip("\n").split("\n")
        at = next((i for i, line in enumerate(lines) if "-->" in line), None)
        m = _BLOCK_TIME.match(lines[at]) if at is not None else None
        if at is None or m is None:
            continue
        ident = lines[at - 1].strip() if at and doc.format == "vtt" else ""
        *hms, ms = re.split(r"[:.,]", m.group(1))
        start = sum(int(v) * f for v, f in zip(reversed(hms), (1000, 60_000, 3_600_000), strict=False)) + int(ms.ljust(3, "0"))
        out.append((start, ident, m.group(2).strip(), "\n".join(lines[at + 1:])))
    return out
