"""Helpers for the booking tests: an example facility, the next bookable slot, a resident's signed link."""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.booking import calendar as cal
from bot.booking import store
from bot.booking.links import make_link
from bot.extensions import db
from bot.models import Follower
from bot.models.timeutil import local_today

GYM = {"key": "gym", "name": "市民体育館", "address": "", "phone": "0124-22-2111",
       "fee_text": "=1枠500円。当日窓口で", "note": "", "open_days": [0, 1, 2, 3, 4, 5, 6], "opens": "09:00",
       "closes": "21:00", "closed_on_holidays": True, "slot_minutes": 120, "days_ahead": 30, "deadline_days": 1,
       "max_per_resident": 2,
       "units": [{"key": "arena-a", "name": "アリーナA面", "capacity": 40},
                 {"key": "arena-b", "name": "アリーナB面", "capacity": 40}]}
USER = "U" + "1" * 32
OTHER = "U" + "2" * 32


def add_gym(app, **changes) -> None:
    """Import the example facility (in the default town)."""
    with app.app_context():
        store.import_facilities([{**copy.deepcopy(GYM), **changes}], author="test")
        db.session.commit()


def gym():
    return store.facility_by_key("gym")


def unit(key: str = "arena-a"):
    return store.unit_by_key(gym(), key)


def open_day(after: int = 2) -> date:
    """Return the first day at least `after` days ahead that is not a public holiday."""
    day = local_today() + timedelta(days=after)
    while cal.holiday_name(day):
        day += timedelta(days=1)
    return day


def slot(day: date | None = None, hour: int = 9) -> datetime:
    return cal.local_moment(day or open_day(), cal.time(hour, 0))


def follower(line_user_id: str = USER) -> Follower:
    row = db.session.scalar(select(Follower).where(Follower.line_user_id == line_user_id))
    if row is None:
        row = Follower(line_user_id=line_user_id)
        db.session.add(row)
        db.session.commit()
    return row


def link_for(app, line_user_id: str = USER) -> str:
    with app.app_context():
        return make_link(follower(line_user_id).id)


def linked_client(app, line_user_id: str = USER):
    """Return a test client that opened the booking page through the resident's LINE link (cookie set)."""
    client = app.test_client()
    response = client.get("/booking?t=" + link_for(app, line_user_id))
    assert response.status_code == 303 and response.location.endswith("/booking")
    return client


def book(line_user_id: str = USER, day: date | None = None, hour: int = 9, unit_key: str = "arena-a", **kw):
    return store.book(gym(), unit(unit_key), slot(day, hour), people=kw.pop("people", 8),
                      purpose=kw.pop("purpose", "バドミントン"), name=kw.pop("name", "山田太郎"),
                      line_user_id=line_user_id, **kw)
