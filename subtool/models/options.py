"""What the user asked for: the options of a transcription, independent of the engine."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TranscribeOptions:
    """What the user asked for, independent of the engine.

    ``languages``: ISO 639-1 codes; one forces the language, several mean detection among them,
    none means detection. ``split``: inputs longer than this many minutes are cut into pieces sent
    at once across the free job slots (None: only an input longer than one job takes is cut).
    ``translate``: target languages in order. ``formats``: subtitle
    formats the service should write. ``subtitle_limits``: the profile's limits sent as the
    service's subtitles_config (keys ``minimum_duration``, ``maximum_duration``,
    ``maximum_characters_per_row``, ``maximum_rows_per_caption``, ``style``).

    Frozen: options are changed with ``dataclasses.replace``, never in flight (a stage that
    normalises them returns a new value).
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
    split: float | None = 10.0
    use_cache: bool = True
    keep_raw: bool = False
    # How the subtitle files are made (the write stage; none of these change the transcript, so
    # none is part of the cache key): translations following the spoken language's cue times
    # ("source") or segmented on their own ("own"); a file that breaks its profile refused
    # (``strict``); cue edges timed to the video's shot changes (None: the profile decides); whose
    # cues the files carry: subtool's own, built from the word timings ("subtool"), or the subtitle
    # files the service wrote itself ("service"; the transcript keeps both, so a cached result can
    # switch).
    template: str = "source"
    strict: bool = False
    shot_changes: bool | None = None
    cues: str = "subtool"
    # Reuse before paying (the plan stage; not part of the cache key, it changes what is asked,
    # which is): a wanted language taken from a text track of the input, a sidecar
    # ``<stem>.<lang>.(srt|vtt|ass)`` beside it, or the subtitles yt-dlp downloaded; with
    # ``reuse_auto`` a platform's machine captions count too.
    reuse: bool = True
    reuse_auto: bool = False
