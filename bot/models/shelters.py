"""Shelters (避難所): what the pack lists and, kept apart from it, whether each is open now."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow

# The pack's fields; the status is operational and lives only here (an import never touches it).
SHELTER_FIELDS = ("key", "name", "address", "kinds", "capacity", "note", "source", "review_note")
# 未開設 / 開設 / 満: the codes stored and sent to screens, the words staff and residents see.
STATUSES = {"closed": "未開設", "open": "開設", "full": "満"}


class Shelter(TownScoped, db.Model):
    """One shelter residents can go to, with its status as staff last set it."""

    __tablename__ = "shelters"
    __table_args__ = (UniqueConstraint("town_id", "key", name="uq_shelters_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # codes from bot.shelters.pack.KINDS
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    review_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="closed")
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status_by: Mapped[str] = mapped_column(String(200), default="")
    # Hash of the content as last imported from the pack; differs once staff edit it.
    imported_hash: Mapped[str] = mapped_column(String(64), default="")
    # Counts content saves only (bot.shelters.store.save_shelter): a status tap while someone edits the address
    # must not make their save a conflict. Two taps on the status are last-write-wins, each one audited.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    def content(self) -> dict[str, Any]:
        """Return the pack fields as plain data."""
        return {"key": self.key, "name": self.name, "address": self.address or "", "kinds": list(self.kinds or []),
                "capacity": self.capacity, "note": self.note or "", "source": self.source or "",
                "review_note": self.review_note or ""}

    @property
    def status_label(self) -> str:
        """Return the status as staff and residents read it."""
        return STATUSES.get(self.status, self.status)
