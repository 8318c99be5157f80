"""Read and change the town's settings: the environment gives defaults, what admins set in the console wins."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from bot import audit
from bot.extensions import db
from bot.line.messages import Town
from bot.models import TownSetting, utcnow

# Setting key → the app config key that holds its default.
DEFAULTS = {
    "name": "TOWN_NAME",
    "contact": "TOWN_CONTACT",
    "phone": "TOWN_PHONE",
    "hours": "TOWN_HOURS",
    "website": "TOWN_WEBSITE",
    "disaster_banner": "TOWN_DISASTER_BANNER",
    "disaster_greeting": "TOWN_DISASTER_GREETING",
}
DISASTER_KEYS = ("disaster_mode", "disaster_reason", "disaster_since", "disaster_by")


@dataclass(frozen=True)
class DisasterState:
    """Whether disaster mode is on, why, since when and who switched it."""

    on: bool
    reason: str = ""
    since: datetime | None = None
    by: str = ""


def _stored() -> dict[str, str]:
    return {row.key: row.value for row in db.session.execute(db.select(TownSetting)).scalars()}


def current_town() -> Town:
    """Return the town as residents should see it now."""
    stored = _stored()
    config = current_app.config
    values = {key: stored.get(key, config[setting]) for key, setting in DEFAULTS.items()}
    return Town(**values, disaster=stored.get("disaster_mode") == "on")


def disaster_state() -> DisasterState:
    """Return the current disaster-mode state."""
    stored = _stored()
    since = stored.get("disaster_since")
    return DisasterState(on=stored.get("disaster_mode") == "on", reason=stored.get("disaster_reason", ""),
                         since=datetime.fromisoformat(since) if since else None, by=stored.get("disaster_by", ""))


def _put(key: str, value: str, actor: str) -> None:
    row = db.session.get(TownSetting, key)
    if row is None:
        row = TownSetting(key=key)
        db.session.add(row)
    row.value, row.updated_at, row.updated_by = value, utcnow(), actor


def set_disaster_mode(on: bool, reason: str, actor: str) -> None:
    """Switch disaster mode on or off with a reason, audited; the caller commits."""
    before = disaster_state()
    now = utcnow()
    _put("disaster_mode", "on" if on else "off", actor)
    _put("disaster_reason", reason, actor)
    _put("disaster_since", now.isoformat(), actor)
    _put("disaster_by", actor, actor)
    audit.record(actor, "town.disaster_on" if on else "town.disaster_off", "town", "disaster_mode",
                 summary=reason, before={"on": before.on, "reason": before.reason}, after={"on": on, "reason": reason})
