"""The reminder the day before a booking goes out exactly once: when a worker dies after LINE accepted the push,
when two workers run at once, and when LINE is down for a round. Through the real SDK to the fake LINE API, which
answers 409 to a retry key it has already accepted (as LINE does)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.booking import calendar as cal
from bot.booking import reminders
from bot.extensions import db
from bot.models import Booking
from bot.models.timeutil import local_today
from tests.booking.support import USER, add_gym, book

PUSH = "/v2/bot/message/push"


class WorkerDied(BaseException):
    """Stands for the process being killed (not an Exception: nothing in the worker catches it)."""


def _tomorrow_booking(app):
    """Book tomorrow 19:00 (staff may: inside the deadline) for USER; return its id and a moment it is due."""
    with app.app_context():
        tomorrow = local_today() + timedelta(days=1)
        row = book(USER, day=tomorrow, hour=19, channel="phone", actor="staff@example.invalid")
        row.line_user_id = USER  # a phone booking by a resident we know on LINE
        db.session.commit()
        due = cal.utc(cal.local_moment(local_today(), cal.time(10)))
        return row.id, due


def _delivered(fake_line) -> list:
    return [r for r in fake_line.calls(PUSH) if r.status == 200]


@pytest.fixture
def crash_after_push():
    reminders.after_push = _die
    yield
    reminders.after_push = None


def _die(_row):
    raise WorkerDied()


def test_a_worker_that_dies_after_the_push_does_not_make_a_second_delivery(app, fake_line, crash_after_push):
    add_gym(app)
    booking_id, due = _tomorrow_booking(app)
    with app.app_context():
        with pytest.raises(WorkerDied):
            reminders.send_due(due)
        db.session.rollback()
        db.session.remove()
    assert len(_delivered(fake_line)) == 1
    reminders.after_push = None
    with app.app_context():
        row = db.session.get(Booking, booking_id)
        assert row.reminder_state == "sending"  # the claim the dead worker left behind
        assert reminders.send_due(due + timedelta(minutes=1)) == 0  # still its lease: nobody takes it
        assert reminders.send_due(due + reminders.LEASE + timedelta(minutes=1)) == 0  # retried: LINE says 409
        db.session.refresh(row)
        assert row.reminder_state == "sent" and row.reminder_attempts == 2
        assert reminders.send_due(due + timedelta(hours=2)) == 0
    pushes = fake_line.calls(PUSH)
    assert [r.status for r in pushes] == [200, 409]
    assert len({r.retry_key for r in pushes}) == 1
    body = pushes[0].body["messages"][0]["text"]
    assert "明日は施設の予約日です" in body and "市民体育館" in body and "19:00" in body
    assert "山田" not in body and "バドミントン" not in body  # no personal data, nothing the resident typed


def test_two_workers_at_once_deliver_once(app, fake_line):
    add_gym(app)
    booking_id, due = _tomorrow_booking(app)
    counts = []
    barrier = threading.Barrier(2)

    def run():
        with app.app_context():
            barrier.wait(10)
            counts.append(reminders.send_due(due))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(counts) == [0, 1]
    assert len(_delivered(fake_line)) == 1 and len(fake_line.calls(PUSH)) == 1


def test_line_down_for_a_round_is_retried_and_delivered_once(app, fake_line):
    add_gym(app)
    booking_id, due = _tomorrow_booking(app)
    fake_line.inject(PUSH, status=500)
    with app.app_context():
        assert reminders.send_due(due) == 0
        assert db.session.get(Booking, booking_id).reminder_state == "pending"
        assert reminders.send_due(due + timedelta(minutes=1)) == 1
        assert reminders.send_due(due + timedelta(minutes=2)) == 0
    assert [r.status for r in fake_line.calls(PUSH)] == [500, 200]


def test_not_before_the_day_before_and_not_for_cancelled_bookings(app, fake_line):
    add_gym(app)
    with app.app_context():
        later = book(USER, day=local_today() + timedelta(days=3))
        early = cal.utc(cal.local_moment(local_today(), cal.time(8)))
        assert reminders.send_due(early) == 0  # before 9:00
        assert reminders.send_due(cal.utc(cal.local_moment(local_today(), cal.time(12)))) == 0  # 3 days ahead
        from bot.booking import store
        store.cancel(later, "resident", resident=USER)
        day_before = cal.utc(cal.local_moment(local_today() + timedelta(days=2), cal.time(12)))
        assert reminders.send_due(day_before) == 0
        assert db.session.scalar(select(Booking.reminder_state).where(Booking.id == later.id)) == "skipped"
    assert fake_line.calls(PUSH) == []
