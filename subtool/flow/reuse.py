"""Reuse before paying (``--reuse``, on by default): a wanted language found already made is
taken as it is, and only the languages still missing go to the engine.

The plan stage asks ``find`` for each wanted language (the spoken one when ``-l`` gives it alone,
each ``-t`` target), in order: a text subtitle track of the input (not a forced one, which holds
only the foreign parts; not an image track), a sidecar ``<stem>.<lang>.(srt|vtt|ass)`` beside the
input, or a file yt-dlp downloaded for it (the platform's own subtitles; its machine captions only
with ``--reuse-auto``); a file is taken only when it reads as subtitles with at least one cue, and
never when an earlier subtool run wrote it (the language is in the ``<stem>.transcript.json``
beside it: a rerun with other options makes its own outputs again, from the cache, rather than
delivering the old ones). The plan then keeps only the missing targets in ``options.translate``;
with nothing missing no job is made (``Plan.transcribes``). The write stage calls ``include``:
each reused language becomes ``<stem>.<lang>.<fmt>`` in every format asked for, its cues
unchanged (a track copied out by ffmpeg, a file copied, or converted by pysubs2 when the format
differs; a sidecar that already is that file is left alone), and the tracks say where they came
from (``SubtitleTrack.origin``, ``reused_from``).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from .. import languages as langs
from ..errors import LanguageError
from ..models import Plan, Reused, SubtitleTrack, Transcript
from ..outputs import atomic_path

FORMATS = ("srt", "vtt", "ass")

Downloaded = tuple[str, str, bool]  # (language, file, machine captions): what yt-dlp wrote for the input


def wanted(languages: Sequence[str], translate: Sequence[str]) -> list[str]:
    """The languages a run writes that are known before it runs: the spoken one when given alone, the targets."""
    return list(dict.fromkeys([*([languages[0]] if len(languages) == 1 else []), *translate]))


def find(plan: Plan, downloaded: Sequence[Downloaded] = ()) -> tuple[Reused, ...]:
    """The wanted languages of ``plan`` found already made (see the module docstring); none for a
    URL before its download, or with ``--no-reuse``."""
    options, path = plan.options, plan.source.path
    if not options.reuse or (path is None and plan.source.remote is None):
        return ()
    found = []
    for lang in wanted(options.languages, options.translate):
        if path is not None:
            hit = _from_track(plan, lang) or _from_files(path, lang, downloaded, auto=options.reuse_auto)
        else:
            hit = _from_platform(plan, lang)
        if hit is not None:
            found.append(hit)
    return tuple(found)


def _from_platform(plan: Plan, lang: str) -> Reused | None:
    """The platform's own subtitles in ``lang`` (a URL's, downloaded by the fetch stage)."""
    from .. import sources

    for key, fmt, is_auto in sources.offered(plan.source.remote, auto=plan.options.reuse_auto).values():
        try:
            code = langs.normalize(key) if langs.is_known(key) else None
        except LanguageError:
            code = None
        if _same(code, lang):
            return Reused(lang, "platform", key, fmt, auto=is_auto)
    return None


def downloaded_platform(plan: Plan, folder: Path) -> Plan:
    """``plan`` with its platform subtitles downloaded into ``folder`` (the fetch stage's): each
    such ``Reused`` then names its file."""
    import dataclasses

    from .. import sources

    keys = {r.language: r.source for r in plan.reused if r.origin == "platform"}
    if not keys:
        return plan
    files = sources.download_subtitles(plan.source.remote, keys, folder, cookies=plan.cookies)
    reused = tuple(dataclasses.replace(r, source=str(files[r.language]), format=files[r.language].suffix.lstrip("."))
                   if r.origin == "platform" else r for r in plan.reused)
    return dataclasses.replace(plan, reused=reused)


def _same(found: str | None, want: str) -> bool:
    """``found`` serves ``want``: the same tag, or the same language when ``want`` names no region."""
    if found is None:
        return False
    return found == want or (langs.base(want) == want and langs.base(found) == want)


def _from_track(plan: Plan, lang: str) -> Reused | None:
    from ..media.extract import natural_format, stream_language

    info = plan.source.info
    if info is None:
        return None
    for stream in info.subtitle_streams:
        fmt = natural_format(stream)
        if fmt is None or stream.forced or not _same(stream_language(stream), lang):
            continue
        return Reused(lang, "track", plan.source.input, fmt, stream=stream.index, codec=stream.codec)
    return None


def _from_files(video: Path, lang: str, downloaded: Sequence[Downloaded], *, auto: bool) -> Reused | None:
    """A file beside ``video`` named ``<stem>.<code>.<fmt>`` whose code is ``lang`` (``talk.fr.srt``,
    ``talk.fre.srt``, ``Title [id].en-US.vtt``), the exact name first; yt-dlp's own downloads say
    whether they are machine captions."""
    by_file = {Path(f).resolve(): (code, is_auto) for code, f, is_auto in downloaded}
    candidates = []
    try:
        entries = sorted(video.parent.iterdir())
    except OSError:
        return None
    prefix = f"{video.stem}."
    for entry in entries:
        fmt = entry.suffix.lstrip(".").lower()
        if fmt not in FORMATS or not entry.name.startswith(prefix) or entry == video or not entry.is_file():
            continue
        middle = entry.name[len(prefix):-len(entry.suffix)]
        if "." in middle:  # talk.fr.forced.srt, talk.fr.conformed.srt: not the whole language
            continue
        try:
            code = langs.normalize(middle) if langs.is_known(middle) else None
        except LanguageError:
            code = None
        if not _same(code, lang):
            continue
        candidates.append((middle != lang, FORMATS.index(fmt), entry, fmt))
    seen = {c[2].resolve() for c in candidates}
    for code, file, _ in downloaded:  # yt-dlp may write them elsewhere (--paths subtitle:...)
        entry, fmt = Path(file), Path(file).suffix.lstrip(".").lower()
        if fmt in FORMATS and entry.resolve() not in seen and langs.is_known(code) and _same(langs.normalize(code), lang):
            candidates.append((True, FORMATS.index(fmt), entry, fmt))
    ours = _made_here(video)
    for _, _, entry, fmt in sorted(candidates):
        is_auto = by_file.get(entry.resolve(), (None, False))[1]
        if (is_auto and not auto) or (lang in ours and entry.resolve() not in by_file) or not _has_cues(entry):
            continue
        origin = "platform" if entry.resolve() in by_file else "sidecar"
        return Reused(lang, origin, str(entry), fmt, auto=is_auto)
    return None


def _made_here(video: Path) -> set[str]:
    """The languages an earlier subtool run wrote beside ``video`` (its ``<stem>.transcript.json``
    holds them). Those sidecars are subtool's own outputs, not someone else's work to reuse: a
    rerun with other options (``--cues``, ``--profile``, ``--force``) makes them again (from the
    cache: no job) rather than delivering the old ones, and without ``--force`` they are
    existing outputs it will not write over."""
    import json

    try:
        earlier = Transcript.from_dict(json.loads(video.with_name(f"{video.stem}.transcript.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # none, or not one of subtool's
        return set()
    return {langs.normalize(code) for code in [*earlier.all_languages(), *earlier.languages] if isinstance(code, str) and langs.is_known(code)}


def _has_cues(path: Path) -> bool:
    """Whether ``path`` reads as subtitles with at least one cue: a file of that name that is not
    (an empty file, notes) is not taken for the language; it stays an output the run will not
    write over without --force."""
    from ..errors import SubtitleReadError
    from ..subtitles import read_subtitles

    try:
        return bool(read_subtitles(path).ssa.events)
    except (SubtitleReadError, OSError):
        return False


def include(plan: Plan, *, force: bool) -> list[SubtitleTrack]:
    """Each reused language as ``<stem>.<lang>.<fmt>`` in every format asked for, cues unchanged."""
    tracks = []
    for r in plan.reused:
        for fmt in plan.options.formats:
            target = plan.stem.with_name(f"{plan.stem.name}.{r.language}.{fmt}")
            if r.origin == "sidecar" and Path(r.source).absolute() == target.absolute():
                pass  # the reused file is the output itself
            elif r.origin == "track":
                from ..media.extract import extract_stream

                info = plan.source.info
                assert info is not None and plan.source.path is not None
                [stream] = [s for s in info.streams if s.index == r.stream]
                extract_stream(plan.source.path, stream, target, fmt, force=force)
            elif fmt == r.format:
                with atomic_path(target, force=force) as tmp:
                    shutil.copyfile(r.source, tmp)
            else:
                from ..subtitles.convert import convert_file

                convert_file(Path(r.source), target, fmt, force=force)
            tracks.append(SubtitleTrack(str(target), r.language, origin=r.origin, reused_from=r.describe()))
    return tracks
