"""Towns as tenants: the `towns` table, the current town, and the `town_id` every town table carries.

A deployment serves one town (the default, made by the migration) or many. Every row of a town's data names its
town; bot/core/tenancy.py filters every ORM query by the current town and fails closed when there is none, and on
PostgreSQL row-level security enforces the same in the database (migrations/versions/0022_towns.py).
"""
from __future__ import annotations

from datetime import datetime

from flask.globals import _cv_app
from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from bot.extensions import db
from bot.models.timeutil import utcnow

ACTIVE, SUSPENDED = "active", "suspended"
TOWN_STATUSES = (ACTIVE, SUSPENDED)
DEFAULT_TOWN_ID = 1  # the town an upgraded single-town database moved into


class NoTownSelected(RuntimeError):
    """A query or a new row touched a town's data with no current town: the application fails closed."""


def current_town_id() -> int | None:
    """Return the id of the town this request or job works for, or None outside any town."""
    # Every ORM statement and new row asks, several times per webhook: read the app context's `g` directly instead
    # of through the `g` and has_app_context() proxies (Flask's own context variable; same answer, a third the cost).
    ctx = _cv_app.get(None)
    return None if ctx is None else ctx.g.__dict__.get("town_id")


def require_town_id() -> int:
    """Return the current town's id; raise NoTownSelected when there is none."""
    town_id = current_town_id()
    if town_id is None:
        raise NoTownSelected("no current town: town data is reachable only inside a town (request, job or --town)")
    return town_id


class Tenant(db.Model):
    """A town served by this deployment: its slug, name, LINE channel and status."""

    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # its path prefix: /<slug>/callback, /<slug>/admin/
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=ACTIVE)
    # The LINE channel, encrypted at rest with TOWN_SECRETS_KEY (bot/line/channels.py); empty: the default town uses
    # the environment's LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN (the single-town default), any other has none.
    line_channel_secret: Mapped[str] = mapped_column(Text, default="")
    line_access_token: Mapped[str] = mapped_column(Text, default="")
    # The bot's user id: a webhook body's `destination` must equal it. Empty: recorded from the first verified webhook.
    line_bot_user_id: Mapped[str] = mapped_column(String(64), default="")
    pack_dir: Mapped[str] = mapped_column(String(500), default="")  # where its knowledge pack came from
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


class TownScoped:
    """Mixin for every table that holds a town's data: a `town_id`, set from the current town on insert."""

    @declared_attr
    def town_id(cls) -> Mapped[int]:  # noqa: N805 (declared_attr passes the class)
        return mapped_column(ForeignKey("towns.id"), index=True, default=require_town_id)
