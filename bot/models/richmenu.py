"""The rich menu as staff edited it: one definition per mode, with an optional uploaded image."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped, require_town_id
from bot.models.timeutil import utcnow


class RichMenuDefinition(TownScoped, db.Model):
    """One menu (normal or 災害時): layout, chat-bar text and tiles, and the designed image if staff uploaded one."""

    __tablename__ = "rich_menu_definitions"

    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), primary_key=True, default=require_town_id)
    mode: Mapped[str] = mapped_column(String(20), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    image: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # NULL: rendered from the labels
    image_type: Mapped[str | None] = mapped_column(String(20), nullable=True)  # image/png | image/jpeg
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
