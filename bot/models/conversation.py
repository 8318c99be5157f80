"""Webhook dedupe records and the masked question log."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow


class ProcessedEvent(TownScoped, db.Model):
    """A webhook event already handled; the unique id makes redelivery a no-op."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("town_id", "webhook_event_id", name="uq_processed_events_webhook_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(40), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class QuestionLog(TownScoped, db.Model):
    """One resident question: masked text, hashed user, outcome and timing."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    text: Mapped[str] = mapped_column(Text)
    user_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    channel: Mapped[str] = mapped_column(String(20), default="line")
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    entry_slug: Mapped[str | None] = mapped_column(String(80), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    feedback: Mapped[str | None] = mapped_column(String(10))
    # A safety reply's flag for staff: "urgent" (緊急) or "care" (要配慮: crisis, violence at home, child abuse).
    # Such a message is listed in the inbox apart from the unanswered ones, never capped, never learnt from.
    safety_flag: Mapped[str | None] = mapped_column(String(10), index=True)
    # What the bot told the resident: [{"slug", "title", "numbers"}] of the rules that answered.
    safety_reply: Mapped[list[Any] | None] = mapped_column(JSON)
