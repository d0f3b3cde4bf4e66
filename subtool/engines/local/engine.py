"""The offline engine: Whisper run by faster-whisper (CTranslate2) on the verified weights of
``models``, over the chunks ``audio`` decodes.

Translation
    Only into English (a regional English such as en-GB too: Whisper's English under the asked tag,
    which the write stage says), by Whisper itself (``task="translate"``, a second decoding pass over the same
    audio chunk) with the base model; a target that is the spoken language needs no translation
    (``Transcript.utterances_for`` gives the spoken text). Any other target is refused with a line
    naming the Gladia engine. (An offline text translator such as apertium could plug in at
    ``_check_translation``; none is used.)

Each chunk starts without a prompt: passing the previous chunk's text as ``initial_prompt`` was
tried and set off a 27 s repetition loop after the cut of a 10 min benchmark clip. Nor does a
30 s window inside a chunk take the previous window's text as prompt (``TRANSCRIBE_DECODING``),
and what the decoding still leaves out is said as a warning (``coverage``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from ... import languages as langs
from ...errors import InputError, Interrupted, LanguageError, UsageError
from ...models import TranscribeOptions, Transcript, Utterance
from ..base import NOTE, WARNING, StatusCallback
from .audio import CHUNK_SECONDS, SAMPLE_RATE, stream_audio
from .coverage import clock, gaps, repeats, speech_frames
from .models import BASE, MODELS, TINY, choose_model, load_model, offline_environment
from .words import Loudness, to_utterances

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel

ProgressCallback = Callable[[float, float | None], None]
"""Called with (seconds of audio transcribed, total seconds or None)."""

BEAM_SIZE = 5


def _check_languages(options: TranscribeOptions, model_name: str) -> None:
    if model_name != BASE:
        return
    offline_environment()
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    unknown = [lang for lang in options.languages if lang not in _LANGUAGE_CODES]
    if unknown:
        raise LanguageError(
            f"the local engine cannot transcribe {', '.join(unknown)}",
            hint="Use ISO 639-1 codes of languages Whisper knows, or --engine gladia",
        )


def _check_translation(options: TranscribeOptions) -> None:
    spoken = options.languages[0] if len(options.languages) == 1 else None
    # A regional English (en-GB) is Whisper's English under the asked tag (write says so); a
    # script other than the language's usual one cannot be made at all.
    refused = [t for t in options.translate if langs.other_script(t) or (langs.base(t) != "en" and t != spoken)]
    if refused:
        raise UsageError(
            f"the local engine translates only into English, not {', '.join(refused)}",
            hint="Use --engine gladia (with GLADIA_API_KEY set) for other targets",
        )


# Whisper's speech translation, with its default fallback to sampling at rising temperatures,
# took 114 s for 10 s of hard speech (each failed segment decoded six times) and changed wording
# from run to run. Greedy decoding without the previous text as prompt, and a repetition penalty
# against the loops that greedy decoding falls into, took 3 s for the same clip, always the same.
TRANSLATE_DECODING: dict[str, object] = {
    "beam_size": BEAM_SIZE,
    "word_timestamps": True,
    "temperature": 0.0,
    "condition_on_previous_text": False,
    "repetition_penalty": 1.2,
}


class LocalEngine:
    """Offline transcription with Whisper (see the module docstring for models and choices)."""

    name = "local"
    fetches_urls = False
    takes_media = True  # ffmpeg decodes the input itself: no lossy upload copy in between
    submits_jobs = False  # a WholeEngine (engines.base): it runs here, on the whole input

    def __init__(self, model: str | None = None, threads: int | None = None, *, chunk_seconds: float = CHUNK_SECONDS) -> None:
        if model is not None and model not in MODELS:
            raise UsageError(f"unknown local model {model!r}", hint=f"Use one of: {', '.join(MODELS)}")
        self.model = model
        self.threads = threads
        self.chunk_seconds = chunk_seconds

    def check(self, options: TranscribeOptions) -> None:
        """Refuse what this engine cannot do, before any work on the input."""
        if options.code_switching:
            raise UsageError(
                "the local engine finds one language per file; --code-switching needs the Gladia engine", hint="Use --engine gladia"
            )
        if options.cues == "service":
            raise UsageError(
                "--cues service delivers the subtitle files the Gladia service writes, and the local engine writes none",
                hint="Use --engine gladia, or --cues subtool (the default: subtool's own cues, for every engine)",
            )
        model_name, _note = choose_model(options, self.model)
        _check_languages(options, model_name)
        _check_translation(options)

    def cache_tag(self, options: TranscribeOptions) -> str:
        """The model the options lead to (chosen automatically when not asked for): installing the
        multilingual model later must not serve a transcript that assumed English."""
        return choose_model(options, self.model)[0]

    def transcribe(
        self,
        audio: str | Path,
        options: TranscribeOptions,
        *,
        duration: float | None = None,
        on_status: StatusCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Transcribe the local media file ``audio`` (any file ffmpeg decodes, video or audio)."""
        status = on_status or (lambda _line: None)
        if not Path(audio).is_file():
            raise InputError("no such file", path=audio, hint="Check the path")
        self.check(options)
        model_name, note = choose_model(options, self.model)
        if note:
            status(NOTE + note)
        threads = options.threads or self.threads
        status(f"loading the {model_name} model")
        model = load_model(model_name, threads)
        try:
            return self._run(model, model_name, audio, options, duration, status, on_progress)
        except KeyboardInterrupt:
            raise Interrupted("transcription interrupted") from None

    def _run(
        self,
        model: WhisperModel,
        model_name: str,
        audio: str | Path,
        options: TranscribeOptions,
        duration: float | None,
        status: StatusCallback,
        on_progress: ProgressCallback | None,
    ) -> Transcript:
        language: str | None = options.languages[0] if len(options.languages) == 1 else None
        if model_name == TINY:
            language = "en"
        utterances: list[Utterance] = []
        english: list[Utterance] = []
        total = 0.0

        def heard(utt: Utterance) -> None:
            utterances.append(utt)
            if on_progress:
                on_progress(utt.end, duration)

        status(f"transcribing with the local {model_name} model")
        # closing(): on an error or Ctrl-C, ffmpeg is stopped now rather than when collected.
        with closing(stream_audio(audio, audio_stream=options.audio_stream, chunk_seconds=self.chunk_seconds)) as chunks:
            for offset, samples in chunks:
                total = offset + len(samples) / SAMPLE_RATE
                if language is None:
                    language = self._detect(model, samples, options.languages)
                    status(f"{NOTE}language detected: {language}")
                english += _transcribe_chunk(model, samples, offset, language, translate=any(langs.base(t) == "en" for t in options.translate),
                                             on_utterance=heard, status=status, before=utterances[-1] if utterances else None)
                if on_progress:
                    on_progress(round(total, 3), duration)
        assert language is not None
        return Transcript(
            language=language,
            utterances=utterances,
            languages=[language],
            duration=round(total, 3),
            translations=_translations(options.translate, language, english, utterances),
            engine=self.name,
            model=model_name,
            source=str(audio),
        )

    @staticmethod
    def _detect(model: WhisperModel, samples: np.ndarray, among: Sequence[str]) -> str:
        language, _prob, probs = model.detect_language(audio=samples)
        if among:
            # Several -l: detection restricted to them (Whisper ranks every language it knows).
            ranked = [code for code, _p in probs if code in among]
            return ranked[0] if ranked else among[0]
        return str(language)


