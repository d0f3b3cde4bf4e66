"""Which writing system a reading's letters belong to: the evidence ``decode`` weighs code pages by.

A right reading writes one language's letters; a wrong code page mixes letters of several
("Neæe" and "š" together), puts symbols inside words, or turns cases inside words (KOI8 and
cp1251 swap them). The alphabets of the languages legacy files were written in are data
(``alphabets.json``, from CLDR's exemplar sets), loaded on the first use.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from importlib import resources


@functools.cache
def _alphabets() -> dict[str, str]:
    """The letters beyond ASCII of the languages legacy subtitle files were written in, by
    language (``alphabets.json``, shipped in the package; its ``_source`` says where they come
    from). No installed library has alphabets (charset-normalizer keeps only each language's most
    frequent letters: no "đ" for Croatian, no "ő" or "ű" for Hungarian), and telling cp1250 from
    cp1252 needs exactly those."""
    data = json.loads(resources.files(__package__ or __name__).joinpath("alphabets.json").read_text(encoding="utf-8"))
    return {str(name): str(letters) for name, letters in data["alphabets"].items()}



# Other writing systems, by the Unicode names of their letters.
_SCRIPTS = {
    "Cyrillic": ("CYRILLIC",),
    "Greek": ("GREEK",),
    "Hebrew": ("HEBREW",),
    "Arabic": ("ARABIC",),
    "Thai": ("THAI",),
    "Japanese": ("HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "CJK UNIFIED IDEOGRAPH", "IDEOGRAPHIC", "FULLWIDTH"),
    "Chinese": ("CJK UNIFIED IDEOGRAPH", "IDEOGRAPHIC", "FULLWIDTH"),
    "Korean": ("HANGUL SYLLABLE", "FULLWIDTH"),
}
NON_ASCII = re.compile(r"[^\x00-\x7f]")
# A non-ASCII character between two letters that is not a letter (kept when it is a symbol:
# "Za¿ó³æ" for "Zażółć" is mojibake; "C’est" and "は、元" are not).
_IN_WORD = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f\w](?=[^\W\d_])")
_SYMBOLS = frozenset({"So", "Sm", "Sc", "Sk", "No"})
_NEVER_IN_WORDS = "¿¡‚„«»‹›"
_MID_SIGMA = re.compile(r"ς(?=[^\W\d_])")
# An ideograph, kana or Hangul syllable between two Latin letters: a Western text read as a
# double-byte code page (an accented letter and the next one taken for a pair).
_CJK_IN_LATIN = re.compile(r"(?<=[A-Za-z\u00c0-\u024f])[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff](?=[A-Za-z\u00c0-\u024f])")
# Thai that no Thai text has (East Asian double-byte text read as cp874): the obsolete letters
# KHO KHUAT and KHO KHON, or a vowel or tone mark that follows neither a consonant nor a mark.
_THAI_ODD = re.compile(r"[\u0e03\u0e05]|(?<![\u0e01-\u0e2e\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")
# Two symbols beyond ASCII in a row (box drawing, "Ё╥╔╫┼╘" for "Привет" read as cp866): no text writes them.
SYMBOL_RUN = re.compile(r"[^\x00-\x7f\w\s\u2010-\u205e\u00a0-\u00bf]{2,}")
MIXED_WORD = re.compile(r"[^\W\d_]*[^\x00-\x7f\W\d_][^\W\d_]*")  # a word with a letter beyond ASCII


def writing_system_fit(text: str) -> tuple[int, str]:
    """(letters no single writing system explains, that system if only one does best): the
    evidence a reading is right.

    A right reading writes one language's letters; a wrong code page mixes letters of several
    ("Neæe" and "š" together) or puts symbols inside words. East Asian scripts count only the
    characters real text is written with (see ``_common_in``): bytes read in the wrong double-byte
    code page land on rare ones."""
    letters, odd = letters_and_odd(text)
    if not letters:
        return odd, ""
    misses = system_misses(letters)
    best = min(misses.values())
    systems = [system for system, miss in misses.items() if miss == best]
    return best + odd, systems[0] if len(systems) == 1 else ""


def letters_and_odd(text: str) -> tuple[dict[str, int], int]:
    """(the letters beyond ASCII and their counts, the characters no text has where they are)."""
    import unicodedata

    counts: dict[str, int] = {}
    for ch in NON_ASCII.findall(text):
        counts[ch] = counts.get(ch, 0) + 1
    # Control and unassigned characters are never text; nor is a symbol inside a word.
    odd = sum(n for ch, n in counts.items() if unicodedata.category(ch) in {"Cc", "Co", "Cn"})
    if counts:
        odd += _odd_in_words(text)
    return {ch: n for ch, n in counts.items() if ch.isalpha()}, odd


def system_misses(letters: dict[str, int]) -> dict[str, int]:
    """For each writing system, how many of ``letters`` (non-ASCII letters and their counts) it lacks."""
    import unicodedata

    misses: dict[str, int] = {}
    lower = {ch: ("i" if ch == "İ" else ch.lower()) for ch in letters}
    for system, alphabet in _alphabets().items():
        misses[system] = sum(n for ch, n in letters.items() if lower[ch] not in alphabet)
    names = {ch: unicodedata.name(ch, "") for ch in letters}
    for system, prefixes in _SCRIPTS.items():
        miss = 0
        for ch, n in letters.items():
            name = names[ch]
            ok = name.startswith(prefixes)
            if ok and name.startswith(("HANGUL SYLLABLE", "CJK UNIFIED")):
                ok = _common_in(ch, system)
            if not ok:
                miss += n
        misses[system] = miss
    return misses


def _common_in(ch: str, system: str) -> bool:
    """Whether an ideograph or Hangul syllable is one ``system``'s everyday text uses: the 2,350
    syllables of KS X 1001, the 6,763 hanzi of GB 2312 or the 5,401 of Big5's first level, the
    2,965 kanji of JIS X 0208's first level. Japanese bytes read as cp949 become rare syllables,
    Shift-JIS read as GB18030 rare GBK hanzi, Big5 read as EUC-JP second-level kanji."""
    if system == "Korean":  # Python's euc_kr spells the other syllables as 8-byte sequences
        return len(ch.encode("euc_kr", errors="ignore")) == 2
    if system == "Chinese":
        if ch.encode("gb2312", errors="ignore"):
            return True
        big5 = ch.encode("big5", errors="ignore")
        return len(big5) == 2 and big5 <= b"\xc6\x7e"
    if system == "Japanese":
        euc = ch.encode("euc_jp", errors="ignore")
        return len(euc) == 2 and 0xB0 <= euc[0] <= 0xCF
    return False


@functools.lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    import unicodedata

    return "LATIN" if ch.isascii() else unicodedata.name(ch, "").split(" ", 1)[0]


# Scripts that never share a word. Half-width katakana beside Latin letters or beside kanji and
# kana is Big5 or EUC-JP read as Shift-JIS: real half-width katakana come in words of their own.
_ALPHABETIC_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "THAI", "HALFWIDTH"})
_FULL_WIDTH = frozenset({"CJK", "HIRAGANA", "KATAKANA"})


def _odd_in_words(text: str) -> int:
    """Words no language writes: a symbol or another script's mark inside a word ("Za¿ó³æ",
    "Schِne"), letters of two alphabets in one word ("Ïðèâåò" is Latin, "ѕИізЗ" is not), a Greek
    final sigma inside a word (Russian cp1251 read as Greek cp1253: "т" becomes "ς")."""
    import unicodedata

    odd = 0
    for m in _IN_WORD.finditer(text):
        ch = m.group()
        cat = unicodedata.category(ch)
        if ch in _NEVER_IN_WORDS or cat in _SYMBOLS or (cat == "Mn" and not unicodedata.name(ch, "").startswith("COMBINING")
                                               and _script(text[m.start() - 1]) == "LATIN"):
            odd += 1
    odd += len(_MID_SIGMA.findall(text)) + len(_THAI_ODD.findall(text)) + len(_CJK_IN_LATIN.findall(text))
    words: dict[str, int] = {}
    for word in MIXED_WORD.findall(text):
        words[word] = words.get(word, 0) + 1
    for word, n in words.items():
        scripts = {_script(c) for c in word}
        if len(scripts & _ALPHABETIC_SCRIPTS) > 1 or ("HALFWIDTH" in scripts and not scripts.isdisjoint(_FULL_WIDTH)):
            odd += n
    return odd


def case_turns(text: str) -> int:
    """Words with a letter beyond ASCII that turn from lower to upper case ("пРИВЕТ"): Cyrillic
    read in the other of KOI8 and cp1251, which swap the cases."""
    return sum(1 for word in MIXED_WORD.findall(text) if any(a.islower() and b.isupper() for a, b in itertools.pairwise(word)))
