"""Entries in the database: the upsert a pack import runs.

Their revisions are kept by bot/core/revisions.py and the content version by bot/core/version.py.

The pack across the features (offices, categories, forms, the rich menu, shelters) is `bot/pack/`, above this."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.core.revisions import add_revision
from bot.extensions import db
from bot.knowledge.pack import content_hash, normalise_entry
from bot.models import Entry


@dataclass
class EntryImport:
    """What importing a pack's entries did, slug by slug."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_staff_edits: list[str] = field(default_factory=list)


def _apply(entry: Entry, data: dict[str, Any]) -> None:
    for name, value in data.items():
        if name in ("updated_on", "review_by"):
            value = date.fromisoformat(value) if value else None
        setattr(entry, name, value)


def import_entries(entries: list[dict[str, Any]], *, force: bool, author: str) -> EntryImport:
    """Upsert a validated pack's entries by slug in the current transaction; keep staff edits unless forced."""
    report = EntryImport()
    existing = {e.slug: e for e in db.session.scalars(select(Entry))}
    for data in entries:
        data = normalise_entry(data)
        incoming_hash = content_hash(data)
        entry = existing.get(data["slug"])
        if entry is None:
            entry = Entry(slug=data["slug"])
            _apply(entry, data)
            entry.imported_hash = incoming_hash
            db.session.add(entry)
            db.session.flush()
            add_revision(entry, author, "import")
            report.created.append(data["slug"])
            continue
        current_hash = content_hash(entry.content())
        if current_hash == incoming_hash:
            if entry.imported_hash != incoming_hash:
                entry.imported_hash = incoming_hash
            report.unchanged.append(data["slug"])
            continue
        edited_by_staff = current_hash != entry.imported_hash
        if edited_by_staff and not force:
            report.kept_staff_edits.append(data["slug"])
            continue
        _apply(entry, data)
        entry.imported_hash = incoming_hash
        db.session.flush()
        add_revision(entry, author, "import")
        report.updated.append(data["slug"])
    return report


def exported_entries() -> list[dict[str, Any]]:
    """Return every non-archived entry's content, by slug, for `kb export`."""
    entries = db.session.scalars(select(Entry).where(Entry.archived.is_(False)).order_by(Entry.slug))
    return [e.content() for e in entries]
