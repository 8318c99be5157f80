"""施設予約's services: a booking is stored with its audit row, and every refusal (past, closed, holiday, closure,
over capacity, over the per-resident limit, outside the window, a suspended town) says why in Japanese and stores
nothing. Double booking is refused by the database on both backends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.booking import calendar as cal
from bot.booking import store
from bot.booking.pack import validate
from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import AuditLog, Booking
from bot.models.tenancy import Tenant
from bot.models.timeutil import local_today
from tests.booking.support import OTHER, USER, add_gym, book, gym, open_day, slot, unit


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_a_booking_is_stored_with_a_receipt_and_an_audit_row_without_personal_data(app):
    add_gym(app)
    with app.app_context():
        row = book()
        assert row.receipt_no.startswith("Y") and len(row.receipt_no) == 8
        assert row.status == "booked" and row.slot_start is not None
        audited = db.session.scalar(select(AuditLog).where(AuditLog.action == "booking.create"))
        assert audited.target_id == row.receipt_no
        assert "山田" not in str(audited.after) and USER not in str(audited.after) and USER not in audited.summary


def test_the_same_slot_twice_is_refused_with_the_nearest_free_slots(app):
    add_gym(app)
    with app.app_context():
        book(USER)
        with pytest.raises(store.SlotTaken) as caught:
            book(OTHER)
        assert "先に予約が入りました" in caught.value.message
        assert caught.value.nearest and all(s.state == cal.FREE for s in caught.value.nearest)
        assert "11:00〜13:00" in caught.value.message  # the next slot of the same unit that day
        assert _count() == 1


@pytest.mark.parametrize("case", ["past", "closed_weekday", "holiday", "closure", "too_far", "deadline"])
def test_a_slot_that_cannot_be_booked_says_why_and_stores_nothing(app, case):
    add_gym(app, open_days=[0, 1, 2, 3, 4, 5] if case == "closed_weekday" else list(range(7)),
            deadline_days=2 if case == "deadline" else 1)
    with app.app_context():
        day = open_day()
        if case == "past":
            starts, expected = cal.local_moment(local_today() - timedelta(days=1), cal.time(9)), "過ぎた時間"
        elif case == "closed_weekday":
            day = open_day() + timedelta(days=(6 - open_day().weekday()) % 7)  # a Sunday
            while cal.holiday_name(day):
                day += timedelta(days=7)
            starts, expected = slot(day), "休館日"
        elif case == "holiday":
            day = local_today() + timedelta(days=2)
            while not cal.holiday_name(day):
                day += timedelta(days=1)
            if day > local_today() + timedelta(days=gym().days_ahead):
                gym().days_ahead = 365
                db.session.commit()
            starts, expected = slot(day), "祝日"
        elif case == "closure":
            store.add_closure(gym(), None, day.isoformat(), "", "床の張り替え", "staff@example.invalid")
            starts, expected = slot(day), "床の張り替え"
        elif case == "too_far":
            starts, expected = slot(local_today() + timedelta(days=40)), "30日先"
        else:
            starts, expected = slot(local_today() + timedelta(days=1)), "2日前まで"
        with pytest.raises(Invalid) as caught:
            store.book(gym(), unit(), starts, people=5, purpose="練習", name="山田", line_user_id=USER)
        assert expected in caught.value.message
        assert _count() == 0


def test_over_capacity_over_the_limit_and_missing_fields_are_refused(app):
    add_gym(app, max_per_resident=1)
    with app.app_context():
        with pytest.raises(Invalid) as caught:
            book(people=41)
        assert "定員は40人" in caught.value.message
        with pytest.raises(Invalid) as caught:
            book(people="", purpose="")
        assert caught.value.errors.keys() == {"people", "purpose"}
        book()
        with pytest.raises(Invalid) as caught:
            book(hour=11)
        assert "1件まで" in caught.value.message
        assert _count() == 1


def test_a_suspended_town_takes_no_booking(app):
    add_gym(app)
    with app.app_context():
        db.session.execute(update(Tenant).where(Tenant.id == 1).values(status="suspended"))
        db.session.commit()
        from flask import g
        g.pop("town_ref", None)
        with pytest.raises(Invalid) as caught:
            book()
        assert "停止" in caught.value.message
        assert _count() == 0


def test_a_resident_cancels_only_their_own_and_only_before_the_deadline(app):
    add_gym(app)
    with app.app_context():
        row = book()
        with pytest.raises(Invalid):
            store.cancel(row, "resident", resident=OTHER)
        late = cal.utc(slot()) - timedelta(hours=3)
        with pytest.raises(Invalid) as caught:
            store.cancel(row, "resident", resident=USER, now=late)
        assert "期限" in caught.value.message and "0124-22-2111" in caught.value.message
        assert store.cancel(row, "resident", resident=USER) is True
        assert store.cancel(row, "resident", resident=USER) is False
        assert row.status == "cancelled" and row.slot_start is None
        again = book(OTHER)  # the freed slot can be booked again
        assert again.status == "booked"


def test_staff_book_inside_the_deadline_but_never_on_a_closed_day(app):
    add_gym(app)
    with app.app_context():
        today = local_today()
        later = cal.local_moment(today + timedelta(days=1), cal.time(19))
        row = store.book(gym(), unit(), later, people=3, purpose="卓球", name="佐藤", channel=store.PHONE,
                         actor="staff@example.invalid")
        assert row.channel == "phone"
        with pytest.raises(Invalid) as caught:
            store.book(gym(), unit(), later + timedelta(hours=0), people=3, purpose="卓球", name="",
                       channel=store.PHONE, actor="staff@example.invalid")
        assert "お名前" in caught.value.message or "先に予約" in caught.value.message


def test_a_closure_lists_the_bookings_it_hits(app):
    add_gym(app)
    with app.app_context():
        row = book()
        _closure, hits = store.add_closure(gym(), None, open_day().isoformat(), "", "点検", "staff@example.invalid")
        assert [b.receipt_no for b in hits] == [row.receipt_no]
        assert row.status == "booked"  # staff contact the resident first; nothing is cancelled by itself
        with pytest.raises(Invalid):
            store.add_closure(gym(), None, "2026-13-01", "", "点検", "x")


def test_the_csv_is_formula_safe_and_names_only_when_asked(app):
    add_gym(app)
    with app.app_context():
        book(purpose="=HYPERLINK(\"x\")")
        body, count = store.csv_bytes(gym(), open_day(), open_day(), with_names=False)
        text_ = body.decode("utf-8-sig")
        assert count == 1 and "'=HYPERLINK" in text_ and "山田" not in text_
        body, _ = store.csv_bytes(gym(), open_day(), open_day(), with_names=True)
        assert "山田太郎" in body.decode("utf-8-sig")


def test_the_exclusion_constraint_refuses_overlapping_times_on_postgresql(app):
    add_gym(app)
    with app.app_context():
        row = book()
        if app.config["BACKEND"] != "postgresql":
            # SQLite: the unique slot key refuses the same start; there is no range type to overlap.
            with pytest.raises(IntegrityError):
                db.session.execute(text(
                    "INSERT INTO bookings (receipt_no, facility_id, unit_id, starts_at, ends_at, slot_start, status,"
                    " people, purpose, name, phone, line_user_id, channel, memo, created_by, created_at, cancelled_by,"
                    " reminder_state, reminder_key, reminder_attempts, town_id) SELECT 'YX', facility_id, unit_id,"
                    " starts_at, ends_at, slot_start, 'booked', 1, '', '', '', '', 'phone', '', '', created_at, '',"
                    " 'pending', 'k', 0, town_id FROM bookings WHERE id = :id"), {"id": row.id})
            db.session.rollback()
            return
        # An overlapping booking with another start (so the unique slot key does not apply): the exclusion refuses it.
        with pytest.raises(IntegrityError) as caught:
            db.session.execute(text(
                "INSERT INTO bookings (receipt_no, facility_id, unit_id, starts_at, ends_at, slot_start, status,"
                " people, purpose, name, phone, line_user_id, channel, memo, created_by, created_at, cancelled_by,"
                " reminder_state, reminder_key, reminder_attempts, town_id) SELECT 'YX', facility_id, unit_id,"
                " starts_at + interval '30 minutes', ends_at + interval '30 minutes', NULL, 'booked', 1, '', '', '',"
                " '', 'phone', '', '', created_at, '', 'pending', 'k', 0, town_id FROM bookings WHERE id = :id"),
                {"id": row.id})
        assert "ex_bookings_overlap" in str(caught.value)
        db.session.rollback()


def test_the_pack_check_names_each_problem():
    assert validate({"facilities": []}) == []
    problems = validate({"facilities": [{"key": "Gym!", "name": "", "open_days": ["月曜"], "opens": "9:00",
                                         "closes": "08:00", "slot_minutes": 5, "units": []}]})
    fields = {p.field.split(".")[-1] for p in problems}
    assert {"key", "name", "open_days", "opens", "slot_minutes", "units"} <= fields
    assert all(p.message for p in problems)
