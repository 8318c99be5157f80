"""Entries in the database: import, export, save with revisions, and the version counter."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot.extensions import db
from bot.knowledge.pack import Pack, content_hash, normalise_entry, write_pack
from bot.models import Entry, EntryRevision, KnowledgeVersion, utcnow


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


# Every webhook asks this: a Core statement built once skips the ORM's compile path and the cache-key walk.
_CURRENT_VERSION = select(KnowledgeVersion.__table__.c.version).where(KnowledgeVersion.__table__.c.id == 1)


def current_version() -> int:
    """Return the knowledge version every worker compares its index against."""
    version = db.session.execute(_CURRENT_VERSION).scalar()
    return version or 0


def bump_version() -> None:
    """Increase the knowledge version inside the current transaction."""
    result = db.session.execute(
        update(KnowledgeVersion)
        .where(KnowledgeVersion.id == 1)
        .values(version=KnowledgeVersion.version + 1, changed_at=utcnow())
    )
    if result.rowcount == 0:
        db.session.add(KnowledgeVersion(id=1, version=1))


def _apply(entry: Entry, data: dict[str, Any]) -> None:
    for name, value in data.items():
        if name in ("updated_on", "review_by"):
            value = date.fromisoformat(value) if value else None
        setattr(entry, name, value)


def add_revision(entry: Entry, author: str, reason: str) -> EntryRevision:
    """Record the entry's current content as its next revision."""
    number = (db.session.scalar(
        select(db.func.max(EntryRevision.number)).where(EntryRevision.entry_id == entry.id)
    ) or 0) + 1
    revision = EntryRevision(entry=entry, number=number, data=entry.content(), author=author, reason=reason)
    db.session.add(revision)
    return revision


def import_pack(pack: Pack, *, force: bool = False, author: str = "kb import") -> ImportReport:
    """Upsert a validated pack by slug in one transaction; keep staff edits unless forced."""
    report = ImportReport()
    existing = {e.slug: e for e in db.session.scalars(select(Entry))}
    try:
        if pack.offices is not None:
            from bot.offices.store import import_offices  # offices build on this module

            # Before the entries, which name them.
            report.offices = import_offices(pack.offices, force=force, author=author)
        if pack.shelters is not None:
            from bot.shelters.store import import_shelters  # shelters build on this module

            # Statuses are operational: an import adds and corrects shelters, never opens or closes one.
            report.shelters = import_shelters(pack.shelters, force=force, author=author)
        for data in pack.entries:
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
        from bot.knowledge.categories import sync  # categories builds on this module

        # A pack without a list keeps what the entries use, so no entry is left outside the managed list.
        sync(pack.categories or list(dict.fromkeys(e["category"] for e in pack.entries)))
        from bot.forms.store import import_forms

        report.form_versions = import_forms(pack.forms, author)
        if pack.richmenu:
            from bot.richmenu.store import import_menus  # the rich menu builds on the categories

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
    from bot.knowledge.categories import names
    from bot.offices.store import export_offices

    entries = db.session.scalars(select(Entry).where(Entry.archived.is_(False)).order_by(Entry.slug)).all()
    write_pack(directory, [e.content() for e in entries], synonyms, names(), export_offices())
    from bot.forms.definition import write_forms
    from bot.forms.store import latest_definitions

    write_forms(Path(directory), latest_definitions())
    from bot.richmenu.store import export_menus

    export_menus(str(directory))
    from bot.shelters.pack import SHELTERS_FILE
    from bot.shelters.store import pack_text

    (Path(directory) / SHELTERS_FILE).write_text(pack_text(), encoding="utf-8")
    return len(entries)
