"""Other people's subtitle files made to meet a profile, their words untouched (``subtool conform``).

Only breaks and times change, never the text: each cue's words (styling tags kept with the word
they are attached to, and never counted as characters) become tokens timed across the cue in
proportion to their characters, and the file goes through the builder's own steps:

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
    for cue, (a, _b) in zip(cues, owners, strict=True):
        source = events[layout.groups[a][0].utt]
        event = source.copy()
        event.start, event.end = round(cue.start * 1000), round(cue.end * 1000)
        event.text = "\\N".join(cue.lines)
        out.events.append(event)
    changes = _changes(events, cues, owners, layout)
    return Conformed(out, changes, len(events), len(cues))


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
    if fmt == "vtt":
        ssa = pysubs2.SSAFile()
        ssa.events = [e.copy() for e in conformed.ssa.events]
        for e in ssa.events:
            e.text = e.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    with atomic_path(target, force=force) as tmp:
        ssa.save(str(tmp), format_=fmt, encoding="utf-8")
    return target
