"""Timezone-aware clock helpers: store UTC, show the town's time (TOWN_TIMEZONE, default Asia/Tokyo)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Tokyo"


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


def town_zone() -> ZoneInfo:
    """Return the town's time zone: config TOWN_TIMEZONE inside an app, else Asia/Tokyo."""
    from flask import current_app, has_app_context

    name = current_app.config.get("TOWN_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def to_local(moment: datetime) -> datetime:
    """Return a stored moment in the town's time zone (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(town_zone())


def console_time(value: datetime | None) -> str:
    """Show a stored time as the console does: 2026-12-07 10:05 in the town's time zone, "" for none."""
    if value is None:
        return ""
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def local_now() -> datetime:
    """Return the current time in the town's time zone."""
    return to_local(utcnow())


def local_today() -> date:
    """Return today's date in the town (at 08:44 JST it is already today, though UTC says yesterday)."""
    return local_now().date()


def local_stamp(fmt: str = "%Y%m%d-%H%M") -> str:
    """Return the town's current time for a file name (applications-20261207-0844.csv)."""
    return local_now().strftime(fmt)
