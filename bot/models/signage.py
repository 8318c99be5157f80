"""Facilities with signage screens, and each screen's key and heartbeat."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow


class Facility(TownScoped, db.Model):
    """A public facility (施設) where the city shows notices on one or more screens."""

    __tablename__ = "facilities"
    __table_args__ = (UniqueConstraint("town_id", "name", name="uq_facilities_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    screens: Mapped[list[Screen]] = relationship(back_populates="facility", order_by="Screen.id")


class Screen(TownScoped, db.Model):
    """One kiosk screen; its URL carries a random key of which only a hash is stored."""

    __tablename__ = "signage_screens"
    __table_args__ = (UniqueConstraint("town_id", "key_digest", name="uq_signage_screens_key_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    key_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    facility: Mapped[Facility] = relationship(back_populates="screens")
