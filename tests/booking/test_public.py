"""The resident's booking pages from LINE: facility → day → slot → input → 確認 → 完了 with a receipt number and a
LINE push; and the refusals — no link, forged, expired or another town's link, a past slot, a closed day, over the
limit, a suspended town — each with a clear Japanese message and nothing stored."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.booking import store
from bot.booking.links import make_link
from bot.extensions import db
from bot.models import Booking
from bot.models.tenancy import Tenant
from bot.models.timeutil import local_today
from tests.booking.support import OTHER, USER, add_gym, book, follower, linked_client, open_day

PUSH = "/v2/bot/message/push"
GOOD = {"people": "８", "purpose": "バドミントンの練習", "name": "山田太郎", "phone": "0124-22-2111"}


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Booking))


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _slot_path(day=None, code="0900", unit="arena-a") -> str:
    return f"/booking/gym/{(day or open_day()).isoformat()}/{unit}/{code}"


def _confirm_page(client, path: str, data=GOOD):
    form = client.get(path)
    assert form.status_code == 200, form.get_data(as_text=True)[:300]
    return client.post(path, data={**data, "csrf_token": _csrf(form.get_data(as_text=True))})


def test_a_resident_books_from_line_and_gets_a_receipt_and_a_push(app, fake_line):
    add_gym(app)
    client = linked_client(app)
    facilities = client.get("/booking").get_data(as_text=True)
    assert "市民体育館" in facilities and "/booking/gym" in facilities
    days = client.get("/booking/gym").get_data(as_text=True)
    assert "空き" in days and f"/booking/gym/{open_day().isoformat()}" in days
    slots = client.get(f"/booking/gym/{open_day().isoformat()}").get_data(as_text=True)
    assert "アリーナA面" in slots and _slot_path() in slots
    confirm = _confirm_page(client, _slot_path())
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "この内容で予約しますか" in html and "山田太郎" in html
    assert _count(app) == 0  # nothing stored before 「予約する」
    draft = re.search(r'name="draft" value="([^"]+)"', html).group(1)
    done = client.post("/booking/confirm", data={"draft": draft, "csrf_token": _csrf(html)})
    assert done.status_code == 303
    page = client.get(done.location).get_data(as_text=True)
    receipt = re.search(r'fm-receipt-no" translate="no">(Y[A-Z0-9]{7})<', page).group(1)
    assert "予約を受け付けました" in page and "LINE でもお知らせしました" in page
    with app.app_context():
        row = store.by_receipt(receipt)
        assert row.line_user_id == USER and row.people == 8 and row.name == "山田太郎"
    push = fake_line.calls(PUSH)[-1]
    assert push.body["to"] == USER
    text = push.body["messages"][0]["text"]
    assert receipt in text and "市民体育館" in text and "09:00" in text
    assert "山田" not in text and "バドミントン" not in text and "0124" not in text
    # The same confirm step again books nothing more: the slot is taken, the nearest free slots are offered.
    again = client.post("/booking/confirm", data={"draft": draft, "csrf_token": _csrf(html)})
    assert again.status_code == 409 and "近くの空いている枠" in again.get_data(as_text=True)
    assert _count(app) == 1


def test_bad_input_keeps_the_text_and_says_why(app):
    add_gym(app)
    client = linked_client(app)
    response = _confirm_page(client, _slot_path(), {**GOOD, "people": "100", "purpose": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "定員は40人" in html and "利用目的を入力してください" in html
    assert 'value="山田太郎"' in html
    assert _count(app) == 0


def test_without_a_link_or_with_a_forged_expired_or_foreign_one_nothing_opens(app):
    add_gym(app)
    plain = app.test_client().get("/booking")
    assert "LINE で「施設を予約する」と送って" in plain.get_data(as_text=True)
    assert "LINE で「施設を予約する」と送って" in app.test_client().get(_slot_path()).get_data(as_text=True)
    forged = app.test_client()
    forged.get("/booking?t=not-a-token")
    page = forged.get("/booking")
    assert page.status_code == 400 and "リンクが正しくありません" in page.get_data(as_text=True)
    expired = app.test_client()
    token = None
    with app.app_context():
        token = make_link(follower(USER).id)
    app.config["BOOKING_LINK_MAX_AGE"] = -1
    expired.get("/booking?t=" + token)
    page = expired.get("/booking")
    assert page.status_code == 400 and "有効期限が切れています" in page.get_data(as_text=True)
    app.config["BOOKING_LINK_MAX_AGE"] = 24 * 3600
    # A confirm step whose draft was tampered with books nothing.
    client = linked_client(app)
    html = client.get(_slot_path()).get_data(as_text=True)
    tampered = client.post("/booking/confirm", data={"draft": "x" + "A" * 40, "csrf_token": _csrf(html)})
    assert tampered.status_code == 400 and "確認画面の情報が正しくありません" in tampered.get_data(as_text=True)
    assert _count(app) == 0


def test_a_past_slot_and_a_closed_day_are_refused(app):
    add_gym(app)
    client = linked_client(app)
    past = client.get(_slot_path(day=local_today() - timedelta(days=1)))
    assert past.status_code == 400 and "過ぎた時間" in past.get_data(as_text=True)
    with app.app_context():
        store.add_closure(store.facility_by_key("gym"), None, open_day().isoformat(), "", "大会", "staff@example.invalid")
    closed = client.get(_slot_path())
    assert closed.status_code == 400 and "大会" in closed.get_data(as_text=True)
    day_page = client.get("/booking/gym").get_data(as_text=True)
    assert "休　大会" in day_page
    assert _count(app) == 0


def test_over_the_limit_is_refused_with_the_way_out(app):
    add_gym(app, max_per_resident=1)
    with app.app_context():
        book(USER, hour=13)
    client = linked_client(app)
    response = _confirm_page(client, _slot_path())
    assert response.status_code == 400 and "1件まで" in response.get_data(as_text=True)
    assert _count(app) == 1


def test_the_receipt_page_is_only_for_who_booked(app):
    add_gym(app)
    with app.app_context():
        receipt = book(USER).receipt_no
    assert linked_client(app, OTHER).get(f"/booking/done/{receipt}").status_code == 404
    assert linked_client(app, USER).get(f"/booking/done/{receipt}").status_code == 200


def test_a_suspended_town_takes_no_booking(app):
    add_gym(app)
    client = linked_client(app)
    html = client.get(_slot_path()).get_data(as_text=True)
    csrf = _csrf(html)
    with app.app_context():
        db.session.execute(update(Tenant).where(Tenant.id == 1).values(status="suspended"))
        db.session.commit()
    from bot.core.tenancy import forget_towns
    with app.app_context():
        forget_towns()
    response = client.post(_slot_path(), data={**GOOD, "csrf_token": csrf})
    assert response.status_code == 503
    assert _count(app) == 0
