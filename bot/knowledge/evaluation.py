"""Score the bot's decisions against labelled resident questions."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from bot.matching import Decision


@dataclass(frozen=True)
class Case:
    """One labelled question: the entries that would be a right answer ([] = out of scope)."""

    q: str
    expect: tuple[str, ...]


@dataclass
class Scores:
    """The four bars from the eval README, with the misses kept for reading."""

    in_scope: int = 0
    out_of_scope: int = 0
    answered_right: int = 0
    helpful: int = 0
    answered_wrong: int = 0
    false_answers: int = 0
    misses: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Return the rates and counts as plain data."""
        def rate(n: int, d: int) -> float:
            return round(n / d, 4) if d else 0.0
        return {
            "n_in_scope": self.in_scope,
            "n_out_of_scope": self.out_of_scope,
            "answer_accuracy": rate(self.answered_right, self.in_scope),
            "helpful_rate": rate(self.helpful, self.in_scope),
            "wrong_answer_rate": rate(self.answered_wrong, self.in_scope),
            "out_of_scope_false_answer_rate": rate(self.false_answers, self.out_of_scope),
        }


def read_cases(path: str | Path) -> list[Case]:
    """Read {"q", "expect"} lines, skipping blank ones."""
    cases = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            cases.append(Case(q=row["q"], expect=tuple(row.get("expect") or ())))
    return cases


def evaluate(cases: Iterable[Case], decide: Callable[[str], Decision]) -> Scores:
    """Run every case through decide() and count the outcomes."""
    scores = Scores()
    for case in cases:
        decision = decide(case.q)
        top = decision.top.id if decision.top else None
        answered = decision.outcome == "answer"
        suggested = {c.id for c in decision.candidates} if decision.outcome == "suggest" else set()
        if not case.expect:
            scores.out_of_scope += 1
            if answered:
                scores.false_answers += 1
                scores.misses.append({"q": case.q, "expect": [], "got": decision.outcome, "top": top})
            continue
        scores.in_scope += 1
        right = answered and top in case.expect
        scores.answered_right += right
        scores.answered_wrong += answered and not right
        helped = right or bool(suggested & set(case.expect))
        scores.helpful += helped
        if not right:
            scores.misses.append({"q": case.q, "expect": list(case.expect), "got": decision.outcome,
                                  "top": top, "candidates": [c.id for c in decision.candidates]})
    return scores
