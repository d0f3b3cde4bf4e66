"""Languages of subtitle streams: the language each track is in, the one being spoken, and the
three-letter code each container keeps for it.

Results carry BCP 47 / ISO 639-1 tags (``fr``, ``pt-BR``); the container's own code is a separate
value. Matroska and WebM (a Matroska profile: the same Language element) take the bibliographic
ISO 639-2 codes (``fre``, ``ger``); MP4 the terminology ones (``fra``, ``deu``). ffmpeg's MOV
muxer keeps only the codes of its QuickTime language table (a mix: 'fra', 'ger', 'chi') and drops
others silently, so which forms it keeps is asked of the installed ffmpeg itself (``mov_keeps``).
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path

from .. import languages
from ..errors import LanguageError
from ..models import MediaInfo, Stream, SubtitleTrack
from .ffmpeg import file_arg, run_ffmpeg, run_ffprobe


def track_languages(tracks: list[SubtitleTrack], allow_und: bool) -> list[str | None]:
    """Each track's normalized language; None for one without a language when ``allow_und``,
    else ``LanguageError`` naming the file."""
    langs: list[str | None] = []
    for t in tracks:
        if t.language:
            langs.append(languages.normalize(t.language))
        elif allow_und:
            langs.append(None)
        else:
            raise LanguageError("has no known language (none after ':' and none in the file name)", path=t.path,
                                hint="Add it as SUB:LANG (e.g. talk.srt:fr), name it like talk.fr.srt, or pass --allow-und")
    return langs


def match_language(want: str, candidates: list[str | None]) -> int | None:
    """Index of the first candidate in language ``want``: exact tag first, then same base language."""
    norm = languages.normalize(want)
    for i, c in enumerate(candidates):
        if c is not None and c == norm:
            return i
    for i, c in enumerate(candidates):
        if c is not None and languages.base(c) == languages.base(norm):
            return i
    return None


def same_language(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and languages.base(a) == languages.base(b)


def existing_language(stream: Stream) -> str | None:
    """The language of a stream the input already has (None for ``und`` or an unknown code)."""
    code = stream.language
    if not code or code.lower() == "und" or not languages.is_known(code):
        return None
    return languages.normalize(code)


def audio_language(info: MediaInfo, spoken: str | None) -> str | None:
    """The language being spoken: what the transcription found, else the audio stream's tag."""
    if spoken and languages.is_known(spoken):
        return languages.normalize(spoken)
    audio = info.audio_streams
    stream = next((s for s in audio if s.default), audio[0] if audio else None)
    return existing_language(stream) if stream is not None else None


@functools.lru_cache(maxsize=64)
def mov_keeps(codes: tuple[str, ...]) -> frozenset[str]:
    """Which of ``codes`` ffmpeg's MOV muxer keeps, asked of ffmpeg itself with a throwaway file,
    so the answer matches the installed version."""
    if not codes:
        return frozenset()
    with tempfile.TemporaryDirectory(prefix="subtool-mov-") as tmp:
        srt = Path(tmp) / "probe.srt"
        srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nx\n", encoding="utf-8")
        out = Path(tmp) / "probe.mov"
        args = ["-y", "-i", file_arg(srt)]
        for i, code in enumerate(codes):
            args += ["-map", "0:0", f"-metadata:s:s:{i}", f"language={code}"]
        args += ["-c:s", "mov_text", "-f", "mov", file_arg(out)]
        run_ffmpeg(args, what="ffmpeg (MOV language check)")
        res = run_ffprobe(["-v", "error", "-show_entries", "stream=index:stream_tags=language", "-of", "csv=p=0", file_arg(out)])
    kept = set()
    for line in res.stdout.splitlines():
        index, _, lang = line.strip().partition(",")
        if index.isdigit() and int(index) < len(codes) and lang == codes[int(index)]:
            kept.add(lang)
    return frozenset(kept)


def container_codes(langs: list[str], container: str, warn: Callable[[str], None]) -> dict[str, str]:
    """Three-letter tag per language for ``container`` (``und`` for one MOV cannot tag, said)."""
    out: dict[str, str] = {}
    if container != "mov":
        # WebM is a Matroska profile: same Language element, same (bibliographic) codes.
        for lang in langs:
            out[lang] = languages.container_code(lang, "mkv" if container == "webm" else container)
        return out
    candidates = {lang: [languages.alpha3(lang, variant="T"), languages.alpha3(lang, variant="B")] for lang in langs}
    kept = mov_keeps(tuple(sorted({c for cs in candidates.values() for c in cs})))
    for lang, forms in candidates.items():
        good = [c for c in forms if c in kept]
        if good:
            out[lang] = good[0]
        else:
            warn(f"MOV cannot tag language '{lang}' (not in QuickTime's language table); the track is tagged 'und'; use .mkv or .mp4 to keep it")
            out[lang] = "und"
    return out
