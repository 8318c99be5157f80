"""The answer categories admins manage; entries choose one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow


class Category(TownScoped, db.Model):
    """One category of the menu and the greeting, in the order residents see them."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("town_id", "name", name="uq_categories_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
