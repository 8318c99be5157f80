"""The shelters' pack section: shelters.yaml (避難所). An import adds and corrects shelters, never opens one."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.problems import load_yaml
from bot.core.problems import Problem
from bot.shelters.pack import SHELTERS_FILE, normalise_shelter, validate
from bot.shelters.store import import_shelters, pack_text


class SheltersSection:
    name, files, after, empty = "shelters", (SHELTERS_FILE,), (), None  # None: the pack has no shelters.yaml

    def read(self, root: Path, pack: Any) -> tuple[list[dict[str, Any]] | None, list[Problem]]:
        path = root / SHELTERS_FILE
        if not path.is_file():
            return None, []
        raw, problems = load_yaml(path)
        if problems:
            return None, problems
        problems = validate(raw, path.name)
        return ([] if problems else [normalise_shelter(s) for s in (raw or {}).get("shelters") or []]), problems

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        (root / SHELTERS_FILE).write_text(pack_text(), encoding="utf-8")
        return None

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, Any] | None:
        if pack.shelters is None:
            return None
        # Statuses are operational: an import adds and corrects shelters, never opens or closes one.
        report = import_shelters(pack.shelters, force=force, author=author)
        return report.changed, report


SHELTERS = SheltersSection()
