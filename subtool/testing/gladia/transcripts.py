"""What a job hears in its audio: the transcript the emulator makes up, and the ``result`` built
from it.

- a repository sample (``--samples``) recognised from its envelope gets the sample's own text and
  language; other audio gets placeholder words over its voiced regions (see ``results``);
- audio without speech (``audio.has_speech``: silence, steady noise or tone; ``--no-speech-below
  DB`` for a plain level threshold) gets the empty result the schema allows, not invented words;
- ``--transcriber local`` asks the embedded offline engine (``subtool.engines.local``, imported
  only then) instead: a real transcript, slower;
- ``--diarization level`` tells speakers apart by the loudness of their words (``results``);
- one requested language is forced, several restrict detection, none means detection; the
  custom spelling dictionary is applied to the words.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

from . import audio, results
from .config import job_latency
from .records import Job, StoredFile
from .state import State


def transcribe(state: State, job: Job, stored: StoredFile, info: audio.Probed) -> dict[str, Any]:
    """The ``result`` of ``job`` over its audio ``stored``."""
    started = time.time()
    languages = job.params["language_config"]["languages"]
    found: str | None
    if state.config.transcriber == "local":
        utterances, found = local_transcript(stored.path, languages)
    else:
        utterances, found = made_up_transcript(state, stored, info, languages)
    spelling = (job.params.get("custom_spelling_config") or {}).get("spelling_dictionary") if job.params.get("custom_spelling") else None
    if spelling:
        apply_spelling(utterances, spelling)
    if job.params.get("diarization") and state.config.diarization == "level" and utterances:
        utterances = results.speakers_by_level(utterances, state.envelope(stored))
    result = results.build_result(
        utterances, found if utterances else None, job.params, audio_duration=info.duration,
        transcription_time=time.time() - started + job_latency(state.config, info.duration), messy=state.config.messy_translations,
    )
    return results.without_subtitles(result, state.config.missing_subtitles)


def made_up_transcript(state: State, stored: StoredFile, info: audio.Probed, languages: list[str]) -> tuple[list[dict[str, Any]], str | None]:
    """A sample's text, or placeholder words, timed over the voiced regions; nothing (and no
    language) for audio without speech."""
    env = state.envelope(stored)
    below = state.config.no_speech_below
    if not audio.has_speech(env, below=below):
        return [], None
    sample = state.samples.match(env)
    if sample is not None:
        tokens = sample.text.split()
        detected = sample.language
    else:
        tokens = results.placeholder_words(info.duration)
        detected = "en"
    regions = audio.voiced_regions(env, floor_db=below) if below is not None else audio.voiced_regions(env)
    timed = results.time_words(tokens, regions, info.duration)
    language = pick_language(languages, detected, known=sample is not None)
    max_words = 0 if sample else results.PLACEHOLDER_UTTERANCE
    return results.utterances_from_words(timed, language, max_words=max_words), language


def pick_language(requested: list[str], detected: str, *, known: bool) -> str:
    """One requested language is forced; several restrict detection; none means detection."""
    if len(requested) == 1:
        return requested[0]
    if requested and detected not in requested:
        return requested[0]
    if not known and requested:
        return requested[0]
    return detected


def apply_spelling(utterances: list[dict[str, Any]], dictionary: dict[str, list[str]]) -> None:
    variants = {v.lower(): correct for correct, vs in dictionary.items() for v in vs}
    for u in utterances:
        for w in u["words"]:
            m = re.match(r"^(\s*)(.*?)([.,;:!?…]*)$", w["word"])
            if m and m.group(2).lower() in variants:
                w["word"] = m.group(1) + variants[m.group(2).lower()] + m.group(3)
        u["text"] = "".join(w["word"] for w in u["words"]).strip()


_LOCAL = threading.Lock()


def local_transcript(path: Path, languages: list[str]) -> tuple[list[dict[str, Any]], str | None]:
    """The embedded offline engine's transcript, in the API's shape. One at a time: each uses
    every core, and two at once on a 2-core machine took over three times as long as one after
    the other (the job's time is the latency settings' to model, not this machine's)."""
    from ...engines.local import LocalEngine  # type: ignore[import-not-found, unused-ignore]
    from ...models import TranscribeOptions

    with _LOCAL:
        transcript = LocalEngine().transcribe(path, TranscribeOptions(languages=list(languages), use_cache=False))
    utterances = []
    for u in transcript.utterances:
        words = [
            {"word": (w.text.strip() if i == 0 else " " + w.text.strip()), "start": round(w.start, 3), "end": round(w.end, 3),
             "confidence": round(w.confidence if w.confidence is not None else 0.9, 2)}
            for i, w in enumerate(u.words)
        ] or [{"word": u.text.strip(), "start": u.start, "end": u.end, "confidence": 0.9}]
        utterances.append(results.make_utterance(words, u.language or transcript.language or "en", channel=u.channel or 0))
    return utterances, transcript.language if utterances else None
