"""The reminder the day before a booking: pushed exactly once, even when a worker crashes.

Each booking carries its own retry key from the moment it is made. A worker claims a due reminder with a
compare-and-set (pending → sending) and commits before calling LINE; after LINE accepts, it marks it sent. A worker
that dies in between leaves the claim behind: once the lease runs out another worker claims it again and pushes
with the same retry key, and LINE answers 409 (already accepted) instead of delivering a second time. A push that
never got through goes back to pending and is tried again next round.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy import and_, or_, select, update

from bot.booking import calendar as cal
from bot.booking import store
from bot.core import audit
from bot.extensions import db
from bot.line.channels import town_gateway
from bot.line.messages import text as text_message
from bot.models import Booking, utcnow
from bot.models.timeutil import to_local

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claim older than this belongs to a worker that died
REMIND_FROM = time(9, 0)  # the day before, from 9:00 in the town
MAX_ATTEMPTS = 5
# Called after LINE accepted a push and before it is marked sent: the crash tests stop a worker exactly there.
after_push: Callable[[Booking], None] | None = None


def _due(now: datetime):
    local = to_local(now)
    tomorrow = local.date() + timedelta(days=1)
    if local.time() < REMIND_FROM:
        return None
    start = cal.utc(cal.local_moment(tomorrow, time(0)))
    end = cal.utc(cal.local_moment(tomorrow + timedelta(days=1), time(0)))
    return and_(Booking.status == "booked", Booking.line_user_id != "", Booking.starts_at >= start,
                Booking.starts_at < end, Booking.starts_at > now,
                or_(Booking.reminder_state == "pending",
                    and_(Booking.reminder_state == "sending", Booking.reminder_claimed_at < now - LEASE)))


def send_due(now: datetime | None = None) -> int:
    """Push every due reminder of the current town; return how many LINE accepted this round."""
    now = now or utcnow()
    condition = _due(now)
    if condition is None:
        return 0
    ids = list(db.session.scalars(select(Booking.id).where(condition).order_by(Booking.starts_at).limit(200)))
    db.session.commit()
    sent = 0
    for booking_id in ids:
        claimed = db.session.execute(update(Booking).where(Booking.id == booking_id, condition).values(
            reminder_state="sending", reminder_claimed_at=now, reminder_attempts=Booking.reminder_attempts + 1)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()  # the claim is visible to other workers before LINE is called
        if claimed != 1:
            continue  # another worker has it
        row = db.session.get(Booking, booking_id)
        db.session.refresh(row)
        sent += _push(row, now)
    return sent


def _push(row: Booking, now: datetime) -> int:
    from bot.conversation.simulated import is_simulated

    if is_simulated(row.line_user_id):
        row.reminder_state = "skipped"
        db.session.commit()
        return 0
    body = (f"明日は施設の予約日です。\n受付番号：{row.receipt_no}\n{store.summary(row)}\n\n"
            "行けなくなったときは、「予約の取消」と送るか、施設へご連絡ください。")
    result = town_gateway().push(row.line_user_id, [text_message(body)], row.reminder_key)
    if not result.ok and result.status != 409:
        # Not accepted: try again next round (the same retry key), up to MAX_ATTEMPTS.
        row.reminder_state = "pending" if row.reminder_attempts < MAX_ATTEMPTS else "failed"
        row.reminder_claimed_at = None
        db.session.commit()
        log.warning("booking %s: reminder push failed (status %s)", row.receipt_no, result.status)
        return 0
    if after_push is not None:
        after_push(row)
    done = db.session.execute(update(Booking).where(Booking.id == row.id, Booking.reminder_state == "sending")
                              .values(reminder_state="sent", reminder_sent_at=now)
                              .execution_options(synchronize_session=False)).rowcount
    if done:
        audit.record("reminder", "booking.remind", "booking", row.receipt_no,
                     f"受付番号 {row.receipt_no} に前日のお知らせ" + ("（再送は LINE が重複として受け付けず）" if result.status == 409 else ""))
    db.session.commit()
    return 1 if result.ok else 0
