"""The create-body contract of Gladia's ``POST /v2/pre-recorded``: validation and the echo.

Validation answers the way the real API (NestJS class-validator) does: a list of strings such as
``language_config.languages must only contain the following values: af, am, ...``. The allowed
values are those of the API's OpenAPI document (the same lists the SDK's generated types carry).
The echo (``request_params`` of a job) fills in every default, as the real service does.

The facts subtool's client also needs (languages, subtitle formats, styles and ranges, the
translation models) are read from ``subtool.engines.gladia.service``, their one home; what only
the emulator checks (transcription models, the other enums, the metadata length, the echo's
defaults) is kept here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from ...engines.gladia import service

# Sorted, as the API lists them in its messages.
TRANSCRIPTION_LANGUAGES: tuple[str, ...] = tuple(sorted(service.TRANSCRIPTION_LANGUAGES))
TRANSLATION_LANGUAGES: tuple[str, ...] = tuple(sorted(service.TRANSLATION_LANGUAGES))
MODELS = ("solaria-1", "solaria-3", "solaria-fusion")
TRANSLATION_MODELS = service.TRANSLATION_MODELS
SUBTITLE_FORMATS = service.SUBTITLE_FORMATS
SUBTITLE_STYLES = service.SUBTITLE_STYLES
SUMMARY_TYPES = ("general", "bullet_points", "concise")
CALLBACK_METHODS = ("POST", "PUT")
PII_TEXT_TYPES = ("MARKER", "MASK")
JOB_STATUSES = ("queued", "processing", "done", "error")

BOOL_FIELDS = (
    "custom_vocabulary", "callback", "subtitles", "diarization", "translation", "summarization",
    "named_entity_recognition", "custom_spelling", "sentiment_analysis", "audio_to_llm", "pii_redaction",
    "sentences", "punctuation_enhanced",
)
CONFIG_FIELDS = (
    "custom_vocabulary_config", "callback_config", "subtitles_config", "diarization_config", "translation_config",
    "summarization_config", "custom_spelling_config", "audio_to_llm_config", "pii_redaction_config", "language_config",
)
# Accepted and ignored: the deprecated callback URL, and chapterization (discontinued, still tolerated).
OTHER_FIELDS = ("audio_url", "callback_url", "custom_metadata", "model", "chapterization")
KNOWN_FIELDS = frozenset((*BOOL_FIELDS, *CONFIG_FIELDS, *OTHER_FIELDS))

# Keys the real service echoes in request_params although the SDK schema does not know them.
ECHO_EXTRAS: dict[str, Any] = {
    "audio_enhancer": False, "moderation": False, "display_mode": False, "name_consistency": False,
    "chapterization": False, "detect_language": True, "enable_code_switching": False, "diarization_enhanced": False,
    "speaker_reidentification": False, "accurate_words_timestamps": False, "skip_channel_deduplication": False,
    "structured_data_extraction": False,
}
TRANSLATION_DEFAULTS: dict[str, Any] = {
    "model": "base", "context": "", "lipsync": True, "informal": False, "context_adaptation": True,
    "match_original_utterances": True,
}
SUBTITLE_DEFAULTS: dict[str, Any] = {"style": "default", "formats": ["srt"]}
METADATA_MAX_CHARS = 2000


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlparse(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class _Checker:
    """Collects NestJS-style messages: ``<parent>.<property> <constraint>``."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, message: str) -> None:
        self.errors.append(message)

    def boolean(self, path: str, v: object) -> None:
        if v is not None and not isinstance(v, bool):
            self.add(f"{path} must be a boolean value")

    def enum(self, path: str, v: object, allowed: tuple[str, ...]) -> None:
        if v is not None and v not in allowed:
            self.add(f"{path} must be one of the following values: {', '.join(allowed)}")

    def number(self, path: str, v: object, *, low: float | None = None, high: float | None = None, integer: bool = False) -> None:
        if v is None:
            return
        if integer and not _is_int(v):
            self.add(f"{path} must be an integer number")
            return
        if not _is_number(v):
            self.add(f"{path} must be a number conforming to the specified constraints")
            return
        assert isinstance(v, int | float)
        if low is not None and v < low:
            self.add(f"{path} must not be less than {low:g}")
        if high is not None and v > high:
            self.add(f"{path} must not be greater than {high:g}")

    def string(self, path: str, v: object) -> None:
        if v is not None and not isinstance(v, str):
            self.add(f"{path} must be a string")

    def obj(self, path: str, v: object) -> dict[str, Any] | None:
        """The config object, or None (after noting why) when it is absent or not an object."""
        if v is None:
            return None
        if not isinstance(v, dict):
            self.add(f"{path} must be an object")
            return None
        return v

    def codes(self, parent: str, prop: str, v: object, allowed: tuple[str, ...], *, min_items: int = 0) -> list[str]:
        path = f"{parent}.{prop}"
        if v is None:
            if min_items:
                self.add(f"{path} must be an array")
            return []
        if not isinstance(v, list):
            self.add(f"{path} must be an array")
            return []
        if len(v) < min_items:
            self.add(f"{path} must contain at least {min_items} elements")
        if any(c not in allowed for c in v):
            self.add(f"{path} must only contain the following values: {', '.join(allowed)}")
        return [c for c in v if isinstance(c, str)]


