"""Offices in the database: import from the pack, export, and staff saves with revisions and audit."""
from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from bot.core import audit
from bot.core.revisions import add_revision
from bot.core.version import bump_version
from bot.core.problems import Invalid
from bot.core.records import ImportReport, assign, taken_key, upsert_by_key
from bot.extensions import db
from bot.models import Entry, Office
from bot.offices.pack import LIMITS, check_office, normalise_office, office_hash


OfficeImportReport = ImportReport  # what an import did to the offices, key by key


class OfficeConflict(Exception):
    """Raised when someone else saved the office after this editor opened it."""


def office_keys() -> set[str]:
    """Return the keys entries may name."""
    return set(db.session.scalars(select(Office.key)))


def all_offices() -> list[Office]:
    """Return every office in the order the pack lists them."""
    return list(db.session.scalars(select(Office).order_by(Office.id)))


def import_offices(offices: list[dict[str, Any]], *, force: bool, author: str) -> ImportReport:
    """Upsert validated offices by key in the caller's transaction; keep staff edits unless forced."""
    def written(office: Office, before: dict[str, Any] | None, data: dict[str, Any]) -> None:
        add_revision(office, author, "import")
        audit.record(author, "office.import", "office", office.key, f"担当課「{office.name}」を取り込み", before, data)

    return upsert_by_key(Office, offices, force=force, normalise=normalise_office, digest=office_hash, create=Office,
                         written=written)


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
    if office is None:
        problems += taken_key(Office, data["key"], LIMITS["key"], "form", "office.key")
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
    assign(office, data)
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


def entry_counts() -> dict[str, int]:
    """Return how many live entries name each office, by key."""
    return dict(db.session.execute(select(Entry.office, func.count(Entry.id))
                                   .where(Entry.archived.is_(False), Entry.office != "").group_by(Entry.office)).all())


def entries_naming(key: str) -> list[Entry]:
    """Return the live entries that name an office."""
    return list(db.session.scalars(select(Entry).where(Entry.office == key, Entry.archived.is_(False))
                                   .order_by(Entry.slug)))


def export_offices() -> list[dict[str, str]]:
    """Return every office as pack data, in the pack's order."""
    return [o.content() for o in all_offices()]
