"""Value types the matcher takes and returns."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """Hold one FAQ entry as the matcher sees it."""

    id: str
    title: str
    questions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    answer: str = ""
    category: str = ""


@dataclass(frozen=True)
class Candidate:
    """Hold one ranked entry with a calibrated 0..1 score and the reasons for it."""

    id: str
    title: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """Hold what the bot should do with a query and the candidates behind that choice."""

    outcome: str  # "answer" | "suggest" | "fallback"
    candidates: tuple[Candidate, ...] = ()

    @property
    def top(self) -> Candidate | None:
        """Return the best candidate, if any."""
        return self.candidates[0] if self.candidates else None
