"""Offices (担当課) that answers name, with their revisions."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow

OFFICE_FIELDS = ("key", "name", "phone", "hours", "email", "url", "place", "source", "review_note")


class Office(TownScoped, db.Model):
    """One office residents can call or visit; entries name it by key."""

    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("town_id", "key", name="uq_offices_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    review_note: Mapped[str] = mapped_column(Text, default="")
    # Optimistic locking, as for entries: a save must name the version it was edited from.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # Hash of the content as last imported from the pack; differs once staff edit it.
    imported_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    revisions: Mapped[list[OfficeRevision]] = relationship(
        back_populates="office", order_by="OfficeRevision.number", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    def content(self) -> dict[str, Any]:
        """Return the pack fields as plain data."""
        return {name: getattr(self, name) or "" for name in OFFICE_FIELDS}


class OfficeRevision(TownScoped, db.Model):
    """A snapshot of an office's content after one change."""

    __tablename__ = "office_revisions"
    __table_args__ = (
        UniqueConstraint("town_id", "office_id", "number", name="uq_office_revisions_office_id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(40), default="edit")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    office: Mapped[Office] = relationship(back_populates="revisions")
