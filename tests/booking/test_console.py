"""管理画面 → 施設予約: the calendar by day and week (names for admins and 施設予約担当 only), phone and counter
bookings, status and memo with their history, a closure that lists the bookings it hits first, the CSV (audited),
and the 施設予約担当 switch on the users page."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.booking import store
from bot.extensions import db
from bot.models import AuditLog, Booking, BookingClosure, User
from tests.booking.support import USER, add_gym, book, open_day
from tests.support.console import EDITOR, admin_client, console, editor_client  # noqa: F401  (fixtures)


def _booked(app):
    add_gym(app)
    with app.app_context():
        return book(USER, name="山田太郎").receipt_no


def test_the_calendar_shows_bookings_by_day_and_week_and_names_only_to_who_may(console, admin_client, editor_client):
    receipt = _booked(console)
    day = open_day().isoformat()
    for client, names in ((admin_client, True), (editor_client, False)):
        page = client.get(f"/admin/booking/gym?day={day}").get_data(as_text=True)
        assert receipt in page and "アリーナA面" in page and "8人・LINE" in page
        assert ("山田太郎" in page) is names
        week = client.get(f"/admin/booking/gym?day={day}&view=week").get_data(as_text=True)
        assert receipt in week and ("山田太郎" in week) is names
    assert editor_client.get(f"/admin/bookings/{receipt}").status_code == 403
    assert "施設予約担当" in editor_client.get(f"/admin/bookings/{receipt}").get_data(as_text=True)
    assert "市民体育館" in editor_client.get("/admin/booking").get_data(as_text=True)


def test_a_handler_takes_a_phone_booking_and_the_slot_is_then_taken(console, editor_client):
    add_gym(console)
    with console.app_context():
        db.session.scalar(select(User).where(User.email == EDITOR)).handles_bookings = True
        db.session.commit()
    day = open_day().isoformat()
    data = {"unit": "arena-b", "day": day, "code": "1100", "people": "6", "purpose": "卓球", "name": "佐藤花子",
            "phone": "0124-22-2111", "channel": "phone", "memo": "鍵は事務室"}
    response = editor_client.post("/admin/booking/gym/new", data=data)
    assert response.status_code == 302
    again = editor_client.post("/admin/booking/gym/new", data={**data, "name": "別の人"})
    html = again.get_data(as_text=True)
    assert again.status_code == 400 and "先に予約が入りました" in html and "何も保存していません" in html
    missing = editor_client.post("/admin/booking/gym/new", data={**data, "code": "1300", "name": ""})
    assert missing.status_code == 400 and "お名前を入力してください" in missing.get_data(as_text=True)
    with console.app_context():
        rows = list(db.session.scalars(select(Booking)))
        assert [(b.channel, b.name, b.memo) for b in rows] == [("phone", "佐藤花子", "鍵は事務室")]
        assert db.session.scalar(select(AuditLog.actor).where(AuditLog.action == "booking.create")) == EDITOR


def test_status_memo_and_cancel_are_audited_and_shown_in_the_history(console, admin_client):
    receipt = _booked(console)
    assert admin_client.post(f"/admin/bookings/{receipt}", data={"status": "used", "memo": "鍵返却済み"}).status_code == 302
    page = admin_client.get(f"/admin/bookings/{receipt}").get_data(as_text=True)
    assert "利用済み" in page and "鍵返却済み" in page and "のメモを変更" in page
    assert admin_client.post(f"/admin/bookings/{receipt}", data={"status": "nonsense"}).status_code == 302
    assert admin_client.post(f"/admin/bookings/{receipt}/cancel").status_code == 302
    with console.app_context():
        row = store.by_receipt(receipt)
        assert row.status == "cancelled"
        actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.target_id == receipt)
                                          .order_by(AuditLog.id)))
        assert actions == ["booking.create", "booking.status", "booking.memo", "booking.cancel"]


def test_a_closure_lists_the_bookings_it_hits_before_it_is_saved(console, admin_client):
    receipt = _booked(console)
    form = {"unit": "", "first_day": open_day().isoformat(), "last_day": "", "reason": "床の張り替え"}
    preview = admin_client.post("/admin/booking/gym/closures", data={**form, "step": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "この休館にかかる予約：1件" in html and receipt in html and "山田太郎" in html
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(BookingClosure)) == 0
    saved = admin_client.post("/admin/booking/gym/closures", data={**form, "step": "save"}, follow_redirects=True)
    assert "予約1件は取り消していません" in saved.get_data(as_text=True)
    bad = admin_client.post("/admin/booking/gym/closures", data={**form, "first_day": "昨日", "step": "preview"})
    assert bad.status_code == 400 and "2026-12-24 の形" in bad.get_data(as_text=True)
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(BookingClosure)) == 1
        assert store.by_receipt(receipt).status == "booked"


def test_the_csv_is_audited_and_formula_safe(console, admin_client):
    add_gym(console)
    with console.app_context():
        book(USER, purpose="=1+1")
    day = open_day().isoformat()
    response = admin_client.get(f"/admin/booking/gym/export.csv?first={day}&last={day}")
    text = response.get_data().decode("utf-8-sig")
    assert response.status_code == 200 and "'=1+1" in text and "山田太郎" in text and text.startswith("受付番号")
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "booking.export")) == 1


def test_an_admin_makes_an_editor_a_booking_handler(console, admin_client, editor_client):
    receipt = _booked(console)
    with console.app_context():
        editor_id = db.session.scalar(select(User.id).where(User.email == EDITOR))
    assert "施設予約担当" in admin_client.get("/admin/users").get_data(as_text=True)
    assert editor_client.get(f"/admin/bookings/{receipt}").status_code == 403
    assert admin_client.post(f"/admin/users/{editor_id}/bookings", data={"handles_bookings": "y"}).status_code == 302
    assert editor_client.get(f"/admin/bookings/{receipt}").status_code == 200
    assert admin_client.post(f"/admin/users/{editor_id}/bookings", data={}).status_code == 302
    assert editor_client.get(f"/admin/bookings/{receipt}").status_code == 403
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "user.bookings")) == 2
