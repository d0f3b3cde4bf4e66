"""The engine protocol: audio (a file or a URL the engine may fetch) + options -> Transcript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..models import Transcript

StatusCallback = Callable[[str], None]
"""Receives short human status lines ("uploading 1.2 MB", "job 3f2a… processing"). Lines that
start with ``NOTE`` tell the user something about the result or the wait (a language assumed, a
retry) and are shown even without a progress display."""

NOTE = "note: "


@dataclass
class TranscribeOptions:
    """What the user asked for, independent of the engine.

    ``languages``: ISO 639-1 codes; one forces the language, several mean detection among them,
    none means detection. ``translate``: target languages in order. ``formats``: subtitle
    formats the service should write. ``subtitle_limits``: the profile's limits sent as the
    service's subtitles_config (keys ``minimum_duration``, ``maximum_duration``,
    ``maximum_characters_per_row``, ``maximum_rows_per_caption``, ``style``).
    """

    languages: list[str] = field(default_factory=list)
    code_switching: bool = False
    translate: list[str] = field(default_factory=list)
    translation_model: str = "base"
    formats: list[str] = field(default_factory=lambda: ["srt"])
    subtitle_limits: dict[str, object] = field(default_factory=dict)
    diarize: bool = False
    speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    vocabulary: list[str] = field(default_factory=list)
    model: str | None = None
    threads: int | None = None
    audio_stream: int | None = None
    use_cache: bool = True
    keep_raw: bool = False


class Engine(Protocol):
    name: str

    def transcribe(
        self,
        audio: str | Path,
        options: TranscribeOptions,
        *,
        duration: float | None = None,
        on_status: StatusCallback | None = None,
    ) -> Transcript:
        """Transcribe ``audio`` (a local audio file, or an http(s) URL when ``fetches_urls``)."""
        ...

    @property
    def fetches_urls(self) -> bool:
        """True when the engine can be given an online-platform URL instead of audio."""
        ...

    @property
    def takes_media(self) -> bool:
        """True when the engine decodes any local media file itself (no audio is extracted for it:
        it gets the input as it is, and ``options.audio_stream`` picks the stream)."""
        ...

    def check(self, options: TranscribeOptions) -> None:
        """Refuse what the engine cannot do with ``options``, before any work on the input."""
        ...

    def cache_tag(self, options: TranscribeOptions) -> str:
        """What besides the options makes this engine's result (its model): part of the cache key."""
        ...
