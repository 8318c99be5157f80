"""The offices' pack section: offices.yaml (担当課), imported before the entries that name them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.problems import load_yaml
from bot.offices.pack import OFFICES_FILE, dump_offices, normalise_office, validate_offices
from bot.offices.store import export_offices, import_offices
from bot.core.problems import Problem


class OfficesSection:
    name, files, after, empty = "offices", (OFFICES_FILE,), (), None  # None: the pack has no offices.yaml

    def read(self, root: Path, pack: Any) -> tuple[list[dict[str, str]] | None, list[Problem]]:
        path = root / OFFICES_FILE
        if not path.is_file():
            return None, []
        raw, problems = load_yaml(path)
        if problems:
            return None, problems
        problems = validate_offices(raw, path.name)
        return ([] if problems else [normalise_office(o) for o in raw or []]), problems

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        offices = export_offices()
        (root / OFFICES_FILE).write_text(dump_offices(offices), encoding="utf-8")
        return len(offices)

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, Any] | None:
        if pack.offices is None:
            return None
        report = import_offices(pack.offices, force=force, author=author)
        return report.changed, report


OFFICES = OfficesSection()
