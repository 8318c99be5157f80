"""The follower row (one per LINE user who wrote to or followed the account): its state and the webhook's upsert.

Conversation records, notice subscriptions and simulated residents all build on this module; it imports only
the models, so none of them has to import another to name a follower.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import DateTime, bindparam, text

from bot.extensions import db
from bot.core.tenancy import execute_core
from bot.models.tenancy import require_town_id
from bot.models import Follower, utcnow

# Text, like the webhook's other upserts (bot/conversation/records.py): SQLAlchemy cannot cache ON CONFLICT.
_TOUCH = text(
    f"INSERT INTO {Follower.__tablename__} (town_id, line_user_id, status, first_seen, last_seen) "
    "VALUES (:town, :user_id, :status, :at, :at) "
    "ON CONFLICT (town_id, line_user_id) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen "
    "RETURNING id, status"
).bindparams(bindparam("at", type_=DateTime(timezone=True)))


@dataclass(frozen=True)
class FollowerState:
    """The follower row a turn touched: its id and status."""

    id: int
    status: str


def touch_follower(user_id: str, status: str = "active") -> FollowerState:
    """Create or refresh a follower; writing to us again means they follow (or unblocked) the account."""
    params = {"town": require_town_id(), "user_id": user_id, "status": status, "at": utcnow()}
    row = execute_core(_TOUCH, params).one()
    return FollowerState(row.id, row.status)
