"""Function words per language: where a line or a cue may end, as data (``wording.json``).

The rules are Netflix's and the BBC's (break after punctuation, before conjunctions and
prepositions; never between an article or determiner and its noun, a pronoun, auxiliary or
negation and its verb, a preposition and its phrase). Which words those are is each language's
closed classes, kept in ``wording.json`` (shipped in the package, its ``_source`` says where the
rules come from) rather than written into the breaking code. A word's classes become flags read
once per token (``flags``). A language without a list falls back on a rule that needs none: a
short lowercase word (three letters or fewer: "the", "of", "de", "und") is almost always a
function word, which the builder used before the lists existed.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

GLUE = 1  # a line or cue should not end after it (it belongs to what follows)
OPENS = 2  # a line or cue may well start with it (a preposition, a conjunction)
STRONG = 4  # an article or determiner: ending a line on it is worse still
# A key no word can be: present in a language's flags when it capitalises every noun (German), so
# that two capitalised words in a row are not taken for a first and last name.
NOUNS_CAPITALISED = "\x00capitalised_nouns"

_GLUE_CLASSES = {"articles": GLUE | STRONG, "determiners": GLUE | STRONG, "pronouns": GLUE, "auxiliaries": GLUE, "negations": GLUE,
                 "prepositions": GLUE | OPENS, "conjunctions": GLUE | OPENS}


@functools.cache
def _data() -> dict[str, dict[str, list[str] | bool]]:
    text = resources.files(__package__ or __name__).joinpath("wording.json").read_text(encoding="utf-8")
    languages: dict[str, dict[str, list[str] | bool]] = json.loads(text)["languages"]
    return languages


@functools.cache
def flags(language: str | None) -> dict[str, int] | None:
    """Each listed word of ``language`` (lowercase) with its flags; None when the language has no
    list (the short-lowercase-word rule applies)."""
    if not language:
        return None
    base = language.split("-")[0].split("_")[0].lower()
    classes = _data().get(base)
    if classes is None:
        return None
    out: dict[str, int] = {}
    for name, words in classes.items():
        if isinstance(words, bool):
            if name == "capitalised_nouns" and words:
                out[NOUNS_CAPITALISED] = 1
            continue
        flag = _GLUE_CLASSES.get(name, 0)
        for word in words:
            out[word] = out.get(word, 0) | flag
    return out


def languages() -> list[str]:
    """The languages with a word list."""
    return sorted(_data())