# Whisper decodes 30 s windows in turn. With faster-whisper's default, the text decoded so far
# is the next window's prompt; on espeak speech (16 sentences, 58 s) that prompt made base skip
# eight sentences after a window cut mid-sentence (its temperature fallback ran for 29 s), and
# over 54 s another window it repeated the previous sentence over the next two. Without it every
# sentence came back once, in order, on 58 s and 108-116 s inputs with both models (base
# recovered 94 -> 164 of 170 words on the first, in 8 s instead of 29 s).
TRANSCRIBE_DECODING: dict[str, object] = {
    "beam_size": BEAM_SIZE,
    "word_timestamps": True,
    "condition_on_previous_text": False,
}


def _transcribe_chunk(
    model: WhisperModel, samples: np.ndarray, offset: float, language: str, *, translate: bool,
    on_utterance: Callable[[Utterance], None], status: StatusCallback, before: Utterance | None = None,
) -> list[Utterance]:
    """Whisper over one chunk starting ``offset`` seconds into the input: each utterance goes to
    ``on_utterance`` as it is decoded; a warning for one repeating the one before (``before``: the
    last of the previous chunk) and for speech no word covers goes to ``status`` (``coverage``).
    Returned: the chunk's English translation when ``translate`` and the speech is not English
    (else nothing)."""
    end = offset + len(samples) / SAMPLE_RATE
    segments, _info = model.transcribe(samples, language=language, task="transcribe", **TRANSCRIBE_DECODING)
    loudness = Loudness(samples)
    heard: list[Utterance] = []
    for utt in to_utterances(segments, offset, end, language, loudness):
        if repeats(utt, heard[-1] if heard else before):
            status(f"{WARNING}the cue at {clock(utt.start)}-{clock(utt.end)} says word for word what the one before said: "
                   f"check that it was said twice ({utt.text!r})")
        heard.append(utt)
        on_utterance(utt)
    for a, b in gaps(speech_frames(samples, loudness), heard, offset):
        status(f"{WARNING}no words for speech at {clock(a)}-{clock(math.ceil(b))} ({a:.1f}-{b:.1f} s): "
               "the local model heard nothing it could write there; check that part, or try --engine gladia")
    if not translate or language == "en":
        return []
    segments, _info = model.transcribe(samples, language=language, task="translate", **TRANSLATE_DECODING)
    return list(to_utterances(segments, offset, end, "en", loudness))


def _translations(targets: Sequence[str], language: str, english: list[Utterance], spoken: list[Utterance]) -> dict[str, list[Utterance]]:
    """The translations of the transcript: ``_check_translation`` let through only English (a
    regional English too) and the spoken language; speech in the target language needs no
    translation (``utterances_for()`` gives the spoken text), and English speech is its own
    regional English (the spoken text under the asked tag, as the service would return it)."""
    return {
        target: [dataclasses.replace(u, language=target) for u in spoken] if language == "en" else english
        for target in targets
        if target != language
    }