def validate(body: object) -> list[str]:
    """Every reason the real API would refuse ``body`` with a 400 (empty list: acceptable)."""
    c = _Checker()
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    for key in body:
        if key not in KNOWN_FIELDS:
            c.add(f"property {key} should not exist")
    url = body.get("audio_url")
    if url is None or url == "":
        c.add("audio_url should not be empty")
    if not is_http_url(url):
        c.add("audio_url must be a URL address")
    c.string("callback_url", body.get("callback_url"))
    for name in BOOL_FIELDS:
        c.boolean(name, body.get(name))
    c.enum("model", body.get("model"), MODELS)
    for check in _BLOCK_CHECKS:
        check(c, body)
    return c.errors


def _check_languages(c: _Checker, body: dict[str, Any]) -> None:
    lang = c.obj("language_config", body.get("language_config"))
    languages: list[str] = []
    if lang is not None:
        languages = c.codes("language_config", "languages", lang.get("languages"), TRANSCRIPTION_LANGUAGES)
        c.boolean("language_config.code_switching", lang.get("code_switching"))
    if body.get("model") == "solaria-3" and len(languages) != 1:
        c.add("language_config.languages must contain exactly one language when model is solaria-3")


def _check_subtitles(c: _Checker, body: dict[str, Any]) -> None:
    sub = c.obj("subtitles_config", body.get("subtitles_config"))
    if sub is None:
        return
    formats = sub.get("formats")
    if formats is not None:
        if not isinstance(formats, list):
            c.add("subtitles_config.formats must be an array")
        else:
            if not formats:
                c.add("subtitles_config.formats must contain at least 1 elements")
            if any(f not in SUBTITLE_FORMATS for f in formats):
                c.add(f"subtitles_config.each value in formats must be one of the following values: {', '.join(SUBTITLE_FORMATS)}")
    low, high = service.SUBTITLE_DURATION_RANGE
    rows_low, rows_high = service.SUBTITLE_ROWS_RANGE
    c.number("subtitles_config.minimum_duration", sub.get("minimum_duration"), low=0)
    c.number("subtitles_config.maximum_duration", sub.get("maximum_duration"), low=low, high=high)
    c.number("subtitles_config.maximum_characters_per_row", sub.get("maximum_characters_per_row"), low=1, integer=True)
    c.number("subtitles_config.maximum_rows_per_caption", sub.get("maximum_rows_per_caption"), low=rows_low, high=rows_high, integer=True)
    c.enum("subtitles_config.style", sub.get("style"), SUBTITLE_STYLES)


def _check_diarization(c: _Checker, body: dict[str, Any]) -> None:
    dia = c.obj("diarization_config", body.get("diarization_config"))
    if dia is not None:
        c.number("diarization_config.number_of_speakers", dia.get("number_of_speakers"), low=1, integer=True)
        c.number("diarization_config.min_speakers", dia.get("min_speakers"), low=0, integer=True)
        c.number("diarization_config.max_speakers", dia.get("max_speakers"), low=0, integer=True)


def _check_translation(c: _Checker, body: dict[str, Any]) -> None:
    tr = c.obj("translation_config", body.get("translation_config"))
    if tr is None and body.get("translation") is not True:
        return
    tr = tr or {}
    c.codes("translation_config", "target_languages", tr.get("target_languages"), TRANSLATION_LANGUAGES, min_items=1)
    c.enum("translation_config.model", tr.get("model"), TRANSLATION_MODELS)
    for flag in ("match_original_utterances", "lipsync", "context_adaptation", "informal"):
        c.boolean(f"translation_config.{flag}", tr.get(flag))
    c.string("translation_config.context", tr.get("context"))


def _check_vocabulary(c: _Checker, body: dict[str, Any]) -> None:
    voc = c.obj("custom_vocabulary_config", body.get("custom_vocabulary_config"))
    if voc is None and body.get("custom_vocabulary") is not True:
        return
    voc = voc or {}
    entries = voc.get("vocabulary")
    if not isinstance(entries, list):
        c.add("custom_vocabulary_config.vocabulary must be an array")
    else:
        for i, entry in enumerate(entries):
            _check_vocabulary_entry(c, f"custom_vocabulary_config.vocabulary.{i}", entry)
    c.number("custom_vocabulary_config.default_intensity", voc.get("default_intensity"), low=0, high=1)


def _check_callback(c: _Checker, body: dict[str, Any]) -> None:
    cb = c.obj("callback_config", body.get("callback_config"))
    if cb is not None or body.get("callback") is True:
        cb = cb or {}
        if not is_http_url(cb.get("url")):
            c.add("callback_config.url must be a URL address")
        c.enum("callback_config.method", cb.get("method"), CALLBACK_METHODS)


