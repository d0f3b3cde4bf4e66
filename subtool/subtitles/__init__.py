"""Subtitle tracks: build cues under a profile, write SRT/VTT/ASS, read third-party files, check.

One concept per module:

- ``limits``: a profile's limits for one language (width, lines, reading speed, durations, gaps).
- ``wording``: each language's function words, as data in ``wording.json``.
- ``tokens``: words (or CJK characters) as tokens with their timing, widths and word classes.
- ``segment``: tokens gathered into runs, one per cue, sentence by sentence (``gather``).
- ``lines``: a cue's tokens broken into balanced lines.
- ``layout``: runs made cues (speaker dashes, two quick turns in one cue).
- ``timing``: cue times stretched for reading speed and minimum duration, never overlapping.
- ``shots``: cue edges timed to the video's shot changes.
- ``rules``: built cues checked with ``check``'s code and repaired with the room the rules allow.
- ``template``: translations on the spoken language's cue times.
- ``build``: all of it for one language (``build_track``) or a transcript (``build_tracks``).
- ``conform``: other people's files made to meet a profile, words untouched.
- ``burnfit``: how many lines a burn style draws a cue on.
- ``write``: cues written as SRT, WebVTT and ASS files with pysubs2 (``write_tracks``).
- ``decode``: a file's bytes as text (byte order marks, ``--encoding``, legacy code pages chosen
  by their letters, the declared language's first, in ``codepages.json``; UTF-8 with a few stray bytes).
- ``letters``: which writing system a reading's letters belong to (the alphabets are data in
  ``alphabets.json``).
- ``screen``, ``substation``: what pysubs2 would misread, fixed before it parses (bad cue blocks,
  WebVTT blocks, number lines; ASS/SSA Format lines and drawings).
- ``read``: any tool's subtitle file read (``read_subtitles``; ``read_text`` for text not yet written).
- ``check``: every way each cue breaks a profile (``check_cues``).
- ``model``: the package's data (``Cue``, ``BuiltTrack``, ``SubtitleDoc``, ``BadBlock``, ``Violation``).

Parsing and writing are pysubs2's; this package only builds cues and cleans what pysubs2 would
misread. The names below are the package's interface; the modules' other names are theirs.
"""

from .build import TEMPLATES, build_cues, build_track, build_tracks
from .check import check_cues
from .decode import CHAOS_MARGIN, as_text, check_encoding
from .limits import min_gap
from .model import BadBlock, Cue, SubtitleDoc, Violation
from .read import OVERLAP_FORMATS, normalize_service_subtitles, read_subtitles, read_text, trim_overlaps
from .write import FORMATS, cues_to_ssafile, planned_paths, sidecar_path, write_built, write_track, write_tracks

__all__ = [
    "CHAOS_MARGIN",
    "FORMATS",
    "OVERLAP_FORMATS",
    "TEMPLATES",
    "BadBlock",
    "Cue",
    "SubtitleDoc",
    "Violation",
    "as_text",
    "build_cues",
    "build_track",
    "build_tracks",
    "check_cues",
    "check_encoding",
    "cues_to_ssafile",
    "min_gap",
    "normalize_service_subtitles",
    "planned_paths",
    "read_subtitles",
    "read_text",
    "sidecar_path",
    "trim_overlaps",
    "write_built",
    "write_track",
    "write_tracks",
]
