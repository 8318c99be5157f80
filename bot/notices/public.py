"""Which approved notices the public page, the feed and the signage screens show at a moment."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from bot.extensions import db
from bot.models import Notice, utcnow
from bot.notices.channels import CHANNEL_LABELS, DISPLAY_CHANNELS  # noqa: F401  (labels for the templates)
from bot.notices.schedule import as_utc

# Past the approval gate: the only statuses a notice may be seen in outside the console.
APPROVED = ("scheduled", "sending", "sent")


def display_start(notice: Notice) -> datetime | None:
    """Return when the notice's display begins (UTC): its start, else its approval; None while unapproved."""
    if notice.status not in APPROVED:
        return None
    gate = notice.approved_at or notice.requested_at  # approval, or the request when no approval is needed
    # A start typed before the approval came is not when the public first saw it: that was the approval.
    moments = [as_utc(m) for m in (notice.display_from, gate) if m is not None]
    return max(moments) if moments else None


def _start_column():
    return func.coalesce(Notice.display_from, Notice.approved_at, Notice.requested_at)


def _on_channel(channel: str):
    # Channels are stored as a JSON list of our own fixed words; its text form is portable on SQLite and PostgreSQL.
    return cast(Notice.channels, String).like(f'%"{channel}"%')


def displayed(session: Session | None, now: datetime | None, channel: str,
              facility_id: int | None = None) -> list[Notice]:
    """Return the approved notices shown on a channel at now, newest first; signage may name its facility."""
    if channel not in DISPLAY_CHANNELS:
        raise ValueError(f"not a display channel: {channel!r}")
    session = session or db.session
    now = as_utc(now or utcnow())
    query = (select(Notice)
             .where(Notice.status.in_(APPROVED), Notice.unpublished_at.is_(None), _on_channel(channel),
                    _start_column().is_not(None), _start_column() <= now,
                    or_(Notice.display_until.is_(None), Notice.display_until > now))
             .order_by(_start_column().desc(), Notice.id.desc()))
    notices = [n for n in session.scalars(query) if channel in (n.channels or ())]
    notices.sort(key=lambda n: (display_start(n), n.id), reverse=True)
    if channel == "signage" and facility_id is not None:
        notices = [n for n in notices if not n.signage_facility_ids or facility_id in n.signage_facility_ids]
    return notices


def last_change(session: Session | None, now: datetime | None, channel: str) -> datetime | None:
    """Return the last moment a notice appeared on or left a display channel, up to now (UTC)."""
    session = session or db.session
    now = as_utc(now or utcnow())
    start = _start_column()
    approved = Notice.status.in_(APPROVED)
    # A draft's planned period says nothing about what the public saw: only approved notices and take-downs count.
    row = session.execute(
        select(func.max(case((and_(approved, start <= now), start))),
               func.max(case((and_(approved, Notice.display_until <= now), Notice.display_until))),
               func.max(Notice.unpublished_at),
               # An approval that came after the planned start is when the notice appeared.
               func.max(case((and_(approved, Notice.approved_at <= now), Notice.approved_at))),
               func.max(case((and_(approved, Notice.approved_at.is_(None), Notice.requested_at <= now),
                              Notice.requested_at))))
        .where(Notice.status.in_((*APPROVED, "cancelled")), _on_channel(channel))).one()
    moments = [as_utc(m) for m in row if m is not None]
    return max(moments) if moments else None


def shown_now(notice: Notice, channel: str, now: datetime | None = None) -> bool:
    """Tell whether this one notice is shown on a display channel at now."""
    return display_state(notice, now) == "live" and channel in (notice.channels or ())


def display_state(notice: Notice, now: datetime | None = None) -> str | None:
    """Return upcoming, live or ended for an approved notice with a display channel; None otherwise."""
    if not set(notice.channels or ()) & set(DISPLAY_CHANNELS):
        return None
    start = display_start(notice)
    if start is None:
        return None
    now = as_utc(now or utcnow())
    if notice.unpublished_at is not None or (notice.display_until and as_utc(notice.display_until) <= now):
        return "ended"
    return "live" if start <= now else "upcoming"


DISPLAY_LABELS = {"upcoming": "公開予定", "live": "公開中", "ended": "公開終了"}
