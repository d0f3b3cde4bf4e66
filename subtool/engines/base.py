"""The engine protocol: audio (a file or a URL the engine may fetch) + options -> Transcript."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..models import TranscribeOptions, Transcript

StatusCallback = Callable[[str], None]
"""Receives short human status lines ("uploading 1.2 MB", "job 3f2a… processing"). Lines that
start with ``NOTE`` tell the user something about the result or the wait (a language assumed, a
retry) and are shown even without a progress display."""

NOTE = "note: "


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
