"""The town's own settings that admins change in the console, over the environment's defaults."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped, require_town_id
from bot.models.timeutil import utcnow


class TownSetting(TownScoped, db.Model):
    """One town setting (name, switchboard, hours, disaster mode…) as staff set it; absent means the default."""

    __tablename__ = "town_settings"

    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), primary_key=True, default=require_town_id)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
