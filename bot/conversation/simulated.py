"""Simulated residents: who the simulator and `flask ask --user` stand in for, never counted as followers."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Boolean, DateTime, bindparam, delete, select, text

from bot.extensions import db
from bot.models.tenancy import require_town_id
from bot.followers import FollowerState
from bot.models import Follower, NoticeOptOut, Subscription, TopicOffer, utcnow
from bot.models.followers import SIMULATED_PREFIX

# LINE user ids are "U" and 32 hex digits, so nothing with this prefix can be a real resident.
_BROWSER = SIMULATED_PREFIX + "web-"
_CLI = SIMULATED_PREFIX + "cli-"

# An upsert, so two tabs of one browser session cannot race each other into a duplicate key. It sets the flag
# on insert; the webhook's upserts only ever update status and last_seen, so the flag stays.
_TOUCH = text(
    f"INSERT INTO {Follower.__tablename__} (town_id, line_user_id, status, simulated, first_seen, last_seen) "
    "VALUES (:town, :user_id, 'active', :simulated, :at, :at) "
    "ON CONFLICT (town_id, line_user_id) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen "
    "RETURNING id, status"
).bindparams(bindparam("at", type_=DateTime(timezone=True)), bindparam("simulated", type_=Boolean))


def new_browser_id() -> str:
    """Return a fresh random id for one simulator browser session."""
    return _BROWSER + secrets.token_hex(16)


def cli_id(name: str) -> str:
    """Return the id of the CLI's simulated resident called name (any text; the same name is the same resident)."""
    return _CLI + hashlib.sha256(name.encode()).hexdigest()[:32]


def is_simulated(user_id: str | None) -> bool:
    """Tell whether an id belongs to a simulated resident."""
    return bool(user_id) and user_id.startswith(SIMULATED_PREFIX)


def touch(user_id: str) -> FollowerState:
    """Create or refresh a simulated resident's follower row, flagged so no audience or count includes it."""
    if not is_simulated(user_id):
        raise ValueError("not a simulated resident id")
    params = {"town": require_town_id(), "user_id": user_id, "simulated": True, "at": utcnow()}
    row = db.session.execute(_TOUCH, params).one()
    return FollowerState(row.id, row.status)


def purge(before: datetime) -> int:
    """Delete simulated residents last seen before a moment, with their notice settings; return how many."""
    stale = select(Follower.id).where(Follower.simulated.is_(True), Follower.last_seen < before)
    # SQLite does not enforce the foreign keys' ON DELETE CASCADE: delete the settings first, on every backend.
    for table in (Subscription, TopicOffer, NoticeOptOut):
        db.session.execute(delete(table).where(table.follower_id.in_(stale)))
    return db.session.execute(delete(Follower).where(Follower.id.in_(stale))).rowcount
