"""One review page for one video: the video with a track per language, a timeline per language
with one mark per cue coloured by its worst problem, the problems table, and the page's own facts.

Everything is decided before anything slow is done: the subtitle files are read and checked, the
page's name is checked (never overwritten without ``force``), and whether browsers play the media
(``media.proxy.choose``); only then is a proxy made (beside the page, ``<name>.proxy.mp4``) and the
page written, atomically. The timeline is laid out by the page's script from each mark's times
(percentages of the programme, so zooming changes one width, not thousands of marks); the marks,
the table and the facts are in the HTML itself, readable without the script.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import languages
from ..errors import UsageError
from ..media.ffmpeg import ProgressCallback
from ..media.probe import hms
from ..media.proxy import ProxyChoice, choose, make_proxy
from ..models import MediaInfo, PreviewResult, Profile, SubtitleTrack
from ..outputs import check_writable, write_text
from .render import asset, data_url, document, h, href, json_block, timestamp
from .tracks import NAMES, SEVERITY, PageCue, PageTrack, read_tracks

FACTS_ID = "subtool-facts"
FACTS_SCHEMA = "subtool.preview/1"


def page_path(stem: Path) -> Path:
    """The page of a run's outputs named ``stem`` (the side-file rule): ``<stem>.preview.html``."""
    return stem.with_name(f"{stem.name}.preview.html")


def proxy_path(page: Path) -> Path:
    """The proxy beside ``page``: ``talk.preview.html`` -> ``talk.proxy.mp4``."""
    name = page.name
    for suffix in (".preview.html", ".html", ".htm"):
        if name.lower().endswith(suffix):
            return page.with_name(f"{name[: -len(suffix)]}.proxy.mp4")
    return page.with_name(f"{name}.proxy.mp4")


@dataclass(frozen=True)
class PageMedia:
    """The media a page plays: a file (with its probe), or none (a URL the service fetched).
    ``lasts``: False for a download removed when the run ends, which gets a proxy whatever its
    format, so the page still plays tomorrow."""

    path: Path | None
    info: MediaInfo | None
    lasts: bool = True


@dataclass(frozen=True)
class PageFacts:
    """What the page says about how it was made."""

    title: str
    engine: str | None = None
    spoken: str | None = None
    burned: str | None = None  # the language burned into the video played: no soft track is shown over it at first


