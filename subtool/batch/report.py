"""What a batch did: one entry per item, the counts, the service pacing, the state file
(``--report`` and ``--json`` write ``BatchReport.to_dict()``, schema ``subtool.batch/1``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..errors import EXIT_FAILED


@dataclass
class ItemReport:
    input: str
    where: str
    status: str  # done | failed | skipped (done by an earlier run) | interrupted (| pending while running)
    languages: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    output: str | None = None
    error: str | None = None
    exit_code: int = 0
    job_id: str | None = None
    seconds: float | None = None
    burned: str | None = None  # the language burned into ``output`` (burn deliveries)
    violations: list[dict[str, Any]] = field(default_factory=list)  # cues of its written files that break the profile (as run's --json)
    reused: dict[str, str] = field(default_factory=dict)  # a language found already made -> where from (--reuse)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class BatchReport:
    """What a batch did: one entry per item, the counts, the service pacing, the state file."""

    items: list[ItemReport]
    state: str
    seconds: float
    engine: str
    pacing: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
    index: str | None = None  # the review pages' index.html (--preview)

    @property
    def failed(self) -> list[ItemReport]:
        return [i for i in self.items if i.status == "failed"]

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed else 0

    def counts(self) -> dict[str, int]:
        out = {"total": len(self.items), "done": 0, "skipped": 0, "failed": 0, "interrupted": 0}
        for item in self.items:
            out[item.status] = out.get(item.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "subtool.batch/1",
            "state": self.state,
            "engine": self.engine,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
            "index": self.index,
            "counts": self.counts(),
            "pacing": self.pacing,
            "items": [i.to_dict() for i in self.items],
        }
