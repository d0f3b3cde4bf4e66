"""What an engine returns, whatever the engine; ``<stem>.transcript.json``.

``Transcript.to_dict`` / ``Transcript.from_dict`` define ``<stem>.transcript.json`` (schema
``subtool.transcript/1``): times are seconds (floats), languages ISO 639-1 codes. Fields are only
ever added (``shot_changes`` and ``frame_rate`` were): a file without them reads as before, and a
field a newer version added is ignored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TRANSCRIPT_SCHEMA = "subtool.transcript/1"


@dataclass
class Word:
    text: str
    start: float
    end: float
    confidence: float | None = None


@dataclass
class Utterance:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: int | None = None
    language: str | None = None
    confidence: float | None = None
    channel: int | None = None


@dataclass
class Transcript:
    """What an engine returns, whatever the engine.

    ``language`` is the spoken language (ISO 639-1), None when no speech was found (then
    ``utterances`` is empty); ``translations`` maps each target language to utterances timed like
    the source (one may be empty, ``text == ""``, when the service left it untranslated);
    ``subtitles`` maps a language to ``{format: text}`` when the service wrote subtitle files itself.
    """

    language: str | None
    utterances: list[Utterance] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    duration: float | None = None
    translations: dict[str, list[Utterance]] = field(default_factory=dict)
    subtitles: dict[str, dict[str, str]] = field(default_factory=dict)
    engine: str = ""
    model: str | None = None
    job_ids: list[str] = field(default_factory=list)
    source: str | None = None
    # The video's shot changes (seconds, the first frame of each new shot) and its frame rate, when
    # they were looked for (``--shot-changes``); None when not. Files without them still read.
    shot_changes: list[float] | None = None
    frame_rate: float | None = None

    @property
    def text(self) -> str:
        return " ".join(u.text.strip() for u in self.utterances if u.text.strip())

    def all_languages(self) -> list[str]:
        """The spoken language first (when speech was found), then each translation in request order."""
        out = [self.language] if self.language else []
        out += [lang for lang in self.translations if lang not in out]
        return out

    def spoken(self, language: str) -> bool:
        """Whether ``language`` has any text to show (not every translated utterance may)."""
        return any(u.text.strip() for u in self.utterances_for(language))

    def utterances_for(self, language: str) -> list[Utterance]:
        if language == self.language:
            return self.utterances
        return self.translations[language]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {"schema": TRANSCRIPT_SCHEMA, **d}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        def utts(items: list[dict[str, Any]]) -> list[Utterance]:
            out = []
            for u in items:
                u = dict(u)
                u["words"] = [Word(**w) for w in u.get("words", [])]
                out.append(Utterance(**u))
            return out

        # A field this version does not know (a newer subtool's) is left out rather than refused.
        known = set(cls.__dataclass_fields__)
        d = {k: v for k, v in data.items() if k in known}
        d["utterances"] = utts(d.get("utterances", []))
        d["translations"] = {k: utts(v) for k, v in d.get("translations", {}).items()}
        return cls(**d)
