"""What staff did with an unanswered question in the inbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.timeutil import utcnow

ACTIONS = ("dismissed", "alternate", "new_entry")


class InboxResolution(db.Model):
    """Marks one logged question as handled, so it leaves the inbox."""

    __tablename__ = "inbox_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question_log.id", ondelete="CASCADE"), unique=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    entry_slug: Mapped[str | None] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
