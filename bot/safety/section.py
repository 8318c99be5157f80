"""The safety pack section: safety.yaml is checked by `kb check` and read by every worker; nothing is stored."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.problems import Invalid, Problem
from bot.safety import model as learned
from bot.safety.rules import SAFETY_FILE, read_file


class SafetySection:
    """safety.yaml, and beside it the learned second opinion safety-model.yaml (optional)."""

    name, files, after, empty = "safety_rules", (SAFETY_FILE, learned.MODEL_FILE), (), 0  # how many rules

    def read(self, root: Path, pack: Any) -> tuple[int, list[Problem]]:
        path = root / SAFETY_FILE
        count, problems, slugs = 0, [], None
        if path.is_file():
            try:
                rules = read_file(path).rules
                count, slugs = len(rules), [r.slug for r in rules]
            except Invalid as exc:
                problems = exc.problems
        model = root / learned.MODEL_FILE
        if model.is_file():
            try:
                learned.read_file(model, slugs if slugs is not None else None)
            except Invalid as exc:
                problems += [Problem(p.file, p.field, p.message + "（このままでは学習モデルは使われず、ルールだけで判定します）")
                             for p in exc.problems]
        return count, problems

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        return None  # changed in the repository, never in the console

    def load(self, pack: Any, *, force: bool, author: str) -> None:
        return None


SAFETY = SafetySection()
