"""Retention of bookings' personal data: a town setting (booking_retention_days, default BOOKING_RETENTION_DAYS)
and the purge that clears the name, phone, LINE user id, purpose and memo of bookings whose day is older than it.

What stays (facility, unit, time, people, status, channel, receipt number) keeps the calendar's history and the
counts. The purge writes one audit row per run, with the count only."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import or_, update

from bot.booking import calendar as cal
from bot.core import audit
from bot.core.problems import Invalid
from bot.core.tenancy import keyed
from bot.extensions import db
from bot.models import Booking, TownSetting, utcnow
from bot.models.timeutil import to_local

KEY = "booking_retention_days"
LOW, HIGH = 1, 100 * 366
PERSONAL = ("name", "phone", "line_user_id", "purpose", "memo")


def default_days() -> int:
    return int(current_app.config["BOOKING_RETENTION_DAYS"])


def raw_value() -> str:
    """Return the setting as text: what an admin set, else the app's default."""
    row = keyed(TownSetting, KEY)
    return row.value if row is not None else str(default_days())


def days() -> int:
    """Return the current town's retention period in days (after the booking's day)."""
    raw = raw_value().strip()
    return int(raw) if raw.isascii() and raw.isdigit() and LOW <= int(raw) <= HIGH else default_days()


def check(raw: str) -> int:
    """Return the number of days typed, or raise Invalid with a Japanese message."""
    text = (raw or "").strip()
    if not text:
        raise Invalid(f"保存期間（日）を {LOW}〜{HIGH} の整数で入力してください（空欄にはできません）。", KEY)
    if not (text.isascii() and text.isdigit() and LOW <= int(text) <= HIGH):
        raise Invalid(f"保存期間（日）は {LOW}〜{HIGH} の半角の整数で入力してください（例：365）。", KEY)
    return int(text)


def save(raw: str, actor: str) -> bool:
    """Store the period, audited, and commit; False when it did not change. Raise Invalid for a bad value."""
    value = str(check(raw))
    before = raw_value()
    if value == before:
        return False
    row = keyed(TownSetting, KEY)
    if row is None:
        row = TownSetting(key=KEY)
        db.session.add(row)
    row.value, row.updated_at, row.updated_by = value, utcnow(), actor
    audit.record(actor, "booking.retention", "booking", "", f"施設予約の個人情報の保存期間を{value}日に変更",
                 {KEY: before}, {KEY: value})
    db.session.commit()
    return True


def cutoff(keep: int, now: datetime | None = None) -> datetime:
    """Return the moment (UTC-aware) before which a booking's day is older than `keep` days (Japan's days)."""
    today: date = to_local(now or utcnow()).date()
    return cal.utc(cal.local_moment(today - timedelta(days=keep), time(0, 0)))


def cleared(b: Booking) -> bool:
    """Tell whether a booking's personal data has been cleared: its day is past the period and nothing is left."""
    return to_local(b.starts_at) < cutoff(days()) and not any(getattr(b, field) for field in PERSONAL)


def purge(keep: int | None = None, now: datetime | None = None, actor: str = "system") -> int:
    """Clear the personal fields of the current town's bookings whose day is more than `keep` days ago (default:
    the town's setting); one audit row with the count; commit. Return how many bookings were cleared."""
    keep = days() if keep is None else keep
    before = cutoff(keep, now)
    still_personal = or_(*(getattr(Booking, field) != "" for field in PERSONAL))
    cleared = db.session.execute(
        update(Booking).where(Booking.starts_at < before, still_personal).values(**{f: "" for f in PERSONAL}),
        execution_options={"synchronize_session": False}).rowcount or 0
    audit.record(actor, "booking.purge", "booking", "",
                 f"保存期間（利用日から{keep}日）を過ぎた施設予約{cleared}件の個人情報を消去", None,
                 {"count": cleared, KEY: keep})
    db.session.commit()
    return cleared
