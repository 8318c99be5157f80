"""When a facility is open: its weekdays and hours, Japan's public holidays (the `holidays` library) and closures,
cut into slots; and which slots are free, booked or closed, for the resident's pages and the staff calendar."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays
from sqlalchemy import select

from bot.extensions import db
from bot.models import Booking, BookingClosure, BookingFacility, BookingUnit
from bot.models.timeutil import to_local, town_zone

WEEKDAYS = "月火水木金土日"
FREE, BOOKED, CLOSED, PAST = "free", "booked", "closed", "past"


@lru_cache(maxsize=16)
def _holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("JP", years=year, language="ja"))


def holiday_name(day: date) -> str | None:
    """Return the name of a Japanese public holiday (振替休日 included), or None on other days."""
    return _holidays(day.year).get(day)


def jday(day: date) -> str:
    """Return a day as 12月8日（火）."""
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def jtime(moment: datetime) -> str:
    """Return a stored moment as 12月8日（火）10:00 in the town's time."""
    local = to_local(moment)
    return f"{jday(local.date())}{local:%H:%M}"


def hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def local_moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=town_zone())


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def closures(facility: BookingFacility, first: date, last: date) -> list[BookingClosure]:
    """Return the facility's closures that touch the days first…last."""
    return list(db.session.scalars(select(BookingClosure).where(
        BookingClosure.facility_id == facility.id, BookingClosure.first_day <= last,
        BookingClosure.last_day >= first).order_by(BookingClosure.first_day, BookingClosure.id)))


def closed_reason(facility: BookingFacility, day: date, unit: BookingUnit | None = None,
                  found: list[BookingClosure] | None = None) -> str:
    """Return why the facility (or unit) is closed on a day — 休館日, a holiday's name, a closure's reason — or ""."""
    if day.weekday() not in (facility.open_days or []):
        return "休館日"
    name = holiday_name(day)
    if name and facility.closed_on_holidays:
        return f"祝日（{name}）"
    for closure in (found if found is not None else closures(facility, day, day)):
        if closure.first_day <= day <= closure.last_day and (closure.unit_id is None or
                                                             (unit is not None and closure.unit_id == unit.id)):
            return closure.reason or "臨時休館"
    return ""


def slot_starts(facility: BookingFacility, day: date) -> list[datetime]:
    """Return the local start of every slot of a day between opening and closing time."""
    opens, closes = local_moment(day, hm(facility.opens)), local_moment(day, hm(facility.closes))
    step = timedelta(minutes=max(15, facility.slot_minutes))
    starts, at = [], opens
    while at + step <= closes:
        starts.append(at)
        at += step
    return starts


def slot_end(facility: BookingFacility, starts: datetime) -> datetime:
    return starts + timedelta(minutes=max(15, facility.slot_minutes))


def window(facility: BookingFacility, today: date) -> tuple[date, date]:
    """Return the first and last day a resident may book today (the deadline and how far ahead)."""
    return today + timedelta(days=facility.deadline_days), today + timedelta(days=facility.days_ahead)


@dataclass(frozen=True)
class SlotView:
    unit: BookingUnit
    starts: datetime  # local
    ends: datetime
    state: str
    booking: Booking | None = None

    @property
    def label(self) -> str:
        return f"{self.starts:%H:%M}〜{self.ends:%H:%M}"

    @property
    def code(self) -> str:
        return f"{self.starts:%H%M}"


def live_bookings(facility: BookingFacility, first: date, last: date) -> list[Booking]:
    """Return the facility's bookings (not cancelled) that start on the days first…last."""
    start = utc(local_moment(first, time(0)))
    end = utc(local_moment(last + timedelta(days=1), time(0)))
    return list(db.session.scalars(select(Booking).where(
        Booking.facility_id == facility.id, Booking.status != "cancelled", Booking.starts_at >= start,
        Booking.starts_at < end).order_by(Booking.starts_at, Booking.unit_id)))


def cancelled_bookings(facility: BookingFacility, first: date, last: date) -> list[Booking]:
    """Return the facility's cancelled bookings of the days first…last (the calendar lists them under the grid)."""
    start = utc(local_moment(first, time(0)))
    end = utc(local_moment(last + timedelta(days=1), time(0)))
    return list(db.session.scalars(select(Booking).where(
        Booking.facility_id == facility.id, Booking.status == "cancelled", Booking.starts_at >= start,
        Booking.starts_at < end).order_by(Booking.starts_at, Booking.id)))


def _key(moment: datetime) -> datetime:
    return to_local(moment).replace(second=0, microsecond=0)


def day_slots(facility: BookingFacility, day: date, now: datetime,
              bookings: list[Booking] | None = None) -> dict[int, list[SlotView]]:
    """Return every unit's slots of a day with their state (free, booked, closed, past), by unit id."""
    found = closures(facility, day, day)
    held = {(b.unit_id, _key(b.starts_at)): b for b in (bookings if bookings is not None
                                                          else live_bookings(facility, day, day))}
    out: dict[int, list[SlotView]] = {}
    for unit in units(facility):
        closed = closed_reason(facility, day, unit, found)
        views = []
        for starts in slot_starts(facility, day):
            booking = held.get((unit.id, starts))
            if booking is not None:
                state = BOOKED
            elif closed:
                state = CLOSED
            elif utc(starts) <= now:
                state = PAST
            else:
                state = FREE
            views.append(SlotView(unit, starts, slot_end(facility, starts), state, booking))
        out[unit.id] = views
    return out


def units(facility: BookingFacility) -> list[BookingUnit]:
    return list(db.session.scalars(select(BookingUnit).where(
        BookingUnit.facility_id == facility.id, BookingUnit.retired.is_(False))
        .order_by(BookingUnit.position, BookingUnit.id)))


def free_count(facility: BookingFacility, day: date, now: datetime, bookings: list[Booking]) -> tuple[int, int]:
    """Return (free slots, all slots) of a day across the facility's units."""
    slots = [s for views in day_slots(facility, day, now, bookings).values() for s in views]
    return sum(1 for s in slots if s.state == FREE), len(slots)


def overlapping(facility_ids: list[int], first: date, last: date):
    """Return the condition of bookings whose day lies in first…last (for closures)."""
    start = utc(local_moment(first, time(0)))
    end = utc(local_moment(last + timedelta(days=1), time(0)))
    return [Booking.facility_id.in_(facility_ids), Booking.status == "booked", Booking.starts_at >= start,
            Booking.starts_at < end]


