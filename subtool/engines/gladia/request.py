"""Requests to the Gladia service: checks of what the user configured (the API URL, the key),
the service's spelling of language codes, and the create body for a set of options. No SDK."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from ... import languages as langs
from ...errors import AuthError, LanguageError, SubtoolError, UsageError
from ...models import TranscribeOptions
from . import service

TOKEN_KEY = "subtool_request"

_USERINFO = re.compile(r"^(?P<pre>(?:[A-Za-z][A-Za-z0-9+.-]*://)?)(?P<user>[^/@:?#]*)(?::(?P<password>[^/@?#]*))?@")


def redact_url(url: str) -> str:
    """``url`` with the password of a user:password part shown as ``***`` (and a user alone, which
    may be a token, as ``***``); also for a URL without a scheme."""
    m = _USERINFO.match(url)
    if not m:
        return url
    shown = f"{m['user']}:***" if m["password"] is not None and m["user"] else "***"
    return f"{m['pre']}{shown}@{url[m.end():]}"


def check_api_url(url: str, *, variable: str = "GLADIA_API_URL") -> str:
    """``url`` when it is an http(s) URL with a host; else a ``UsageError`` naming ``variable``
    and the expected form (the SDK's own ValueError would read as an internal error)."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        if ok:
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(
            f"{variable}={redact_url(url)!r} is not an http(s) URL",
            hint="Give the scheme and host, e.g. http://127.0.0.1:8765 or https://api.gladia.io",
        )
    return url


def check_key(key: str) -> None:
    """Refuse a key that cannot go into an HTTP header (httpx would fail on every attempt, which
    looks like a network fault): the message describes the character, never the key."""
    for i, ch in enumerate(key, 1):
        if ch in "\r\n":
            what = "a line break"
        elif ch.isspace():
            what = "a space or tab"
        elif not ch.isascii():
            what = "a non-ASCII character"
        elif not ch.isprintable():
            what = "a control character"
        else:
            continue
        raise AuthError(
            f"the key in GLADIA_API_KEY contains {what} (character {i} of {len(key)})",
            hint="Copy the key again from the Gladia dashboard, without spaces or line breaks",
        )


def service_code(code: str, *, translation: bool = False) -> str:
    """A user's language code as the service spells it; ``LanguageError`` when the service does
    not know the language (checked before anything is uploaded)."""
    what = "translation target" if translation else "language"
    normalized = langs.normalize(code, what=what)
    base = langs.base(normalized)
    base = service.CODE_ALIASES.get(base, base)
    allowed = service.TRANSLATION_LANGUAGES if translation else service.TRANSCRIPTION_LANGUAGES
    if base not in allowed:
        raise LanguageError(
            f"the Gladia service does not {'translate into' if translation else 'transcribe'} '{code}' ({langs.english_name(normalized)})",
            # The offline engine transcribes many languages but translates only into English.
            hint="Use one of its ISO 639-1 codes (e.g. en, fr, es, de)" + ("" if translation else ", or --engine local"),
        )
    if translation:
        _check_script(code, normalized, base)
    return base


def _check_script(code: str, normalized: str, base: str) -> None:
    """The service is asked for a language (``target_languages`` are bare codes) and writes it in
    that language's usual script: a target in another script (``zh-Hant``, ``zh-TW``, ``sr-Latn``)
    cannot be asked for, and sending its bare code would deliver the usual script under the asked
    tag. A region alone (``pt-BR``) is the language's usual script: accepted, said at write."""
    scripts = langs.other_script(normalized)
    if scripts is None:
        return
    asked, usual = scripts
    raise LanguageError(
        f"the Gladia service translates into {base} ({langs.english_name(base)}) written in {usual} script, "
        f"and cannot be asked for '{code}' ({asked} script)",
        hint=f"Ask for -t {base} instead ({usual} script), and convert the file to {asked} script yourself if you need it",
    )


def validate(options: TranscribeOptions) -> None:
    """Refuse what the service would refuse, before any upload."""
    for code in options.languages:
        service_code(code)
    for code in options.translate:
        service_code(code, translation=True)
    if options.translation_model not in service.TRANSLATION_MODELS:
        raise SubtoolError(f"unknown translation model '{options.translation_model}'", hint="Use base or enhanced")
    other = [f for f in options.formats if f not in service.SUBTITLE_FORMATS]
    if options.cues == "service" and other:
        raise UsageError(
            f"--cues service delivers the subtitle files the Gladia service writes, and it writes {' and '.join(service.SUBTITLE_FORMATS)}, not {other[0]}",
            hint=f"Drop {other[0]} from --format, or use --cues subtool (the default) for {other[0]} files",
        )


def build_request(options: TranscribeOptions, audio_url: str, token: str | None = None) -> dict[str, Any]:
    """The create body for ``options`` (the API's InitTranscriptionRequest)."""
    body: dict[str, Any] = {"audio_url": audio_url}
    codes = list(dict.fromkeys(service_code(c) for c in options.languages))
    if codes or options.code_switching:
        body["language_config"] = {"languages": codes, "code_switching": bool(options.code_switching and len(codes) != 1)}
    formats = [f for f in dict.fromkeys(options.formats) if f in service.SUBTITLE_FORMATS]
    if formats:
        body["subtitles"] = True
        body["subtitles_config"] = {"formats": formats, **options.subtitle_limits}
    if options.translate:
        body["translation"] = True
        body["translation_config"] = {
            "target_languages": list(dict.fromkeys(service_code(c, translation=True) for c in options.translate)),
            "model": options.translation_model,
            "match_original_utterances": True,  # cues line up with the spoken language's
        }
    if options.diarize:
        body["diarization"] = True
        hints = {"number_of_speakers": options.speakers, "min_speakers": options.min_speakers, "max_speakers": options.max_speakers}
        if any(v is not None for v in hints.values()):
            body["diarization_config"] = {k: v for k, v in hints.items() if v is not None}
    if options.vocabulary:
        body["custom_vocabulary"] = True
        # Above 0.6 the service reports false positives (Gladia's own advice).
        body["custom_vocabulary_config"] = {"vocabulary": list(dict.fromkeys(options.vocabulary)), "default_intensity": 0.5}
    if token:
        body["custom_metadata"] = {TOKEN_KEY: token}
    return body


def cache_options(options: TranscribeOptions) -> dict[str, Any]:
    """The options that change a Gladia result (the cache key's part)."""
    return build_request(options, "")


