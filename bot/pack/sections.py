"""The pack's sections, in the order they are read, checked and imported.

A section is one feature's part of the knowledge pack (its file or files). The feature writes it in its own
`section.py`; this list is the only place that knows them all. Adding a section: write the module, add one line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from bot.booking.section import FACILITIES
from bot.forms.section import FORMS
from bot.knowledge.section import CATEGORIES, ENTRIES, SYNONYMS
from bot.kpi.section import KPI
from bot.offices.section import OFFICES
from bot.core.problems import Problem
from bot.richmenu.section import RICHMENU
from bot.safety.section import SAFETY
from bot.shelters.section import SHELTERS


class Section(Protocol):
    """One feature's part of the pack. Features match this shape without importing it (features never import the pack)."""

    name: str  # the Pack attribute that holds what read() returned, and the key in ImportReport.results
    files: tuple[str, ...]  # the files it owns at the top of a pack directory (the entries take every other *.yaml)
    after: tuple[str, ...]  # the sections it needs read and imported before it
    empty: Any  # its value in a pack that has not got it

    def read(self, root: Path, pack: Any) -> tuple[Any, list[Problem]]:
        """Read and check its files; `pack` already holds every section listed above it. Write nothing."""

    def export(self, root: Path, given: dict[str, Any]) -> int | None:
        """Write what the database holds into the pack directory; return how many items, or None."""

    def load(self, pack: Any, *, force: bool, author: str) -> tuple[bool, Any] | None:
        """Import into the current transaction (no commit); return (changed what the bot serves, report) or None."""


SECTIONS: tuple[Section, ...] = (
    SYNONYMS,    # synonyms.yaml
    SAFETY,      # safety.yaml
    OFFICES,     # offices.yaml: before the entries, which name them
    SHELTERS,    # shelters.yaml
    CATEGORIES,  # categories.yaml: before the entries and the rich menu, which use them
    ENTRIES,     # <slug>.yaml, every other top-level file
    FORMS,       # forms/<slug>.yaml
    RICHMENU,    # richmenu.yaml
    KPI,         # kpi.yaml: the plan's KPIs (actuals are entered in the console)
    FACILITIES,  # facilities.yaml: the facilities residents may book from LINE (shipped empty)
)
BY_NAME = {section.name: section for section in SECTIONS}
FILES = frozenset(name for section in SECTIONS for name in section.files)


def check_order(sections: tuple[Section, ...]) -> list[str]:
    """Return what is wrong with the list's order: a section listed before one it comes after, or twice."""
    problems, seen = [], set()
    for section in sections:
        if section.name in seen:
            problems.append(f"{section.name} is listed twice")
        problems += [f"{section.name} comes after {name}" for name in section.after if name not in seen]
        seen.add(section.name)
    return problems
