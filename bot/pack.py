"""The knowledge pack across the features: import and export every pack file in one go.

A pack import writes the offices, shelters, entries, categories, forms and rich menu in one transaction and
bumps the knowledge version once when it changed what the bot serves. This module sits above the features
it composes; none of them imports it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.extensions import db
from bot.forms.definition import write_forms
from bot.forms.store import import_forms, latest_definitions
from bot.knowledge import categories
from bot.knowledge.pack import Pack, write_pack
from bot.knowledge.store import bump_version, exported_entries, import_entries
from bot.offices.store import export_offices, import_offices
from bot.richmenu.store import export_menus, import_menus
from bot.shelters.pack import SHELTERS_FILE
from bot.shelters.store import import_shelters, pack_text


@dataclass
class ImportReport:
    """What an import did, slug by slug."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_staff_edits: list[str] = field(default_factory=list)
    form_versions: list[str] = field(default_factory=list)  # forms that got a new version (bot.forms)
    offices: Any = None  # bot.offices.store.OfficeImportReport when the pack has offices.yaml
    shelters: Any = None  # bot.shelters.store.ShelterImportReport when the pack has shelters.yaml

    @property
    def changed(self) -> bool:
        """Tell whether anything was written."""
        return bool(self.created or self.updated or (self.offices is not None and self.offices.changed)
                    or (self.shelters is not None and self.shelters.changed))


def import_pack(pack: Pack, *, force: bool = False, author: str = "kb import") -> ImportReport:
    """Upsert a validated pack by slug in one transaction; keep staff edits unless forced."""
    report = ImportReport()
    try:
        if pack.offices is not None:
            # Before the entries, which name them.
            report.offices = import_offices(pack.offices, force=force, author=author)
        if pack.shelters is not None:
            # Statuses are operational: an import adds and corrects shelters, never opens or closes one.
            report.shelters = import_shelters(pack.shelters, force=force, author=author)
        entries = import_entries(pack.entries, force=force, author=author)
        report.created, report.updated = entries.created, entries.updated
        report.unchanged, report.kept_staff_edits = entries.unchanged, entries.kept_staff_edits
        # A pack without a list keeps what the entries use, so no entry is left outside the managed list.
        categories.sync(pack.categories or list(dict.fromkeys(e["category"] for e in pack.entries)))
        report.form_versions = import_forms(pack.forms, author)
        if pack.richmenu:
            # After the categories, which the rich menu builds on.
            report.kept_staff_edits.extend(import_menus(pack.richmenu, force=force, author=author))
        if report.changed:
            bump_version()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def export_pack(directory: str | Path, synonyms: dict[str, list[str]] | None = None) -> int:
    """Write every non-archived entry and the category list to a pack directory; return how many entries."""
    entries = exported_entries()
    write_pack(directory, entries, synonyms, categories.names(), export_offices())
    write_forms(Path(directory), latest_definitions())
    export_menus(str(directory))
    (Path(directory) / SHELTERS_FILE).write_text(pack_text(), encoding="utf-8")
    return len(entries)
