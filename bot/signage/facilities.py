"""Manage facilities and their screens: create, rename, delete, add a screen, issue a new key, retire.

Each change is audited and committed here, or refused with a Japanese Invalid before anything changes.
"""
from __future__ import annotations

import unicodedata

from sqlalchemy import select

from bot.core import audit
from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import Facility, Screen, utcnow
from bot.publicurl import absolute
from bot.signage import keys

MAX_NAME, MAX_PLACE, MAX_SCREEN_NAME = 100, 200, 100


def _clean(text: str | None, limit: int, what: str, required: bool = True) -> str:
    value = " ".join(unicodedata.normalize("NFC", text or "").split())
    if required and not value:
        raise Invalid(f"{what}を入力してください。")
    if len(value) > limit:
        raise Invalid(f"{what}は{limit}文字以内にしてください。")
    return value


def all_facilities() -> list[Facility]:
    """Return every facility with its screens, by name."""
    return list(db.session.scalars(select(Facility).order_by(Facility.name)))


def by_name(name: str) -> Facility | None:
    """Return the facility with this name, or None."""
    return db.session.scalar(select(Facility).where(Facility.name == _clean(name, MAX_NAME, "施設名")))


def _name_taken(name: str, but: Facility | None = None) -> bool:
    found = db.session.scalar(select(Facility).where(Facility.name == name))
    return found is not None and found is not but


def create(name: str, place: str, by: str) -> Facility:
    """Add a facility."""
    facility = _new_facility(name, place, by)
    db.session.commit()
    return facility


def _new_facility(name: str, place: str, by: str) -> Facility:
    name, place = _clean(name, MAX_NAME, "施設名"), _clean(place, MAX_PLACE, "場所", required=False)
    if _name_taken(name):
        raise Invalid(f"「{name}」という施設はもうあります。")
    facility = Facility(name=name, place=place)
    db.session.add(facility)
    db.session.flush()
    audit.record(by, "signage.facility.add", "facility", facility.id, summary=name, after={"name": name, "place": place})
    return facility


def rename(facility: Facility, name: str, place: str, by: str) -> None:
    """Change a facility's name and place."""
    name, place = _clean(name, MAX_NAME, "施設名"), _clean(place, MAX_PLACE, "場所", required=False)
    if _name_taken(name, but=facility):
        raise Invalid(f"「{name}」という施設はもうあります。")
    before = {"name": facility.name, "place": facility.place}
    facility.name, facility.place = name, place
    audit.record(by, "signage.facility.edit", "facility", facility.id, summary=name, before=before,
                 after={"name": name, "place": place})
    db.session.commit()


def delete(facility: Facility, by: str) -> None:
    """Delete a facility that has no live screen (its retired screens go with it)."""
    if any(s.retired_at is None for s in facility.screens):
        raise Invalid("使用中の画面がある施設は削除できません。先に画面をすべて廃止してください。")
    audit.record(by, "signage.facility.delete", "facility", facility.id, summary=facility.name,
                 before={"name": facility.name, "place": facility.place, "screens": len(facility.screens)})
    for screen in list(facility.screens):
        db.session.delete(screen)
    db.session.delete(facility)
    db.session.commit()


def screen_url(key: str, base: str | None = None) -> str:
    """Return the absolute kiosk URL for a key."""
    return absolute(f"/signage/{key}", base)


def add_screen(facility: Facility, name: str, by: str) -> tuple[Screen, str]:
    """Add a screen to a facility and return it with its key (shown once, never stored)."""
    screen, key = _new_screen(facility, name, by)
    db.session.commit()
    return screen, key


def add_screen_at(facility_name: str, name: str, place: str, by: str) -> tuple[Facility, Screen, str]:
    """Add a screen to the facility of that name, creating the facility first if it is new, in one transaction."""
    try:
        facility = by_name(facility_name) or _new_facility(facility_name, place, by)
        screen, key = _new_screen(facility, name, by)
    except Invalid:
        db.session.rollback()
        raise
    db.session.commit()
    return facility, screen, key


def _new_screen(facility: Facility, name: str, by: str) -> tuple[Screen, str]:
    name = _clean(name, MAX_SCREEN_NAME, "画面の名前", required=False) or f"画面{len(facility.screens) + 1}"
    key = keys.new_key()
    screen = Screen(facility=facility, name=name, key_digest=keys.digest(key))
    db.session.add(screen)
    db.session.flush()
    audit.record(by, "signage.screen.add", "screen", screen.id, summary=f"{facility.name} {name}",
                 after={"facility": facility.name, "name": name})
    return screen, key


def new_key_for(screen: Screen, by: str) -> str:
    """Give a live screen a new key (the old URL stops working at once) and return it."""
    if screen.retired_at is not None:
        raise Invalid("廃止した画面のURLは再発行できません。新しい画面を追加してください。")
    key = keys.new_key()
    screen.key_digest = keys.digest(key)
    screen.last_seen_at = None  # the kiosk must be set up with the new URL before it reports again
    audit.record(by, "signage.screen.rekey", "screen", screen.id, summary=f"{screen.facility.name} {screen.name}")
    db.session.commit()
    return key


def retire(screen: Screen, by: str) -> None:
    """Retire a screen: its URL stops working for good."""
    if screen.retired_at is not None:
        raise Invalid("この画面はもう廃止されています。")
    screen.retired_at = utcnow()
    audit.record(by, "signage.screen.retire", "screen", screen.id, summary=f"{screen.facility.name} {screen.name}")
    db.session.commit()
