"""The KPIs' pack section: kpi.yaml (総合戦略のKPI). An import adds and corrects the plan's KPIs, never an actual."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.problems import Problem, load_yaml
from bot.kpi.pack import KPI_FILE, normalise_kpi, validate
from bot.kpi.store import import_kpis, pack_text


class KpiSection:
    name, files, after, empty = "kpi", (KPI_FILE,), (), None  # None: the pack has no kpi.yaml

    def read(self, root: Path, pack: Any) -> tuple[list[dict[str, Any]] | None, list[Problem]]:
        path = root / KPI_FILE
        if not path.is_file():
            return None, []
        raw, problems = load_yaml(path)
        if problems:
            return None, problems
        problems = validate(raw, path.name)
        if problems or raw is None:
            return ([] if problems else None), problems
        return [normalise_kpi(k, n) for n, k in enumerate(raw["kpis"], start=1)], []

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        (root / KPI_FILE).write_text(pack_text(), encoding="utf-8")
        return None

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, Any] | None:
        if pack.kpi is None:
            return None
        # The board is not what the bot answers from: an import never bumps the knowledge version for it.
        return False, import_kpis(pack.kpi, author=author)


KPI = KpiSection()
