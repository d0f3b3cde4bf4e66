"""What the emulator learns from audio: duration and channels (ffprobe), a coarse energy envelope
(ffmpeg -> 8 kHz mono PCM), whether it holds speech at all and where (the voiced regions), and
which repository sample a file is.

Samples are recognised after re-encoding (the client sends a mono 16 kHz Opus extraction, not the
original) by correlating log-energy envelopes, which survive lossy codecs and resampling.
"""

from __future__ import annotations

import json
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...engines.gladia import service
from ...media.ffmpeg import binary

RATE = 8000
FRAME = 0.02  # seconds per envelope frame
SAMPLE_SUFFIXES = (".mp4", ".mkv", ".mp3", ".wav", ".m4a", ".ogg", ".opus", ".webm", ".mov")
MATCH_THRESHOLD = 0.85


class AudioUnreadable(Exception):
    """ffprobe/ffmpeg found no decodable audio stream."""


@dataclass
class Probed:
    duration: float
    channels: int
    extension: str
    language: str | None  # the audio stream's language tag, ISO 639-1 when known


@dataclass
class Sample:
    name: str
    text: str
    language: str
    envelope: list[float] = field(default_factory=list)


def probe(path: Path) -> Probed:
    cmd = [binary("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams", f"file:{path}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioUnreadable(str(exc)) from exc
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        raise AudioUnreadable(lines[-1] if lines else "ffprobe failed")
    data: dict[str, Any] = json.loads(out.stdout or "{}")
    audio = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    if not audio:
        raise AudioUnreadable("no audio stream")
    fmt = data.get("format", {})
    # Containers outside the service's documented list (AIFF, MPEG-TS...) are refused like
    # undecodable audio: the docs list no others.
    if not service.takes_container((fmt.get("format_name") or "").split(",")):
        raise AudioUnreadable(f"unsupported format {fmt.get('format_name')}")
    duration = _float(fmt.get("duration")) or _float(audio[0].get("duration"))
    if not duration:
        raise AudioUnreadable("unknown duration")
    tag = (audio[0].get("tags") or {}).get("language")
    return Probed(
        duration=duration,
        channels=int(audio[0].get("channels") or 1),
        extension=(fmt.get("format_name") or "").split(",")[0],
        language=_iso1(tag) if tag else None,
    )


def _float(v: object) -> float | None:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _iso1(tag: str) -> str | None:
    from ...languages import base

    try:
        return base(tag)
    except Exception:  # noqa: BLE001 - an odd tag is only a missing hint
        return None


def envelope(path: Path) -> list[float]:
    """Log energy (dB) per 20 ms frame of the first audio stream, mixed to mono."""
    import numpy as np

    cmd = [binary("ffmpeg"), "-nostdin", "-v", "error", "-i", f"file:{path}", "-map", "0:a:0", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioUnreadable(str(exc)) from exc
    if out.returncode != 0:
        raise AudioUnreadable(out.stderr.decode(errors="replace").strip().splitlines()[-1:] or "ffmpeg failed")
    pcm = np.frombuffer(out.stdout, dtype="<i2").astype(np.float64) / 32768.0
    n = int(RATE * FRAME)
    frames = len(pcm) // n
    if frames == 0:
        return []
    power = (pcm[: frames * n].reshape(frames, n) ** 2).mean(axis=1)
    return [float(x) for x in 10.0 * np.log10(power + 1e-10)]


def voiced_regions(env: list[float], *, min_gap: float = 0.15, floor_db: float = -55.0) -> list[tuple[float, float]]:
    """(start, end) seconds where the envelope shows speech: frames within 35 dB of the loudest
    and above ``floor_db`` dBFS; gaps shorter than ``min_gap`` are bridged."""
    if not env:
        return []
    floor = max(max(env) - 35.0, floor_db)
    regions: list[tuple[float, float]] = []
    start: int | None = None
    for i, level in enumerate([*env, -200.0]):
        if level >= floor and start is None:
            start = i
        elif level < floor and start is not None:
            a, b = start * FRAME, i * FRAME
            if regions and a - regions[-1][1] < min_gap:
                regions[-1] = (regions[-1][0], b)
            else:
                regions.append((a, b))
            start = None
    return [(a, b) for a, b in regions if b - a >= 0.06]


SPEECH_SPREAD_DB = 8.0


def has_speech(env: list[float], *, below: float | None = None) -> bool:
    """Whether the audio holds anything a speech recogniser would transcribe.

    With ``below`` (dBFS): any voiced region louder than that. Otherwise, from the content: some
    frame above -55 dBFS, and a level that moves the way speech does (syllables and pauses: the
    10th and 90th percentiles of the frame levels at least 8 dB apart). Measured on 20 ms frames:
    the repository's speech samples spread 81-84 dB, a tone amplitude-modulated at 3 Hz 17 dB,
    8 s of pink noise 4 dB, a steady tone 0 dB; digital silence and noise at -70 dBFS have no
    voiced frame at all."""
    if below is not None:
        return bool(voiced_regions(env, floor_db=below))
    if not voiced_regions(env):
        return False
    import numpy as np

    levels = np.array(env)
    return float(np.percentile(levels, 90) - np.percentile(levels, 10)) >= SPEECH_SPREAD_DB


def similarity(a: list[float], b: list[float]) -> float:
    """Best Pearson correlation of two envelopes over small shifts (codec delay), on clipped dB."""
    import numpy as np

    if len(a) < 10 or len(b) < 10:
        return 0.0
    x = np.clip(np.array(a), max(a) - 50.0, None)
    y = np.clip(np.array(b), max(b) - 50.0, None)
    best = 0.0
    for shift in range(-5, 6):
        xs, ys = (x[shift:], y) if shift >= 0 else (x, y[-shift:])
        n = min(len(xs), len(ys))
        if n < 10:
            continue
        xa, ya = xs[:n], ys[:n]
        if xa.std() == 0 or ya.std() == 0:
            continue
        best = max(best, float(np.corrcoef(xa, ya)[0, 1]))
    return best


class SampleLibrary:
    """The repository samples' fingerprints, computed once in a background thread so that the
    server answers at once; matching waits for them."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.samples: list[Sample] = []
        self._ready = threading.Event()
        self._started = False

    def start(self) -> None:
        """Fingerprint in the background; called once the server listens, so that the imports
        and decoding do not hold up start-up."""
        if not self._started:
            self._started = True
            threading.Thread(target=self._load, name="sample-fingerprints", daemon=True).start()

    def _load(self) -> None:
        try:
            if self.folder is None or not self.folder.is_dir():
                return
            for media in sorted(self.folder.iterdir()):
                text_file = media.with_suffix(".txt")
                if media.suffix.lower() not in SAMPLE_SUFFIXES or not text_file.is_file():
                    continue
                try:
                    info = probe(media)
                    env = envelope(media)
                except AudioUnreadable:
                    continue
                text = " ".join(text_file.read_text(encoding="utf-8").split())
                self.samples.append(Sample(media.stem, text, info.language or guess_language(text), env))
        finally:
            self._ready.set()

    def match(self, env: list[float]) -> Sample | None:
        self.start()
        self._ready.wait(timeout=120)
        best: tuple[float, Sample | None] = (MATCH_THRESHOLD, None)
        for sample in self.samples:
            # Durations must agree within half a second before the shapes are compared.
            if abs(len(sample.envelope) - len(env)) * FRAME > 0.5:
                continue
            score = similarity(sample.envelope, env)
            if score > best[0]:
                best = (score, sample)
        return best[1]


def guess_language(text: str) -> str:
    """For a sample without a language tag: French if it reads like French, else English."""
    words = set(text.lower().replace(".", " ").replace(",", " ").split())
    french = {"le", "la", "les", "des", "une", "est", "nous", "vous", "à", "et", "bonjour", "pour"}
    return "fr" if len(words & french) >= 2 else "en"
