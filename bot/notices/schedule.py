"""When notices go out: scheduled times in the town's time zone, held back during quiet hours."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select

from bot.extensions import db
from bot.models import Notice, utcnow
from bot.notices import outbox
from bot.notices.settings import local_zone, quiet_hours

log = logging.getLogger(__name__)


def as_utc(moment: datetime) -> datetime:
    """Return an aware UTC datetime; naive values (SQLite gives them back) are UTC already."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_local(value: str) -> datetime:
    """Parse an ISO 8601 time; without an offset it is the town's local time (Asia/Tokyo)."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(timezone.utc)


def local(moment: datetime) -> datetime:
    """Return a moment in the town's time zone."""
    return as_utc(moment).astimezone(local_zone())


def in_quiet_hours(moment: datetime) -> bool:
    """Tell whether nothing may be released at this moment."""
    quiet = quiet_hours()
    return bool(quiet and quiet.contains(local(moment).time()))


def next_allowed(moment: datetime) -> datetime:
    """Return the first moment at or after this one that is outside quiet hours (UTC)."""
    quiet = quiet_hours()
    here = local(moment)
    if not quiet or not quiet.contains(here.time()):
        return as_utc(moment)
    end = here.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= here:
        end += timedelta(days=1)
    return end.astimezone(timezone.utc)


def planned_release(notice: Notice, now: datetime | None = None) -> datetime:
    """Return when a scheduled notice will actually go out, quiet hours included."""
    now = now or utcnow()
    wanted = max(as_utc(notice.send_at), now) if notice.send_at else now
    return next_allowed(wanted)


def release_due(now: datetime | None = None) -> list[int]:
    """Queue every approved notice whose time has come; return their ids."""
    now = now or utcnow()
    if in_quiet_hours(now):
        return []
    due = select(Notice.id).where(
        Notice.status == "scheduled", or_(Notice.send_at.is_(None), Notice.send_at <= now)
    ).order_by(Notice.id)
    ids = list(db.session.scalars(due))
    db.session.rollback()
    released = [notice_id for notice_id in ids if outbox.enqueue(notice_id, now) is not None]
    for notice_id in released:
        log.info("notice %s queued for delivery", notice_id)
    return released
