"""Offices in the database: import from the pack, export, and staff saves with revisions and audit."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from bot.core import audit
from bot.extensions import db
from bot.knowledge.store import bump_version
from bot.models import Entry, Office, OfficeRevision
from bot.offices.pack import LIMITS, check_office, normalise_office, office_hash
from bot.core.problems import Invalid, Problem
from bot.core.textrules import SLUG_RE


@dataclass
class OfficeImportReport:
    """What an import did to the offices, key by key."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_staff_edits: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Tell whether anything was written."""
        return bool(self.created or self.updated)


class OfficeConflict(Exception):
    """Raised when someone else saved the office after this editor opened it."""


def office_keys() -> set[str]:
    """Return the keys entries may name."""
    return set(db.session.scalars(select(Office.key)))


def all_offices() -> list[Office]:
    """Return every office in the order the pack lists them."""
    return list(db.session.scalars(select(Office).order_by(Office.id)))


def add_revision(office: Office, author: str, reason: str) -> OfficeRevision:
    """Record the office's current content as its next revision."""
    number = (db.session.scalar(
        select(func.max(OfficeRevision.number)).where(OfficeRevision.office_id == office.id)) or 0) + 1
    revision = OfficeRevision(office=office, number=number, data=office.content(), author=author, reason=reason)
    db.session.add(revision)
    return revision


def _assign(office: Office, data: dict[str, str]) -> None:
    for name, value in data.items():
        setattr(office, name, value)


def import_offices(offices: list[dict[str, Any]], *, force: bool, author: str) -> OfficeImportReport:
    """Upsert validated offices by key in the caller's transaction; keep staff edits unless forced."""
    report = OfficeImportReport()
    existing = {o.key: o for o in db.session.scalars(select(Office))}
    for raw in offices:
        data = normalise_office(raw)
        incoming = office_hash(data)
        office = existing.get(data["key"])
        if office is None:
            office = Office()
            _assign(office, data)
            office.imported_hash = incoming
            db.session.add(office)
            db.session.flush()
            add_revision(office, author, "import")
            audit.record(author, "office.import", "office", office.key, f"担当課「{office.name}」を取り込み", None, data)
            report.created.append(data["key"])
            continue
        current = office_hash(office.content())
        if current == incoming:
            office.imported_hash = incoming
            report.unchanged.append(data["key"])
            continue
        if current != office.imported_hash and not force:
            report.kept_staff_edits.append(data["key"])
            continue
        before = office.content()
        _assign(office, data)
        office.imported_hash = incoming
        db.session.flush()
        add_revision(office, author, "import")
        audit.record(author, "office.import", "office", office.key, f"担当課「{office.name}」を取り込み", before, data)
        report.updated.append(data["key"])
    return report


def _clean(data: dict[str, Any]) -> dict[str, str]:
    cleaned = normalise_office(data)
    # Staff type 〇一二四 in full width or with spaces; the pack's rule stays strict for files.
    cleaned["phone"] = "".join(unicodedata.normalize("NFKC", cleaned["phone"]).split()).replace("ー", "-")
    cleaned["email"] = unicodedata.normalize("NFKC", cleaned["email"])
    return cleaned


def save_office(office: Office | None, data: dict[str, Any], actor: str, *,
                expected_version: int | None = None) -> tuple[Office, bool]:
    """Validate and save an office from the console: a revision, an audit row and a knowledge version bump."""
    data = _clean(data)
    if office is not None:
        data["key"] = office.key  # entries name the office by key; it never changes after creation
    problems = check_office(data, "form", "office")
    # Only a well-formed key reaches the database (PostgreSQL refuses a NUL even in a query).
    well_formed = bool(SLUG_RE.match(data["key"])) and len(data["key"]) <= LIMITS["key"]
    if office is None and well_formed and db.session.scalar(select(Office.id).where(Office.key == data["key"])):
        problems.append(Problem("form", "office.key", "この識別名はすでに使われています"))
    if problems:
        # The form names its fields without the "office." the pack's problems carry.
        raise Invalid([replace(p, field=p.field.split(".", 1)[-1]) for p in problems])
    if office is not None and expected_version is not None and office.lock_version != expected_version:
        raise OfficeConflict(office.key)
    creating = office is None
    before = None if creating else office.content()
    if creating:
        office = Office()
        db.session.add(office)
    _assign(office, data)
    if before == office.content():
        return office, False
    try:
        db.session.flush()
        add_revision(office, actor, "create" if creating else "edit")
        # Answers carry the office: every worker must rebuild its snapshot to show the new phone.
        bump_version()
        verb = "作成" if creating else "更新"
        audit.record(actor, "office.create" if creating else "office.edit", "office", office.key,
                     f"担当課「{office.name}」を{verb}", before, office.content())
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise OfficeConflict(data["key"]) from None
    except Exception:
        db.session.rollback()
        raise
    return office, True


def entries_naming(key: str) -> list[Entry]:
    """Return the live entries that name an office."""
    return list(db.session.scalars(select(Entry).where(Entry.office == key, Entry.archived.is_(False))
                                   .order_by(Entry.slug)))


def export_offices() -> list[dict[str, str]]:
    """Return every office as pack data, in the pack's order."""
    return [o.content() for o in all_offices()]
