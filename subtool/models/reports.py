"""What the reporting commands return: a subtitle file checked against a profile, a preset found."""

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
