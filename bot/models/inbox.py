"""What staff did with an unanswered question in the inbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow

ACTIONS = ("dismissed", "alternate", "new_entry")


class InboxResolution(TownScoped, db.Model):
    """Marks one logged question as handled, so it leaves the inbox."""

    __tablename__ = "inbox_resolutions"
    __table_args__ = (UniqueConstraint("town_id", "question_id", name="uq_inbox_resolutions_question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question_log.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    entry_slug: Mapped[str | None] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