def _check_summarization(c: _Checker, body: dict[str, Any]) -> None:
    summ = c.obj("summarization_config", body.get("summarization_config"))
    if summ is not None:
        c.enum("summarization_config.type", summ.get("type"), SUMMARY_TYPES)


def _check_spelling(c: _Checker, body: dict[str, Any]) -> None:
    spell = c.obj("custom_spelling_config", body.get("custom_spelling_config"))
    if spell is not None or body.get("custom_spelling") is True:
        d = (spell or {}).get("spelling_dictionary")
        if not isinstance(d, dict) or not all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in d.values()):
            c.add("custom_spelling_config.spelling_dictionary must be an object of string arrays")


def _check_audio_to_llm(c: _Checker, body: dict[str, Any]) -> None:
    llm = c.obj("audio_to_llm_config", body.get("audio_to_llm_config"))
    if llm is None and body.get("audio_to_llm") is not True:
        return
    prompts = (llm or {}).get("prompts")
    if not isinstance(prompts, list):
        c.add("audio_to_llm_config.prompts must be an array")
    else:
        if not prompts:
            c.add("audio_to_llm_config.prompts must contain at least 1 elements")
        if any(not isinstance(p, str) for p in prompts):
            c.add("audio_to_llm_config.each value in prompts must be a string")
    c.string("audio_to_llm_config.model", (llm or {}).get("model"))


def _check_pii(c: _Checker, body: dict[str, Any]) -> None:
    pii = c.obj("pii_redaction_config", body.get("pii_redaction_config"))
    if pii is not None:
        types = pii.get("entity_types")
        # Docs and samples send a list, the SDK types a single value: both are accepted.
        if types is not None and not isinstance(types, str | list):
            c.add("pii_redaction_config.entity_types must be a string or an array")
        c.enum("pii_redaction_config.processed_text_type", pii.get("processed_text_type"), PII_TEXT_TYPES)


def _check_metadata(c: _Checker, body: dict[str, Any]) -> None:
    meta = body.get("custom_metadata")
    if meta is not None:
        if not isinstance(meta, dict):
            c.add("custom_metadata must be an object")
        elif len(json.dumps(meta)) > METADATA_MAX_CHARS:
            c.add(f"custom_metadata must be shorter than or equal to {METADATA_MAX_CHARS} characters when stringified")


# In the order the API reports them.
_BLOCK_CHECKS: tuple[Callable[[_Checker, dict[str, Any]], None], ...] = (
    _check_languages, _check_subtitles, _check_diarization, _check_translation, _check_vocabulary, _check_callback,
    _check_summarization, _check_spelling, _check_audio_to_llm, _check_pii, _check_metadata,
)


def _check_vocabulary_entry(c: _Checker, path: str, entry: object) -> None:
    if isinstance(entry, str):
        return
    if not isinstance(entry, dict):
        c.add(f"{path} must be a string or an object")
        return
    if not isinstance(entry.get("value"), str) or not entry.get("value"):
        c.add(f"{path}.value must be a string")
    # The SDK sends unset optional fields of list entries as null: those are fine.
    c.number(f"{path}.intensity", entry.get("intensity"), low=0, high=1)
    pron = entry.get("pronunciations")
    if pron is not None and (not isinstance(pron, list) or not all(isinstance(p, str) for p in pron)):
        c.add(f"{path}.each value in pronunciations must be a string")
    c.enum(f"{path}.language", entry.get("language"), TRANSCRIPTION_LANGUAGES)


def echo(body: dict[str, Any]) -> dict[str, Any]:
    """``request_params`` as the service returns it: every parameter, defaults filled in."""
    out: dict[str, Any] = {name: bool(body.get(name, False)) for name in BOOL_FIELDS}
    out.update(ECHO_EXTRAS)
    out["audio_url"] = body["audio_url"]
    out["model"] = body.get("model") or "solaria-1"
    lang = body.get("language_config") or {}
    out["language_config"] = {"languages": list(lang.get("languages") or []), "code_switching": bool(lang.get("code_switching", False))}
    if out["subtitles"]:
        out["subtitles_config"] = {**SUBTITLE_DEFAULTS, **{k: v for k, v in (body.get("subtitles_config") or {}).items() if v is not None}}
    if out["translation"]:
        given = {k: v for k, v in (body.get("translation_config") or {}).items() if v is not None}
        out["translation_config"] = {**TRANSLATION_DEFAULTS, **given}
    if out["diarization"]:
        out["diarization_config"] = {k: v for k, v in (body.get("diarization_config") or {}).items() if v is not None}
    for name in CONFIG_FIELDS:
        if name not in out and body.get(name) is not None and out.get(name.removesuffix("_config"), False):
            out[name] = body[name]
    if body.get("callback_url"):
        out["callback_url"] = body["callback_url"]
    return out
