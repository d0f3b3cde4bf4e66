"""What the reporting commands return: a subtitle file checked against a profile, a preset found,
a cue a written track could not make meet its profile, a file conformed to a profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CheckedFile:
    """One file read as subtitles and checked (``subtool check``). ``error``: why it could not be
    read at all; ``violations``: each cue that breaks the profile (``subtitles.Violation``: cue
    number, times, rule, message; a block that could not be read has its line number instead)."""

    path: str
    profile: str
    error: str | None = None
    format: str | None = None
    encoding: str | None = None
    cues: int = 0
    notes: list[str] = field(default_factory=list)  # what reading had to fix (CRLF, a code page...)
    warnings: list[str] = field(default_factory=list)  # notes that may mean a wrong reading
    violations: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.violations


@dataclass(frozen=True)
class PresetInfo:
    """A preset file found (shipped or the user's); ``error`` says why a malformed one cannot be used."""

    name: str
    kind: str | None  # "profile" | "mux" | "burn"; None when malformed
    origin: str  # "builtin" | "user"
    path: str
    overrides: str | None  # the shipped file a user preset hides
    description: str = ""
    error: str | None = None


@dataclass(frozen=True)
class CueProblem:
    """A cue of a written (or conformed) track that still breaks its profile: which track, the cue
    number (1-based, as players count), its times, the rule (``check``'s code) and what is wrong.
    ``template``: the language whose cue times the track follows (the translation does not fit
    that template cue), None for a track with its own timing. ``cues``: "service" when the file is
    the service's own (``--cues service``), "subtool" when subtool built it."""

    language: str | None
    cue: int
    start: float
    end: float
    code: str
    message: str
    path: str | None = None
    template: str | None = None
    cues: str = "subtool"  # whose cues: subtool's own, or the service's subtitle file as it wrote it (--cues service)

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "path": self.path, "cue": self.cue, "start": round(self.start, 3), "end": round(self.end, 3),
                "code": self.code, "message": self.message, "template": self.template, "cues": self.cues}


@dataclass
class ConformedFile:
    """One subtitle file conformed to a profile (``subtool conform``): where it was written, what
    was changed (one line per change, cue numbers of the input), and what still breaks the profile
    (cue numbers of the output). ``before``/``after``: how many cues broke it in and out."""

    path: str
    output: str | None
    profile: str
    cues_in: int = 0
    cues_out: int = 0
    changes: list[str] = field(default_factory=list)
    problems: list[CueProblem] = field(default_factory=list)
    before: int = 0
    after: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "output": self.output, "profile": self.profile, "cues_in": self.cues_in, "cues_out": self.cues_out,
                "before": self.before, "after": self.after, "changes": self.changes, "violations": [p.to_dict() for p in self.problems],
                "notes": self.notes, "error": self.error}


@dataclass
class ExtractedTrack:
    """One subtitle stream of a video (``subtool extract``): where its text was written
    (``output``), or why not (``refused``: an image-based stream, which needs OCR)."""

    stream: int
    codec: str | None
    language: str | None
    forced: bool
    output: str | None = None
    format: str | None = None
    refused: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "codec": self.codec, "language": self.language, "forced": self.forced, "output": self.output,
                "format": self.format, "refused": self.refused}


@dataclass
class ConvertedFile:
    """One subtitle file converted (``subtool convert``): the output, its cues, what the target
    format dropped or the retiming changed (``warnings``), what reading fixed (``notes``), or
    why it could not be read (``error``)."""

    path: str
    output: str | None
    format: str
    cues: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "output": self.output, "format": self.format, "cues": self.cues, "warnings": self.warnings,
                "notes": self.notes, "error": self.error}
