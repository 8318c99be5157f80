"""Choose between answering, suggesting and falling back for a ranked candidate list."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .model import Candidate, Decision


@dataclass(frozen=True)
class Thresholds:
    """Hold the calibrated cut-offs on Candidate.score."""

    answer: float
    suggest: float
    margin: float


DEFAULT_THRESHOLDS = Thresholds(answer=0.45, suggest=0.25, margin=0.05)
MAX_SUGGESTIONS = 3


def decide(candidates: Sequence[Candidate], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    """Return answer, suggest or fallback for candidates ranked best first."""
    if not candidates:
        return Decision("fallback", ())
    top = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if top.score >= thresholds.answer and top.score - runner_up >= thresholds.margin:
        return Decision("answer", tuple(candidates[:MAX_SUGGESTIONS]))
    if top.score >= thresholds.suggest:
        close = [c for c in candidates[:MAX_SUGGESTIONS] if c.score >= thresholds.suggest]
        return Decision("suggest", tuple(close))
    return Decision("fallback", tuple(candidates[:MAX_SUGGESTIONS]))
