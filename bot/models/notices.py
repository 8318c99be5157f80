"""Notices to residents: topic subscriptions, the notices themselves and their delivery outbox."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow


class Subscription(TownScoped, db.Model):
    """A follower's wish to hear about one topic."""

    __tablename__ = "notice_subscriptions"
    __table_args__ = (
        UniqueConstraint("town_id", "follower_id", "topic", name="uq_notice_subscriptions_follower_id_topic"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("followers.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(80), index=True)
    source: Mapped[str] = mapped_column(String(20), default="settings")  # settings | answer
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TopicOffer(TownScoped, db.Model):
    """That a follower was once offered a topic's notices under an answer, so it is never offered again."""

    __tablename__ = "notice_offers"
    __table_args__ = (UniqueConstraint("town_id", "follower_id", "topic", name="uq_notice_offers_follower_id_topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("followers.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(80))
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NoticeOptOut(TownScoped, db.Model):
    """A follower who said 「配信停止」: no notice at all, not even those addressed to everyone."""

    __tablename__ = "notice_optouts"
    __table_args__ = (UniqueConstraint("town_id", "follower_id", name="uq_notice_optouts_follower_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("followers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notice(TownScoped, db.Model):
    """One announcement to residents: what it says, to whom, when, and who approved it."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(500), default="")
    entry_slug: Mapped[str] = mapped_column(String(80), default="")
    # Empty topics means every active follower who has not opted out.
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # draft → pending_approval (when the two-person rule is on) → scheduled → sending → sent, or cancelled.
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    send_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: as soon as allowed
    created_by: Mapped[str] = mapped_column(String(200), default="")
    # Everyone who wrote or changed the content, the creator first: none of them may approve it.
    editors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Raised on every change of content, audience or time; an approval names the revision its approver saw.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str] = mapped_column(String(200), default="")
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str] = mapped_column(String(200), default="")
    test_sent_to: Mapped[str] = mapped_column(String(64), default="")
    test_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # Where the notice goes once approved: "line" (sent once), "signage" and "web" (shown in the display period).
    channels: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["line"])
    # Facilities whose screens show it; empty means every screen.
    signage_facility_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    display_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: from approval
    display_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: until cancelled
    # Taken off the page, the feed and the screens after it went out on LINE (a sent message cannot be recalled).
    unpublished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unpublished_by: Mapped[str] = mapped_column(String(200), default="")

    batches: Mapped[list[OutboxBatch]] = relationship(back_populates="notice", order_by="OutboxBatch.id")


class TestRecipient(TownScoped, db.Model):
    """A staff member's LINE account that admins allow notices to be test-sent to."""

    __tablename__ = "notice_test_recipients"
    __table_args__ = (UniqueConstraint("town_id", "line_user_id", name="uq_notice_test_recipients_line_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    line_user_id: Mapped[str] = mapped_column(String(33))
    added_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxBatch(TownScoped, db.Model):
    """Up to 500 recipients of one notice, sent as one multicast under one retry key."""

    __tablename__ = "notice_batches"
    __table_args__ = (
        UniqueConstraint("town_id", "retry_key", name="uq_notice_batches_retry_key"),
        Index("ix_notice_batches_claim", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    user_ids: Mapped[list[str]] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(Integer)
    # The same key on every try: LINE answers 409 instead of delivering a second time.
    retry_key: Mapped[str] = mapped_column(String(36))
    # pending → sending (claimed by a worker) → delivered | failed; back to pending to retry.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    first_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    # Recipients dropped before the first try because they unfollowed after the notice was queued.
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    notice: Mapped[Notice] = relationship(back_populates="batches")


class WorkerLease(db.Model):
    """A named, expiring lock: on SQLite only one worker delivers at a time."""

    __tablename__ = "notice_worker_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FollowerCount(TownScoped, db.Model):
    """The number of followers on one day (Asia/Tokyo), for the follower chart."""

    __tablename__ = "follower_counts"
    __table_args__ = (UniqueConstraint("town_id", "day", name="uq_follower_counts_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    active: Mapped[int] = mapped_column(Integer, default=0)
    unfollowed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def as_dict(self) -> dict[str, Any]:
        """Return the row as plain data."""
        return {"day": self.day.isoformat(), "active": self.active, "unfollowed": self.unfollowed,
                "blocked": self.blocked}
