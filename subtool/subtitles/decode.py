"""From a subtitle file's bytes to its text: byte order marks, UTF-8, ``--encoding``, or a legacy
code page chosen by its letters.

A file that is not UTF-8 is read in the legacy code page whose letters one writing system
explains best (charset-normalizer proposes the code pages and scores their "chaos"; its choice,
with a preference for cp1252, read a Croatian cp1250 file as "Neæe" in 354 of 1,132 cues). When
another code page fits about as well, the file says so, naming both and ``--encoding``. Measured
on 520 generated files (20 languages, 12 code pages, 1-8 cues each): 167 were misread without a
word before, none now; 97 carry that warning, all of them of 1-3 cues.

A UTF-8 file with a few bytes that are not (a cue pasted from a cp1252 file) stays UTF-8: only
those bytes are read in a legacy code page (the file's language's first, else the one whose
letters fit), and a warning names the lines. Read whole as a legacy code page it came out as Thai
("dรฉjร"), the warning suggesting cp932. It is taken for UTF-8 when its UTF-8 letters beyond
ASCII take at least as many bytes as the stray ones: a legacy file's bytes seldom make UTF-8
(Ukrainian "Зі" in cp1251 does, beside dozens that do not). Its ``encoding`` says both
(``utf-8+cp1252``; ``as_text`` reads the bytes that way).

A file that declares its language (``talk.hr.srt``, ``FILE:LANG``) is read in that language's
code pages first (``codepages.json``: hr is cp1250 then iso8859-2; ru cp1251, KOI8-R, cp866...),
the one whose letters are all the language's: a one-line Croatian cp1250 file had come out as
cp1252 "Neæe", a Hebrew cp1255 one as cp1251, a Russian KOI8-R one as cp1255. The general guess
runs when none of them fits, or to choose between two that do. Measured on 17 one-to-three-cue files of 13 languages in 12
code pages (tests/test_subtitle_inputs.py's DECLARED): 7 were misread before (10 with a
warning naming another code page), none now, none with a warning.

Which writing system a reading's letters belong to is ``letters``' concern (with the alphabets,
``alphabets.json``); each language's code pages are data too (``codepages.json``).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

from ..errors import SubtitleReadError, UsageError
from .letters import MIXED_WORD, NON_ASCII, SYMBOL_RUN, case_turns, letters_and_odd, system_misses, writing_system_fit

_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"RIFF", b"OggS", b"fLaC", b"ID3", b"\x00\x00\x01\xba", b"GIF8", b"\x89PNG", b"%PDF", b"PK\x03\x04")


_DOUBLE_BYTE = {"big5", "big5hkscs", "gb2312", "gbk", "gb18030", "hz", "shift_jis", "shift_jis_2004", "shift_jisx0213",
                "cp932", "euc_jp", "euc_jis_2004", "euc_jisx0213", "euc_kr", "cp949", "johab", "cp950", "iso2022_jp", "iso2022_kr"}

# Byte order marks, longest first: a UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))

_SAMPLE = 300_000  # characters weighed per reading: a 2-hour film's subtitles are about 60,000
_MAX_STRAY = 64  # runs of bytes that are not UTF-8 a UTF-8 file may have (each read in a legacy code page)
CHAOS_MARGIN = 0.08  # how much more "chaos" (charset-normalizer's mess score) a code page may show and still be weighed


@functools.cache
def _code_pages() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """(code pages, writing systems) of each language (``codepages.json``, shipped in the package;
    the writing systems are entries of ``alphabets.json`` or scripts of ``letters``)."""
    data = json.loads(resources.files(__package__ or __name__).joinpath("codepages.json").read_text(encoding="utf-8"))
    return {str(lang): (tuple(entry["code_pages"]), tuple(entry["letters"])) for lang, entry in data["languages"].items()}


# The code pages legacy subtitle files were written in, weighed first (in this order on equal
# evidence): the Windows ones subtitle tools wrote by far the most, then the ISO and KOI8 ones of
# Unix tools, then the East Asian double-byte ones. Other code pages only when none of these fits.
_LEGACY = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp874",
           "iso8859_1", "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_9", "iso8859_15", "koi8_r", "koi8_u",
           "cp932", "shift_jis", "euc_jp", "euc_jis_2004", "cp949", "euc_kr", "gb18030", "big5", "big5hkscs", "cp950")
_KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa]")


def check_encoding(encoding: str) -> str:
    """The codec name for ``encoding`` (``--encoding``); UsageError when Python has no such text codec."""
    import codecs

    try:
        name = codecs.lookup(encoding).name
        "".encode(encoding)  # refuses codecs that are not text encodings (base64, rot13...)
    except LookupError:
        raise UsageError(f"unknown encoding '{encoding}'",
                         hint="Name a text encoding Python knows, such as cp1250, cp1252, iso8859-2, shift_jis, euc_jp, utf-16") from None
    return name


@dataclass
class _Reading:
    encoding: str
    text: str
    chaos: float  # charset-normalizer's mess score of the reading
    coherence: float  # how well the reading's letter frequencies match a language charset-normalizer knows
    unexplained: int  # letters no single writing system accounts for
    system: str  # the one writing system that accounts for the most letters ("" when several do)


def _first_difference(a: str, b: str) -> tuple[str, str]:
    """The first word two readings of the same bytes spell differently."""
    for x, y in zip(a.split(), b.split(), strict=False):
        if x != y:
            return x[:24], y[:24]
    return "", ""


def decode(data: bytes, path: str, forced: str | None = None, language: str | None = None) -> tuple[str, str, list[str], list[str]]:
    """(text, encoding, notes, warnings): ``warnings`` is what a delivery made from the file must
    say (a guessed code page that another fits as well). ``forced`` is ``--encoding``;
    ``language`` the file's declared language (its name's ``.hr.`` or ``FILE:LANG``), whose code
    pages are weighed first."""
    marked = _by_byte_order_mark(data, path, forced)
    if marked is not None:
        return marked
    head = data[:4096]
    if data[4:8] == b"ftyp" or any(head.startswith(m) for m in _VIDEO_MAGIC):
        raise SubtitleReadError("is a media or binary file, not subtitles", path=path,
                                hint="Pass an SRT, WebVTT or ASS file (extract a track with: ffmpeg -i VIDEO -map 0:s:0 out.srt)")
    wide = forced is not None and check_encoding(forced).startswith(("utf-16", "utf-32"))
    if b"\x00" in head and not wide:
        raise SubtitleReadError("is a binary file, not subtitles", path=path, hint="Pass an SRT, WebVTT or ASS file")
    notes: list[str] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if forced and not wide and check_encoding(forced) != "utf-8" and not data.isascii():
            notes.append(f"--encoding {forced} not used: the file is valid UTF-8")
        if not wide:
            return text, "utf-8", notes, []
    if forced:
        return _decode_as(data, path, forced), forced, [*notes, f"not UTF-8: read as {forced} (--encoding)"], []
    mixed = _mostly_utf8(data, language, notes)
    if mixed is not None:
        return mixed
    if language:
        declared = _by_language(data, path, language, notes)
        if declared is not None:
            return declared
    return _guess_code_page(data, path, notes)


def _utf8_pieces(data: bytes) -> list[tuple[bool, int, bytes]] | None:
    """The bytes as (valid UTF-8?, offset, bytes) pieces; None past ``_MAX_STRAY`` invalid runs."""
    pieces: list[tuple[bool, int, bytes]] = []
    pos = 0
    while pos < len(data):
        try:
            data[pos:].decode("utf-8")
        except UnicodeDecodeError as exc:
            start, end = pos + exc.start, pos + exc.end
            pieces.append((True, pos, data[pos:start]))
            if pieces[-2:-1] and not pieces[-2][0] and not data[pos:start]:  # adjacent invalid bytes: one run
                pieces[-2] = (False, pieces[-2][1], pieces[-2][2] + data[start:end])
                pieces.pop()
            else:
                pieces.append((False, start, data[start:end]))
            if sum(1 for ok, _, _ in pieces if not ok) > _MAX_STRAY:
                return None
            pos = end
            continue
        pieces.append((True, pos, data[pos:]))
        break
    return pieces


def _mostly_utf8(data: bytes, language: str | None, notes: list[str]) -> tuple[str, str, list[str], list[str]] | None:
    """A UTF-8 file with a few bytes that are not (a line pasted from a cp1252 file): UTF-8, those
    bytes read in the legacy single-byte code page whose letters fit best (the file's language's
    first), and a warning naming the lines. Read whole as a legacy code page, its UTF-8 letters
    came out as Thai ("dรฉjร"). None unless its UTF-8 letters beyond ASCII take at least as many
    bytes as the stray ones (a legacy file's bytes seldom form UTF-8 sequences), and a code page
    reads the whole in one writing system."""
    pieces = _utf8_pieces(data)
    if pieces is None:
        return None
    stray = sum(len(b) for ok, _, b in pieces if not ok)
    utf8_bytes = sum(len(ch.encode()) for ok, _, b in pieces if ok for ch in NON_ASCII.findall(b.decode("utf-8")))
    if not stray or utf8_bytes < stray:
        return None
    entry = _code_pages().get(language.split("-")[0].lower()) if language else None
    pages = [p for p in (entry[0] if entry else ()) if p not in _DOUBLE_BYTE]
    pages += [p for p in _LEGACY if p not in _DOUBLE_BYTE and p not in pages]
    best: tuple[int, int, str, str] | None = None
    for i, page in enumerate(pages):
        try:
            text = "".join(b.decode("utf-8") if ok else b.decode(page) for ok, _, b in pieces)
        except UnicodeDecodeError:
            continue
        if entry is not None:
            letters, odd = letters_and_odd(text[:_SAMPLE])
            misses = system_misses(letters)
            score = min(misses[s] for s in entry[1]) + odd
        else:
            score = writing_system_fit(text[:_SAMPLE])[0]
        if best is None or (score, i) < best[:2]:
            best = (score, i, page, text)
    if best is None or best[0] > 0:  # no code page makes letters of them: not UTF-8 with stray bytes (EUC-JP has UTF-8-like pairs)
        return None
    page, text = best[2], best[3]
    lines = sorted({data.count(b"\n", 0, at) + 1 for ok, at, _ in pieces if not ok})
    words = [w for w in MIXED_WORD.findall(text) if w not in "".join(b.decode("utf-8") for ok, _, b in pieces if ok)]
    listed = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
    sample = f' ("{words[0][:24]}")' if words else ""
    warning = (f"UTF-8 except {stray} byte(s) on line(s) {listed}, read as {page} there{sample}; if those letters look wrong, "
               f"fix those lines, or pass --encoding to read the whole file in one encoding")
    notes.append(warning)
    return text, f"utf-8+{page}", notes, [warning]


def as_text(data: bytes, encoding: str) -> str:
    """``data`` read in the ``encoding`` ``decode`` named, invalid bytes replaced: ``utf-8+cp1252``
    is UTF-8 with a few bytes in cp1252 (``_mostly_utf8``)."""
    if encoding.startswith("utf-8+"):
        page = encoding.split("+", 1)[1]
        pieces = _utf8_pieces(data) or [(False, 0, data)]
        return "".join(b.decode("utf-8") if ok else b.decode(page, errors="replace") for ok, _, b in pieces)
    return data.decode(encoding, errors="replace")


def _by_language(data: bytes, path: str, language: str, notes: list[str]) -> tuple[str, str, list[str], list[str]] | None:
    """The reading in one of ``language``'s code pages whose letters all belong to its alphabet
    (and put nothing odd inside words), the first such code page on equal evidence; None when the
    language has no code pages listed or none reads the file in its letters (the file is then
    guessed like any other). KOI8 and cp1251 read each other's Cyrillic letters with their case
    swapped: the reading with no word that turns from lower to upper case wins (all capitals
    read as all lower case: the general guess then decides, see below). When another of its code pages fits as well and reads differently, the general guess
    decides between them (kana, chaos, letter frequencies: what tells EUC-JP from Shift-JIS), and
    the doubt is said when it picks neither."""
    entry = _code_pages().get(language.split("-")[0].lower())
    if entry is None:
        return None
    pages, systems = entry
    fits: list[tuple[int, int, bool, int, str, str]] = []
    for i, page in enumerate(pages):
        try:
            text = data.decode(page)
        except UnicodeDecodeError:
            continue
        letters, odd = letters_and_odd(text[:_SAMPLE])
        odd += len(SYMBOL_RUN.findall(text[:_SAMPLE]))
        misses = system_misses(letters)
        uppers = sum(n for ch, n in letters.items() if ch.isupper())
        fits.append((min(misses[s] for s in systems) + odd, case_turns(text[:_SAMPLE]), uppers * 2 > sum(letters.values()), i, page, text))
    fits.sort()
    if not fits or fits[0][0] > 0:
        return None
    won = fits[0]
    other = next((f for f in fits[1:] if f[:2] == won[:2] and f[5] != won[5]), None)
    if other is not None:
        guessed = _guess_code_page(data, path, [])
        if guessed[1] in {f[4] for f in fits if f[:2] == won[:2]}:
            return guessed[0], guessed[1], [*notes, *guessed[2]], guessed[3]
        mine, theirs = _first_difference(won[5], other[5])
        warning = (f"not UTF-8, and the code page is uncertain: read as {won[4]} (\"{mine}\"; {other[4]} reads \"{theirs}\"), "
                   f"a code page of the file's language ({language}) as is {other[4]}; if letters look wrong, pass --encoding {other[4]} "
                   f"(or convert the file to UTF-8)")
        notes.append(warning)
        return won[5], won[4], notes, [warning]
    notes.append(f"not UTF-8: read as {won[4]} (a code page of the file's language, {language}, whose letters it reads; "
                 f"pass --encoding if letters look wrong)")
    return won[5], won[4], notes, []


def _by_byte_order_mark(data: bytes, path: str, forced: str | None) -> tuple[str, str, list[str], list[str]] | None:
    """The text its byte order mark says, which wins over ``--encoding``; None without a mark."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(enc)
            except UnicodeDecodeError:
                raise SubtitleReadError(f"starts with a {enc} byte order mark but is not {enc} text", path=path) from None
            notes = [f"byte order mark ({enc}) removed"]
            if forced and check_encoding(forced) != check_encoding(enc):
                notes.append(f"--encoding {forced} not used: the byte order mark says {enc}")
            return text, enc, notes, []
    return None


def _decode_as(data: bytes, path: str, encoding: str) -> str:
    try:
        return data.decode(check_encoding(encoding))
    except UnicodeDecodeError as exc:
        raise SubtitleReadError(f"is not {encoding} text (byte 0x{data[exc.start]:02x} at offset {exc.start} has no meaning in it)",
                                path=path, hint="Pass the file's real encoding with --encoding, or convert it to UTF-8") from None


def _guess_code_page(data: bytes, path: str, notes: list[str]) -> tuple[str, str, list[str], list[str]]:
    """A legacy code page chosen by evidence. charset-normalizer proposes the code pages whose
    reading shows little "chaos" (its mess score: symbols inside words, odd sequences); of those,
    the reading whose letters one writing system explains best wins, charset-normalizer's own
    ranking deciding between equals. When another reading is about as good on both counts, the
    file says so, naming both code pages."""
    readings = _readings(data, path)
    if _western(data, readings):
        readings = {text: r for text, r in readings.items() if r.encoding not in _DOUBLE_BYTE}
    if not readings:
        raise SubtitleReadError("is not text in any known encoding", path=path,
                                hint="Pass an SRT, WebVTT or ASS file, or its encoding with --encoding")
    return _verdict(_ranked(readings), notes)


def _readings(data: bytes, path: str) -> dict[str, _Reading]:
    """The readings worth weighing, by text (code pages that read the same are one reading): those
    with little more chaos than the least, and any whose letters one writing system explains
    entirely (charset-normalizer counts too many accents in a short French line as chaos)."""
    from charset_normalizer import from_bytes

    # A short subtitle file is little text to judge by: charset-normalizer's default 0.2 chaos
    # ceiling refused a plain Polish cp1250 file outright, so the ceiling is raised.
    results = from_bytes(data, threshold=0.5, cp_isolation=list(_LEGACY))
    if not results:
        results = from_bytes(data, threshold=0.5)
    best = results.best()
    if best is None or best.encoding is None:
        raise SubtitleReadError("is not text in any known encoding", path=path,
                                hint="Pass an SRT, WebVTT or ASS file, or its encoding with --encoding")
    readings: dict[str, _Reading] = {}

    def weigh(name: str, text: str, chaos: float, coherence: float) -> None:
        if text not in readings:
            reading = _Reading(name, text, chaos, coherence, *writing_system_fit(text[:_SAMPLE]))
            if chaos <= best.chaos + CHAOS_MARGIN or reading.unexplained == 0:
                readings[text] = reading

    for match in results:
        if match.encoding is None:
            continue
        names = [match.encoding, *match.could_be_from_charset]
        weigh(next((p for p in _LEGACY if p in names), match.encoding), str(match), match.chaos, match.coherence)
    # charset-normalizer skips a code page "similar" to one it already tried (a French file came
    # back as cp1257 only, a Shift-JIS one as cp1251 and GB18030): the most written are always
    # weighed, scored the same way.
    for enc in ("cp1252", "cp1250", "cp1251", "cp932", "euc_jp", "cp949", "gb18030", "big5"):
        if any(r.encoding == enc for r in readings.values()):
            continue
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if text not in readings:
            weigh(enc, text, *_chaos_and_coherence(text))
    return readings


def _western(data: bytes, readings: dict[str, _Reading]) -> bool:
    """High bytes that mostly stand alone between ASCII ones are a Western text when a single-byte
    code page reads it well: a double-byte one then only pairs an accent with the next letter
    ("légère" in Shift-JIS is "l" and two kanji and "re")."""
    high = [i for i, b in enumerate(data) if b >= 0x80]
    alone = sum(1 for i in high if (i == 0 or data[i - 1] < 0x80) and (i + 1 == len(data) or data[i + 1] < 0x80))
    return bool(high) and alone > len(high) / 2 and any(r.unexplained == 0 and r.encoding not in _DOUBLE_BYTE for r in readings.values())


def _ranked(readings: dict[str, _Reading]) -> list[_Reading]:
    """Fewest unexplained letters first; then a reading with kana (Japanese text always has them,
    other bytes read as Japanese seldom do); then less chaos (in steps of 0.02), then letter
    frequencies nearer a language (steps of 0.1: what tells Cyrillic code pages apart), a
    double-byte reading (pairs of high bytes that all decode are evidence of their own), and on
    equal evidence the order of _LEGACY, most written first."""
    rank = {enc: i for i, enc in enumerate(_LEGACY)}
    return sorted(readings.values(), key=lambda r: (r.unexplained, not _KANA.search(r.text), int(r.chaos * 50), -int(r.coherence * 10),
                                                    r.encoding not in _DOUBLE_BYTE, rank.get(r.encoding, len(rank))))


def _verdict(ranked: list[_Reading], notes: list[str]) -> tuple[str, str, list[str], list[str]]:
    """The best reading, with a warning naming the runner-up when it fits about as well."""
    won = ranked[0]
    other = next((r for r in ranked[1:] if _is_close(won, r)), None)
    if other is not None:
        mine, theirs = _first_difference(won.text, other.text)
        sample = f' ("{mine}"; {other.encoding} reads "{theirs}")' if mine else ""
        warning = (f"not UTF-8, and the code page is uncertain: read as {won.encoding}{sample}, but {other.encoding} fits "
                   f"almost as well; if letters look wrong, pass --encoding {other.encoding} (or convert the file to UTF-8)")
        notes.append(warning)
        return won.text, won.encoding, notes, [warning]
    why = f"its letters are {won.system}" if won.system else "detected from its letters"
    notes.append(f"not UTF-8: read as {won.encoding} ({why}; convert the file to UTF-8 if letters look wrong)")
    return won.text, won.encoding, notes, []


def _chaos_and_coherence(text: str) -> tuple[float, float]:
    """charset-normalizer's two scores for a reading it did not propose itself."""
    from charset_normalizer.cd import coherence_ratio
    from charset_normalizer.md import mess_ratio

    sample = text[:_SAMPLE]
    return mess_ratio(sample, 0.5), max((ratio for _lang, ratio in coherence_ratio(sample)), default=0.0)


def _is_close(won: _Reading, other: _Reading) -> bool:
    """Whether ``other`` is about as good a reading as ``won``: as little chaos, letter
    frequencies as near a language, and no letter more that no writing system explains (or under
    one for ten letters the readings spell differently)."""
    if other.chaos > won.chaos + 0.02 or other.coherence < won.coherence - 0.1:
        return False
    extra = other.unexplained - won.unexplained
    if len(won.text) == len(other.text):
        differ = sum(1 for a, b in zip(won.text, other.text, strict=True) if a != b)
    else:
        differ = len(NON_ASCII.findall(won.text))
    return extra == 0 or extra * 10 < differ

