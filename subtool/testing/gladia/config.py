"""The emulator's settings: the command line's values, changed at runtime by ``POST
/_emulator/faults`` (``{"latency": 0}``, ``{"queue": true, "max_concurrent": 3}``...).

A job's time is ``latency + latency_ratio * audio seconds``, at least ``min_latency``: the service
takes about 17.6% of the audio's duration, 3 s at least (``--latency-ratio 0.176 --min-latency 3``),
which is what makes a long input worth splitting across job slots.

The limits default to the service's own (``subtool.engines.gladia.service``); a queue given as
``true`` holds as many jobs as a paid account may have waiting (300).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...engines.gladia import service

ENDPOINTS = ("upload", "create", "get", "list", "delete", "file")
DIARIZATION = ("turns", "level")


@dataclass
class Config:
    keys: frozenset[str] = frozenset()
    latency: float = 0.0
    latency_ratio: float = 0.0  # processing seconds per second of audio, on top of ``latency``
    min_latency: float = 0.0  # no job ends sooner than this after it starts processing
    diarization: str = "turns"  # "turns": speakers take turns by utterance; "level": told apart by loudness
    max_concurrent: int | None = None
    max_upload_bytes: int = service.MAX_UPLOAD_BYTES
    max_duration: float = service.MAX_DURATION_S
    transcriber: str = "placeholder"
    samples: Path | None = None
    upload_bandwidth: float | None = None
    queue: int | None = None  # with max_concurrent: how many jobs may wait queued (None: 429 instead)
    rate_limit: tuple[int, float] | None = None  # (requests, per seconds), per key
    delays: dict[str, float] = field(default_factory=dict)  # endpoint -> seconds before answering
    no_speech_below: float | None = None  # dBFS; None: judged from the content
    messy_translations: bool = False
    strict: bool = False
    # Subtitle files left out of results ("fr:vtt", or "fr" for all of its formats): the schema
    # makes a result's ``subtitles`` optional, and a client must not take a file for granted.
    missing_subtitles: frozenset[str] = frozenset()


def parse_rate(text: str) -> tuple[int, float]:
    """``"5/s"``, ``"30/min"`` (or a bare number, per second) -> (requests, window seconds)."""
    count, _, unit = text.partition("/")
    windows = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0}
    if unit not in windows or int(count) < 1:
        raise ValueError(f"expected N/s or N/min with N at least 1, got {text!r}")
    return int(count), windows[unit]


def update_settings(cfg: Config, body: dict[str, Any]) -> str | None:
    """Apply the settings of a ``POST /_emulator/faults`` body to ``cfg``; a message when one is
    malformed (KeyError, TypeError, ValueError are the caller's to report)."""
    if "upload_bandwidth" in body:
        bw = body["upload_bandwidth"]
        cfg.upload_bandwidth = float(bw) if bw else None
    for name in ("latency", "latency_ratio", "min_latency"):
        if name in body:
            value = float(body[name])
            if value < 0:
                return f"{name} must be at least 0"
            setattr(cfg, name, value)
    if "diarization" in body:
        if body["diarization"] not in DIARIZATION:
            return f"diarization must be one of {', '.join(DIARIZATION)}"
        cfg.diarization = str(body["diarization"])
    if "delay" in body:
        problem = _update_delays(cfg, body["delay"])
        if problem:
            return problem
    if "max_concurrent" in body:
        cfg.max_concurrent = int(body["max_concurrent"]) if body["max_concurrent"] else None
    if "queue" in body:
        q = body["queue"]
        cfg.queue = (service.MAX_QUEUED_JOBS if q is True else int(q)) if q else None
    if "rate_limit" in body:
        cfg.rate_limit = parse_rate(str(body["rate_limit"])) if body["rate_limit"] else None
    for name in ("messy_translations", "strict"):
        if name in body:
            setattr(cfg, name, bool(body[name]))
    if "missing_subtitles" in body:
        cfg.missing_subtitles = frozenset(str(x) for x in body["missing_subtitles"] or ())
    if "no_speech_below" in body:
        cfg.no_speech_below = float(body["no_speech_below"]) if body["no_speech_below"] is not None else None
    return None


def job_latency(cfg: Config, audio_seconds: float | None) -> float:
    """How long a job over ``audio_seconds`` of audio takes, from the start of its processing."""
    return max(cfg.min_latency, cfg.latency + cfg.latency_ratio * (audio_seconds or 0.0))


def _update_delays(cfg: Config, delays: object) -> str | None:
    """``{"get": 12}`` holds every answer of ``get`` back 12 s; ``{"get": 0}`` lifts it."""
    if not isinstance(delays, dict) or any(k not in ENDPOINTS for k in delays):
        return f"delay must map endpoints ({', '.join(ENDPOINTS)}) to seconds"
    cfg.delays = {**cfg.delays, **{k: float(v) for k, v in delays.items() if v}}
    for k in [k for k, v in delays.items() if not v]:
        cfg.delays.pop(k, None)
    return None
