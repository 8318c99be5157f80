"""What happened to a notice, and how the number of followers changes over time."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.extensions import db
from bot.models import Follower, FollowerCount, Notice, OutboxBatch, utcnow
from bot.notices.schedule import local


@dataclass
class NoticeReport:
    """Recipients of one notice by outcome, with the reasons for failures."""

    notice_id: int
    status: str
    recipients: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    skipped: int = 0  # unfollowed between queueing and sending
    batches: int = 0
    attempts: int = 0
    failures: list[tuple[str, int]] = field(default_factory=list)  # reason, recipients

    def as_dict(self) -> dict:
        """Return the report as plain data."""
        return {k: getattr(self, k) for k in ("notice_id", "status", "recipients", "delivered", "failed",
                                               "pending", "skipped", "batches", "attempts")} | {
            "failures": [{"reason": r, "recipients": n} for r, n in self.failures]}


def for_notice(notice: Notice) -> NoticeReport:
    """Count a notice's recipients as delivered, failed (with reasons) or pending."""
    report = NoticeReport(notice.id, notice.status, recipients=notice.recipients)
    reasons: Counter[str] = Counter()
    rows = db.session.execute(select(OutboxBatch.status, OutboxBatch.size, OutboxBatch.skipped,
                                     OutboxBatch.attempts, OutboxBatch.last_error)
                              .where(OutboxBatch.notice_id == notice.id))
    for status, size, skipped, attempts, error in rows:
        report.batches += 1
        report.attempts += attempts
        report.skipped += skipped
        if status == "delivered":
            report.delivered += size
        elif status == "failed":
            report.failed += size
            reasons[error or "unknown"] += size
        else:
            report.pending += size
    report.failures = reasons.most_common()
    return report


def _counts_by_status() -> dict[str, int]:
    # Simulated residents (the simulator's, the CLI's) are nobody's followers.
    return dict(db.session.execute(select(Follower.status, func.count()).where(Follower.simulated.is_(False))
                                   .group_by(Follower.status)).all())


def record_follower_count(now: datetime | None = None) -> FollowerCount:
    """Store today's follower numbers (Asia/Tokyo day), replacing today's earlier reading."""
    now = now or utcnow()
    day = local(now).date()
    counts = _counts_by_status()
    row = db.session.scalar(select(FollowerCount).where(FollowerCount.day == day))
    if row is None:
        row = FollowerCount(day=day)
        db.session.add(row)
    row.active, row.unfollowed, row.blocked = (counts.get("active", 0), counts.get("unfollowed", 0),
                                               counts.get("blocked", 0))
    row.taken_at = now
    db.session.commit()
    return row


def follower_history(days: int = 30, now: datetime | None = None) -> list[dict]:
    """Return the daily follower numbers of the last days, oldest first, today's counted live."""
    now = now or utcnow()
    since = local(now).date() - timedelta(days=days - 1)
    rows = {r.day: r.as_dict() for r in db.session.scalars(
        select(FollowerCount).where(FollowerCount.day >= since).order_by(FollowerCount.day))}
    today = local(now).date()
    counts = _counts_by_status()
    rows[today] = {"day": today.isoformat(), "active": counts.get("active", 0),
                   "unfollowed": counts.get("unfollowed", 0), "blocked": counts.get("blocked", 0)}
    return [rows[d] for d in sorted(rows)]
