"""Rich menus published to LINE: which menu id each mode has, since when, and what it replaced."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow


class RichMenuPublication(TownScoped, db.Model):
    """One menu created at LINE for a mode (normal or disaster); the newest unreplaced row is the current one."""

    __tablename__ = "richmenu_publications"
    __table_args__ = (UniqueConstraint("town_id", "line_menu_id", name="uq_richmenu_publications_line_menu_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(20), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    line_menu_id: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(254), default="")
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The menu as residents got it (bot.richmenu.review.snapshot): the next publish shows its changes against this.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
