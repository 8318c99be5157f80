"""Signed links to a form that have been used: each LINE link ties one application to its resident once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped, require_town_id
from bot.models.timeutil import utcnow


class FormLinkUse(TownScoped, db.Model):
    """The random nonce of a LINE form link that a submission consumed; a second use is a replay."""

    __tablename__ = "form_link_uses"

    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), primary_key=True, default=require_town_id)
    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
