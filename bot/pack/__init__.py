"""The knowledge pack: read, check, import and export every section in one go (see bot/pack/sections.py).

A pack import writes every section in one transaction and bumps the knowledge version once when any section
changed what the bot serves. This package sits above the features it composes; none of them imports it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.extensions import db
from bot.core.version import bump_version
from bot.pack.sections import BY_NAME, FILES, SECTIONS, check_order
from bot.core.problems import Invalid, Problem
from bot.pack import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)

__all__ = ["ImportReport", "Invalid", "Pack", "export_pack", "import_pack", "read_pack"]
if check_order(SECTIONS):  # a section listed before one it needs: refuse to start rather than read it wrong
    raise RuntimeError("bot/pack/sections.py: " + "; ".join(check_order(SECTIONS)))


class Pack:
    """A validated pack: one value per section, as attributes (pack.entries, pack.offices, ...)."""

    files = FILES  # what the sections own, so the entries know which files are theirs

    def __init__(self, **values: Any):
        unknown = set(values) - set(BY_NAME)
        if unknown:
            raise TypeError(f"no pack section named {', '.join(sorted(unknown))}")
        self.values = values

    def __getattr__(self, name: str) -> Any:
        if name not in BY_NAME:
            raise AttributeError(name)
        empty = BY_NAME[name].empty
        return self.values.setdefault(name, empty.copy() if hasattr(empty, "copy") else empty)


def read_pack(directory: str | Path) -> Pack:
    """Read and validate a pack directory section by section; raise Invalid listing every problem."""
    root = Path(directory)
    if not root.is_dir():
        raise Invalid([Problem(str(root), "-", "フォルダがありません（知識パックのフォルダを指定してください）")])
    pack, problems = Pack(), []
    for section in SECTIONS:
        pack.values[section.name], found = section.read(root, pack)
        problems += found
    if problems:
        raise Invalid(problems)
    return pack


@dataclass
class ImportReport:
    """What an import did, section by section."""

    results: dict[str, Any] = field(default_factory=dict)  # section name -> its own report
    changed: bool = False  # whether any section changed what the bot serves (the version was bumped)

    @property
    def created(self) -> list[str]:
        return self.results["entries"].created if "entries" in self.results else []

    @property
    def updated(self) -> list[str]:
        return self.results["entries"].updated if "entries" in self.results else []

    @property
    def unchanged(self) -> list[str]:
        return self.results["entries"].unchanged if "entries" in self.results else []

    @property
    def kept_staff_edits(self) -> list[str]:
        """Entries (by slug) and rich menus (richmenu:<mode>) staff edited since the last import, kept."""
        entries = self.results["entries"].kept_staff_edits if "entries" in self.results else []
        return [*entries, *self.results.get("richmenu", [])]

    @property
    def form_versions(self) -> list[str]:
        return self.results.get("forms", [])

    @property
    def offices(self) -> Any:
        return self.results.get("offices")  # bot.offices.store.OfficeImportReport when the pack has offices.yaml

    @property
    def shelters(self) -> Any:
        return self.results.get("shelters")  # bot.shelters.store.ShelterImportReport when it has shelters.yaml

    @property
    def kpi(self) -> Any:
        return self.results.get("kpi")  # bot.core.records.ImportReport when the pack has kpi.yaml

    @property
    def facilities(self) -> Any:
        return self.results.get("facilities")  # bot.core.records.ImportReport when the pack has facilities.yaml


def import_pack(pack: Pack, *, force: bool = False, author: str = "kb import") -> ImportReport:
    """Import every section in one transaction, keeping staff edits unless forced; bump the version at most once."""
    report = ImportReport()
    try:
        for section in SECTIONS:
            outcome = section.load(pack, force=force, author=author)
            if outcome is not None:
                changed, report.results[section.name] = outcome
                report.changed = report.changed or changed
        if report.changed:
            bump_version()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def export_pack(directory: str | Path, synonyms: dict[str, list[str]] | None = None) -> int:
    """Write what the database holds, section by section, to a pack directory; return how many entries."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    given = {"synonyms": synonyms}
    counts = {section.name: section.export(root, given) for section in SECTIONS}
    return counts["entries"]
