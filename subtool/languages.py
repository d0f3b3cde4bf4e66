"""Language codes on langcodes: ISO 639-1 for names and the service, ISO 639-2 for containers.

No hand-written tables: langcodes (with language-data) knows the codes, the bibliographic and
terminologic three-letter forms, and every language's own name.

A sidecar's name carries its language between the stem and the extension (``from_sidecar``):
``talk.fr.srt``, ``talk.pt-BR.srt`` as yt-dlp and most tools write a region, and also
``talk.pt.BR.srt`` / ``talk.pt.br.srt`` (Plex, Kodi and subtitle downloaders write the region
as a part of its own). A two-letter part right after a two-letter language is read as that
language's region when it names a country: ``clip.pt.br.srt`` is Brazilian Portuguese, not
Breton (``br`` alone is Breton), ``talk.fr.ca.srt`` Canadian French. ``FILE:LANG`` says
otherwise.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .errors import LanguageError, SubtoolError

# Words that follow the language in sidecar names (talk.fr.forced.srt, talk.en.sdh.srt).
SIDECAR_FLAGS = {"forced", "sdh", "cc", "hi", "default", "full", "signs"}


@functools.lru_cache(maxsize=512)
def _language(code: str):  # type: ignore[no-untyped-def]
    import langcodes
    from langcodes.tag_parser import LanguageTagError

    try:
        lang = langcodes.Language.get(code.strip().replace("_", "-"))
    except (ValueError, LanguageTagError):
        return None
    if not lang.language or not lang.is_valid() or lang.language == "und":
        return None
    return lang


def is_known(code: str) -> bool:
    lang = _language(code)
    return lang is not None and _has_name(lang)


def _has_name(lang) -> bool:  # type: ignore[no-untyped-def]
    return not _names(str(lang))[0].lower().startswith("unknown language")


_NAME_CACHE: dict[str, list[str]] | None = None


def _name_cache_path() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("subtool")) / "language-names.json"


@functools.lru_cache(maxsize=512)
def _names(tag: str) -> tuple[str, str]:
    """(English name, the language's own name) of a valid tag.

    Loading langcodes' name tables takes about 0.1 s, more than a whole mux's own work; the few
    names a user's languages need are kept in the cache folder, so only the first run pays.
    """
    global _NAME_CACHE
    import json

    if _NAME_CACHE is None:
        try:
            _NAME_CACHE = json.loads(_name_cache_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _NAME_CACHE = {}
    found = _NAME_CACHE.get(tag)
    if isinstance(found, list) and len(found) == 2:
        return found[0], found[1]
    import langcodes

    lang = langcodes.Language.get(tag)
    names = [str(lang.display_name()), str(lang.autonym())]
    _NAME_CACHE[tag] = names
    try:
        from .outputs import write_text

        write_text(_name_cache_path(), json.dumps(_NAME_CACHE, ensure_ascii=False, sort_keys=True), force=True)
    except (OSError, SubtoolError):  # a full disk or a folder that cannot be made is said as SubtoolError
        pass  # a read-only cache folder only costs the next run the same 0.1 s
    return names[0], names[1]


def normalize(code: str, *, what: str = "language") -> str:
    """A user's code (``fr``, ``fra``, ``fre``, ``pt-BR``, ``pt_br``) -> the canonical tag with an
    ISO 639-1 base where one exists (``fr``, ``pt-BR``). Unknown codes raise ``LanguageError``."""
    lang = _language(code)
    if lang is None or not _has_name(lang):
        named = code_named(code)
        guess = f"Did you mean {named} ({english_name(named)})? " if named else ""
        raise LanguageError(f"unknown {what} code '{code}'", hint=f"{guess}Use an ISO 639-1 code such as en, fr, es, pt-BR")
    return str(lang.simplify_script())


def code_named(name: str) -> str | None:
    """The code of the language called ``name`` in English or in its own tongue, as langcodes
    knows the names (``english`` -> ``en``, ``Français`` -> ``fr``, ``brazilian portuguese`` ->
    ``pt-BR``); None when no language has that name. For a hint: a name is never taken as a code."""
    import langcodes

    text = name.strip()
    if len(text) < 3:
        return None
    try:
        found = langcodes.find(text)
    except LookupError:
        return None
    return str(found.simplify_script()) if found.language and _has_name(found) else None


def base(code: str) -> str:
    """The ISO 639-1 (or shortest) language subtag: ``pt-BR`` -> ``pt``."""
    lang = _language(code)
    if lang is None:
        raise LanguageError(f"unknown language code '{code}'")
    return str(lang.language)


def other_script(code: str) -> tuple[str, str] | None:
    """(the script ``code`` asks for, the script its language is usually written in) by name when
    they differ (``zh-Hant``, ``zh-TW``: Traditional, not Simplified; ``sr-Latn``: Latin, not
    Cyrillic); None when ``code`` asks for the usual one (``zh-Hans``, ``pt-BR``, ``sr``)."""
    lang = _language(code)
    if lang is None:
        return None
    asked, usual = lang.maximize(), type(lang).get(str(lang.language)).maximize()
    if asked.script == usual.script:
        return None
    return str(asked.script_name()), str(usual.script_name())


def region_name(code: str) -> str | None:
    """The region ``code`` names (``pt-BR`` -> Brazil, ``es-419`` -> Latin America), else None."""
    lang = _language(code)
    return str(lang.territory_name()) if lang is not None and lang.territory else None


def alpha3(code: str, *, variant: str = "T") -> str:
    """ISO 639-2 three-letter code: terminologic (``fra``, ``deu``) or bibliographic (``fre``, ``ger``)."""
    lang = _language(code)
    if lang is None:
        raise LanguageError(f"unknown language code '{code}'")
    return str(lang.to_alpha3(variant=variant))


def container_code(code: str, container: str) -> str:
    """The three-letter tag a container should carry.

    MP4 and WebM take the terminologic form (what yt-dlp writes; ISO BMFF uses /T); Matroska's
    legacy Language element is specified with the bibliographic form. MOV is handled by the muxer,
    which must check its QuickTime table.
    """
    variant = "B" if container.lower() in {"mkv", "matroska"} else "T"
    return alpha3(code, variant=variant)


def native_name(code: str) -> str:
    """The language's own name, capitalised for a track title: ``Français``, ``English``."""
    lang = _language(code)
    if lang is None:
        return code
    name = _names(str(lang))[1]
    return name[:1].upper() + name[1:]


def english_name(code: str) -> str:
    lang = _language(code)
    return _names(str(lang))[0] if lang is not None else code


def from_sidecar(path: str | Path) -> tuple[str | None, bool]:
    """The language (and forced flag) a sidecar's name carries: ``talk.pt-BR.srt`` -> ("pt-BR",
    False); ``talk.fr.forced.srt`` -> ("fr", True); ``talk.srt`` -> (None, False)."""
    parts = Path(path).name.split(".")[1:-1]  # between the stem and the extension
    forced = False
    for at in range(len(parts) - 1, -1, -1):
        part = parts[at]
        low = part.lower()
        if low in SIDECAR_FLAGS:
            forced = forced or low == "forced"
            continue
        if _sidecar_language(part):
            region = _region_of(parts[at - 1], part) if at > 0 else None
            return region or normalize(part), forced
        break
    return None, forced


def _region_of(language: str, part: str) -> str | None:
    """``pt-BR`` for the parts ``pt`` and ``br`` of ``clip.pt.br.srt``: a two-letter language then a
    two-letter country; None otherwise."""
    if not (len(language) == 2 and len(part) == 2 and language.isalpha() and part.isalpha() and _sidecar_language(language)):
        return None
    import langcodes

    if langcodes.Language.get("und-" + part.upper()).territory_name().startswith("Unknown"):
        return None
    return normalize(f"{language}-{part.upper()}")


def _sidecar_language(part: str) -> bool:
    """Whether a dotted part of a file name is a language tag as players and yt-dlp write them:
    an ISO 639-1 code (``fr``, ``pt-BR``), or the ISO 639-2 form of one (``fre``, ``fra``). Other
    three-letter codes (ISO 639-3) are refused: they are mostly words (``new`` is Newari, ``one``
    Oneida, ``end``, ``old``), and a wrong language is worse than asking for ``:LANG``."""
    if not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", part) or not is_known(part):
        return False
    primary = re.split(r"[-_]", part)[0].lower()
    if len(primary) == 2:
        return True
    lang = _language(part)
    return len(str(lang.language)) == 2 and primary in {str(lang.to_alpha3(variant="T")), str(lang.to_alpha3(variant="B"))}


def is_cjk(code: str) -> bool:
    """Scripts read per character rather than per word (reading speed counts differ)."""
    return base(code) in {"zh", "ja", "ko"} if _language(code) else False


def is_rtl(code: str) -> bool:
    lang = _language(code)
    if lang is None:
        return False
    script = lang.maximize().script
    return script in {"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm"}
