"""50 residents tap 「予約する」 for the last free slot at the same moment: exactly one wins, and every other hears a
clear Japanese message offering the nearest free slots. On both databases (SQLite: the unique slot key;
PostgreSQL: the unique slot key and the exclusion constraint)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.booking import calendar as cal
from bot.booking import store
from bot.extensions import db
from bot.models import AuditLog, Booking
from tests.booking.support import add_gym, book, gym, open_day, unit

N = 50


def test_fifty_simultaneous_bookings_of_the_last_free_slot_make_exactly_one(app):
    add_gym(app, max_per_resident=20, opens="09:00", closes="11:00", units=[
        {"key": "arena-a", "name": "アリーナA面", "capacity": 40}])
    with app.app_context():
        day = open_day()
        # Every slot of the day but one is taken: 09:00 stays free (the day has one slot of two hours).
        assert [s.state for s in cal.day_slots(gym(), day, store.utcnow())[unit().id]] == [cal.FREE]
        # The next day keeps free slots to offer.
        starts = cal.local_moment(day, cal.time(9))
    barrier = threading.Barrier(N)
    outcomes: list[object] = [None] * N

    def run(i: int) -> None:
        with app.app_context():
            resident = f"U{i:032x}"
            try:
                barrier.wait(30)
                row = store.book(gym(), unit(), starts, people=4, purpose="練習", name="住民", line_user_id=resident)
                outcomes[i] = row.receipt_no
            except store.SlotTaken as exc:
                outcomes[i] = exc
            except BaseException as exc:  # noqa: BLE001 (reported below)
                outcomes[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if isinstance(o, store.SlotTaken)]
    others = [o for o in outcomes if not isinstance(o, (str, store.SlotTaken))]
    assert others == [] and len(winners) == 1 and len(losers) == N - 1
    for exc in losers:
        assert exc.message.startswith("申し訳ありません。") and "先に予約が入りました" in exc.message
        assert "近くの空いている枠" in exc.message and exc.nearest  # the next days' free slots
        assert all(s.starts.date() > open_day() for s in exc.nearest)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "booking.create")) == 1


def test_a_cancelled_slot_is_free_again_for_the_next_resident(app):
    add_gym(app)
    with app.app_context():
        row = book("U" + "a" * 32)
        assert store.cancel(row, "resident", resident=row.line_user_id)
        assert book("U" + "b" * 32).status == "booked"
