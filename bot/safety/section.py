"""The safety pack section: safety.yaml is checked by `kb check` and read by every worker; nothing is stored."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.problems import Invalid, Problem
from bot.safety.rules import SAFETY_FILE, read_file


class SafetySection:
    name, files, after, empty = "safety_rules", (SAFETY_FILE,), (), 0  # how many rules the file holds

    def read(self, root: Path, pack: Any) -> tuple[int, list[Problem]]:
        path = root / SAFETY_FILE
        if not path.is_file():
            return 0, []
        try:
            return len(read_file(path).rules), []
        except Invalid as exc:
            return 0, exc.problems

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        return None  # changed in the repository, never in the console

    def load(self, pack: Any, *, force: bool, author: str) -> None:
        return None


SAFETY = SafetySection()
