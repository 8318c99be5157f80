"""Signed links to a form that have been used: each LINE link ties one application to its resident once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.timeutil import utcnow


class FormLinkUse(db.Model):
    """The random nonce of a LINE form link that a submission consumed; a second use is a replay."""

    __tablename__ = "form_link_uses"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