def write_page(
    page: Path,
    media: PageMedia,
    subtitles: Sequence[SubtitleTrack],
    profile: Profile,
    facts: PageFacts,
    *,
    encoding: str | None = None,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    on_warning: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> PreviewResult:
    """Read and check ``subtitles``, make a proxy when browsers cannot play ``media``, and write
    the page. Raises ``SubtitleReadError`` (a file that is not subtitles), ``UsageError`` (the
    page exists without ``force``; two files in one language), ``FFmpegError``."""
    if page.suffix.lower() not in (".html", ".htm"):
        raise UsageError("the page must be an .html file", path=page, hint="Name it e.g. talk.preview.html")
    tracks = read_tracks(subtitles, profile, spoken=facts.spoken, encoding=encoding)
    inputs = {Path(s.path).resolve() for s in subtitles} | ({media.path.resolve()} if media.path is not None else set())
    _not_an_input(page, inputs)
    check_writable(page, force=force)
    warnings = [w for t in tracks for w in t.warnings]
    played, proxy, why = media.path, None, None
    if media.path is not None and media.info is not None:
        choice = choose(media.info)
        if choice.kind == "none" and not media.lasts:
            choice = ProxyChoice("remux" if choice.video is None or choice.video.codec == "h264" else "encode",
                                  "the download is removed after the run", choice.video, choice.audio)
        if choice.kind != "none":
            proxy = _not_an_input(proxy_path(page), inputs)
            check_writable(proxy, force=force)
            make_proxy(media.path, proxy, choice, duration=media.info.duration, force=force, on_progress=on_progress, cancel=cancel)
            played, why = proxy, choice.reason
    duration = media.info.duration if media.info is not None else None
    warnings += _late_cues(tracks, duration)
    for line in warnings:
        if on_warning is not None:
            on_warning(line)
    result = PreviewResult(page=str(page), video=str(played) if played else None, proxy=str(proxy) if proxy else None, duration=duration,
                           profile=profile.name, tracks=[t.summary for t in tracks], warnings=warnings)
    html = render_page(page.parent, result, tracks, profile, facts, media=media.path, why=why)
    write_text(page, html, force=force)
    return result


def _not_an_input(output: Path, inputs: set[Path]) -> Path:
    if output.resolve() in inputs:
        raise UsageError("would replace an input of the page", path=output, hint="Choose another page name with -o")
    return output


def _late_cues(tracks: Sequence[PageTrack], duration: float | None) -> list[str]:
    """Cues that start after the video ends (subtitles of another cut, or another frame rate)."""
    if not duration:
        return []
    out = []
    for t in tracks:
        late = [c for c in t.cues if c.start >= duration]
        if late:
            out.append(f"{t.summary.path}: {len(late)} cues start after the video ends ({timestamp(duration)}), "
                       f"the first at {timestamp(late[0].start)}")
    return out


def render_page(folder: Path, result: PreviewResult, tracks: Sequence[PageTrack], profile: Profile, facts: PageFacts, *,
                media: Path | None, why: str | None) -> str:
    """The page's HTML (links relative to ``folder``)."""
    extent = max([result.duration or 0.0, *(t.end for t in tracks), 1.0])
    total = result.problems
    cues = sum(t.summary.cues for t in tracks)
    header = (f"<header><h1>{h(facts.title)}</h1><p class=\"sub\">{total} problem(s) in {cues} cues, "
              f"{len(tracks)} language(s), profile {h(profile.name)}</p></header>")
    body = "\n".join([
        header, "<main>", _player(folder, result, tracks, facts.burned), _timeline(tracks, extent), _problems(tracks),
        _facts(folder, result, tracks, profile, facts, media=media, why=why), "</main>",
        json_block(FACTS_ID, _facts_data(result, facts)),
    ])
    return document(title=f"{facts.title}: preview", body=body, style=asset("style.css"), script=asset("page.js"), media=True)


def _player(folder: Path, result: PreviewResult, tracks: Sequence[PageTrack], burned: str | None) -> str:
    """The video and its tracks: the first is shown (``default``) unless subtitles are burned into
    the picture, where any soft track would be drawn over them (the page's script starts on Off)."""
    items = []
    for i, t in enumerate(tracks):
        lang = f' srclang="{h(t.summary.language)}"' if t.summary.language else ""
        default = " default" if i == 0 and burned is None else ""
        items.append(f'<track kind="subtitles"{lang} label="{h(t.summary.label)}" src="{data_url("text/vtt", t.vtt)}"{default}>')
    if result.video is not None:
        start = ' data-burned="1"' if burned is not None else ""
        video = f'<video id="video"{start} controls preload="auto" src="{h(href(result.video, folder))}">{"".join(items)}</video>'
    else:
        video = '<div class="nomedia">No local media: the service fetched the URL itself, so there is no video to play here.</div>'
    buttons = [f'<button type="button" data-show="{i}" aria-pressed="false">{h(t.summary.label)}'
               f'{" (" + h(t.summary.language) + ")" if t.summary.language else ""}</button>' for i, t in enumerate(tracks)]
    buttons.append('<button type="button" data-show="-1" aria-pressed="false">Off</button>')
    return f'<section class="player">{video}<nav class="langs" aria-label="Subtitles">{"".join(buttons)}</nav></section>'


def _mark(c: PageCue) -> str:
    codes = c.codes
    classes = " ".join(["m", *([f"w-{codes[0]}"] if codes else []), *(f"p-{code}" for code in codes)])
    said = "; ".join(f"{NAMES.get(v.code, v.code)}: {v.message}" for v in c.problems) or "ok"
    tip = f"#{c.index} {timestamp(c.start)} \u2192 {timestamp(c.end)}: {said}\n{c.text[:200]}"
    return f'<span class="{classes}" data-c="{c.index}" data-s="{c.start:.3f}" data-e="{c.end:.3f}" title="{h(tip)}"></span>'


def _timeline(tracks: Sequence[PageTrack], extent: float) -> str:
    lanes = []
    for i, t in enumerate(tracks):
        name = f"{t.summary.label}" + (f" ({t.summary.language})" if t.summary.language else "")
        marks = "".join(_mark(c) for c in t.cues)
        lanes.append(f'<div class="lane" data-t="{i}" data-lang="{h(t.summary.language or "")}">'
                     f'<span class="lane-label">{h(name)}: {t.summary.cues} cues, {t.summary.total} problem(s)</span>'
                     f'<div class="marks">{marks}</div></div>')
    legend = "".join(f'<span class="k-{code}">{h(NAMES[code])}</span>' for code in SEVERITY)
    zoom = ('<label class="zoom">Zoom <input id="zoom" type="range" min="0" max="40" step="1" value="0" '
            'aria-label="Pixels per second (0: the whole programme)"></label>')
    return (f'<section class="timeline"><h2>Timeline</h2>{zoom}<div class="tl-scroll"><div class="tl-inner" data-extent="{extent:.3f}">'
            f'<div class="playhead"></div>{"".join(lanes)}</div></div>'
            f'<div class="legend"><span class="k-ok">meets the profile</span>{legend}</div></section>')


def _problems(tracks: Sequence[PageTrack]) -> str:
    rows = []
    for i, t in enumerate(tracks):
        lang = h(t.summary.language or t.summary.label)
        for v in t.bad_blocks:
            rows.append(f'<tr><td>{lang}</td><td class="num">line {v.line}</td><td></td><td></td><td class="text"></td>'
                        f'<td><span class="rule k-bad_block">bad_block</span> {h(v.message)}</td></tr>')
        for c in t.cues:
            for v in c.problems:
                rows.append(f'<tr class="p-{v.code}" data-t="{i}" data-c="{c.index}" data-s="{c.start:.3f}"><td>{lang}</td>'
                            f'<td class="num">{c.index}</td><td>{timestamp(c.start)}</td><td>{timestamp(c.end)}</td>'
                            f'<td class="text">{h(c.text)}</td><td><span class="rule k-{v.code}">{h(v.code)}</span> {h(v.message)}</td></tr>')
    if not rows:
        return '<section class="problems"><h2>Problems</h2><p>Every cue meets the profile.</p></section>'
    head = "<tr><th>language</th><th>cue</th><th>start</th><th>end</th><th>text</th><th>rule broken</th></tr>"
    return (f'<section class="problems"><h2>Problems ({len(rows)})</h2>'
            f'<table id="problems"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></section>')


def _facts(folder: Path, result: PreviewResult, tracks: Sequence[PageTrack], profile: Profile, facts: PageFacts, *,
           media: Path | None, why: str | None) -> str:
    rows: list[tuple[str, str]] = []
    if media is not None:
        rows.append(("video", f'<a href="{h(href(media, folder))}">{h(media.name)}</a>, {hms(result.duration)}'))
    if result.proxy is not None:
        rows.append(("plays", f'<a href="{h(href(result.proxy, folder))}">{h(Path(result.proxy).name)}</a> ({h(why or "")})'))
    langs = ", ".join(f"{t.summary.label} ({t.summary.language or 'unknown'}{', spoken' if facts.spoken and t.summary.language == facts.spoken else ''})"
                      for t in tracks)
    rows.append(("languages", h(langs or "none")))
    if facts.burned is not None:
        rows.append(("burned in", h(f"{languages.native_name(facts.burned)} ({facts.burned}): in the picture; no soft track is shown at first")))
    for t in tracks:
        s = t.summary
        probs = ", ".join(f"{n} {NAMES.get(code, code)}" for code, n in s.problems.items()) or "none"
        notes = f"; read: {'; '.join(s.notes)}" if s.notes else ""
        rows.append((f"subtitles ({s.language or '?'})",
                     f'<a href="{h(href(s.path, folder))}">{h(Path(s.path).name)}</a>: {s.format}, {s.cues} cues, '
                     f'problems: {h(probs)}{h(notes)}'))
    rows.append(("engine", h(facts.engine or "not known (subtitle files given)")))
    limits = (f"{profile.max_chars_per_line} characters x {profile.max_lines} lines, {profile.max_cps:g} characters/s, "
              f"{profile.min_duration:.2f}-{profile.max_duration:g} s on screen")
    rows.append(("profile", f"{h(profile.name)}: {h(limits)}"))
    rows.append(("made", h(f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')} by subtool {_version()}")))
    rows += [("warning", f'<span class="warn">{h(w)}</span>') for w in result.warnings]
    items = "".join(f"<dt>{h(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<section class="facts"><h2>This page</h2><dl>{items}</dl></section>'


def _facts_data(result: PreviewResult, facts: PageFacts) -> dict[str, object]:
    """The page's facts for programs (the batch index reads them back)."""
    return {"schema": FACTS_SCHEMA, "title": facts.title, "engine": facts.engine, "spoken": facts.spoken, "burned": facts.burned,
            **result.to_dict()}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("subtool")
    except PackageNotFoundError:
        return "(not installed)"
