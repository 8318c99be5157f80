"""Shelters in the database: import from the pack (statuses untouched), export, staff saves and status changes."""
from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update

from bot.core import audit
from bot.core.problems import Invalid
from bot.core.records import ImportReport, assign, taken_key, upsert_by_key
from bot.extensions import db
from bot.models import Shelter, utcnow
from bot.models.shelters import STATUSES
from bot.shelters.pack import LIMITS, check_shelter, normalise_shelter, shelter_hash


ShelterImportReport = ImportReport  # what an import did to the shelters, key by key


class ShelterConflict(Exception):
    """Raised when someone else saved the shelter after this editor opened it."""


def all_shelters() -> list[Shelter]:
    """Return every shelter in the order it was added (the pack's order)."""
    return list(db.session.scalars(select(Shelter).order_by(Shelter.id)))


def open_shelters() -> list[Shelter]:
    """Return the shelters residents can go to now (開設) and those that are full (満), open first."""
    rows = db.session.scalars(select(Shelter).where(Shelter.status.in_(("open", "full"))).order_by(Shelter.id))
    return sorted(rows, key=lambda s: s.status != "open")


def import_shelters(shelters: list[dict[str, Any]], *, force: bool, author: str) -> ImportReport:
    """Upsert validated shelters by key in the caller's transaction; never touch a status; keep staff edits unless forced."""
    def written(shelter: Shelter, before: dict[str, Any] | None, data: dict[str, Any]) -> None:
        # The pack fields only were written: status, status_at and status_by stay as staff set them.
        if before is not None:
            shelter.lock_version += 1  # an edit page opened before the import must not overwrite it
        audit.record(author, "shelter.import", "shelter", shelter.key, f"避難所「{shelter.name}」を取り込み", before, data)

    return upsert_by_key(Shelter, shelters, force=force, normalise=normalise_shelter, digest=shelter_hash,
                         create=lambda: Shelter(status="closed", status_by=""), written=written)


def export_shelters() -> list[dict[str, Any]]:
    """Return every shelter as pack data (no status: that is operational)."""
    return [s.content() for s in all_shelters()]


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """Return console input as pack data: text stripped and NFKC'd where staff type full width."""
    cleaned = normalise_shelter({k: v for k, v in data.items() if k != "capacity"})
    cleaned["key"] = unicodedata.normalize("NFKC", cleaned["key"]).strip()
    capacity = data.get("capacity")
    if isinstance(capacity, str):
        capacity = unicodedata.normalize("NFKC", capacity).replace(",", "").strip()
        capacity = int(capacity) if capacity.isdigit() and len(capacity) < 10 else (capacity or None)
    cleaned["capacity"] = capacity
    return cleaned


def save_shelter(shelter: Shelter | None, data: dict[str, Any], actor: str, *,
                 expected_version: int | None = None) -> tuple[Shelter, bool]:
    """Validate and save a shelter from the console, audited with before and after; commits."""
    data = clean(data)
    if shelter is not None:
        data["key"] = shelter.key  # the pack names the shelter by key; it never changes after creation
    problems = check_shelter(data, "form", "shelter")
    if shelter is None:
        problems += taken_key(Shelter, data["key"], LIMITS["key"], "form", "shelter.key")
    if problems:
        # The form names its fields without the "shelter." the pack's problems carry.
        raise Invalid([replace(p, field=p.field.split(".", 1)[-1]) for p in problems])
    if shelter is not None and expected_version is not None and shelter.lock_version != expected_version:
        raise ShelterConflict(shelter.key)
    creating = shelter is None
    before = None if creating else shelter.content()
    if creating:
        shelter = Shelter(status="closed", status_by="")
        db.session.add(shelter)
    elif before == data:
        return shelter, False
    else:
        # Claim the next content version in one statement: of two saves from the same version, one wins.
        version = shelter.lock_version
        claimed = db.session.execute(update(Shelter).where(Shelter.id == shelter.id, Shelter.lock_version == version)
                                     .values(lock_version=version + 1), execution_options={"synchronize_session": False})
        if claimed.rowcount != 1:
            db.session.rollback()
            raise ShelterConflict(data["key"])
        shelter.lock_version = version + 1
    assign(shelter, data)
    try:
        db.session.flush()
        verb = "追加" if creating else "更新"
        audit.record(actor, "shelter.create" if creating else "shelter.edit", "shelter", shelter.key,
                     f"避難所「{shelter.name}」を{verb}", before, shelter.content())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return shelter, True


def set_status(shelter: Shelter, status: str, actor: str) -> bool:
    """Change a shelter's status (未開設 / 開設 / 満), audited with before and after; False when unchanged. Commits."""
    if status not in STATUSES:
        raise ValueError(status)
    if shelter.status == status:
        return False
    before = {"status": STATUSES.get(shelter.status, shelter.status),
              "status_at": shelter.status_at.isoformat() if shelter.status_at else None}
    now = utcnow()
    shelter.status, shelter.status_at, shelter.status_by = status, now, actor
    audit.record(actor, "shelter.status", "shelter", shelter.key,
                 f"避難所「{shelter.name}」を「{STATUSES[status]}」に変更", before,
                 {"status": STATUSES[status], "status_at": now.isoformat()})
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


def pack_text() -> str:
    """Return shelters.yaml as an export writes it: the database's shelters, the running pack's words and numbers."""
    from pathlib import Path

    import yaml
    from flask import current_app

    from bot.shelters.pack import SHELTERS_FILE, dump, validate

    path = Path(current_app.config["KNOWLEDGE_DIR"]) / SHELTERS_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        raw = None
    if not isinstance(raw, dict) or validate(raw, SHELTERS_FILE):
        raw = None  # a broken file is not copied into the export: the shelters still are
    return dump(raw, export_shelters())


def disaster_todo() -> list[tuple[str, str]]:
    """Return what the 公開準備 page lists for disaster mode: (what is missing, where staff fill it in)."""
    from bot.town.settings import current_town

    town = current_town()
    todo = []
    if not (town.power_name and town.power_contact):
        todo.append(("電力会社の連絡先（停電の質問に案内します）が未入力", "town"))
    if not (town.water_name and town.water_contact):
        todo.append(("水道の連絡先（断水の質問に案内します）が未入力", "town"))
    if db.session.scalar(select(Shelter.id).limit(1)) is None:
        todo.append(("避難所が1か所も登録されていません（計画に記載がないため、地域防災計画で確認して登録）", "shelters"))
    return todo
