"""Booking from LINE, through signed webhooks and the real SDK to the fake LINE API: the facility-reservation answer
and the 「施設を予約する」 command carry a signed link (never the user id); 「予約の確認」 lists the resident's
bookings; 「予約の取消」 cancels one only after a confirmation, and only the resident's own."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from bot.booking import store
from bot.extensions import db
from bot.line import postback
from tests.booking.support import OTHER, add_gym, book
from tests.support import events
from tests.support.events import USER
from tests.support.linejson import actions


def _replies(fake_line) -> list[dict]:
    return [m for call in fake_line.calls("/v2/bot/message/reply") for m in call.body["messages"]]


def _texts(fake_line) -> str:
    return "\n".join(m.get("text", "") for m in _replies(fake_line))


def _booking_links(fake_line) -> list[str]:
    return [a["uri"] for m in _replies(fake_line) for a in actions(m)
            if a["type"] == "uri" and a["label"] == "施設を予約する"]


def test_the_facility_reservation_answer_and_the_command_carry_a_signed_link(loaded_app, webhook, fake_line):
    add_gym(loaded_app)
    webhook([events.follow()])
    webhook([events.text("体育館の予約ってネットでできますか")])
    links = _booking_links(fake_line)
    assert links and links[-1].startswith("http://localhost/booking?t=")
    assert USER not in links[-1] and USER not in dict(parse_qsl(urlsplit(links[-1]).query))["t"]
    fake_line.reset()
    webhook([events.text("施設を予約する")])
    assert _booking_links(fake_line)
    client = loaded_app.test_client()
    opened = client.get(urlsplit(links[-1]).path + "?" + urlsplit(links[-1]).query)
    assert opened.status_code == 303
    assert "市民体育館" in client.get("/booking").get_data(as_text=True)


def test_a_town_without_facilities_offers_no_button(loaded_app, webhook, fake_line):
    webhook([events.follow()])
    webhook([events.text("体育館の予約ってネットでできますか")])
    assert _booking_links(fake_line) == []
    webhook([events.text("施設を予約する")])
    assert "受け付けていません" in _texts(fake_line)


def test_status_lists_own_bookings_and_cancel_asks_first(loaded_app, webhook, fake_line):
    add_gym(loaded_app)
    webhook([events.follow()])
    with loaded_app.app_context():
        mine = book(USER).receipt_no
        theirs = book(OTHER, hour=13).receipt_no
    webhook([events.text("予約の確認")])
    shown = _texts(fake_line)
    assert mine in shown and theirs not in shown and "市民体育館" in shown and "山田" not in shown
    fake_line.reset()
    webhook([events.text("予約の取消")])
    choices = [a for m in _replies(fake_line) for a in actions(m) if a["type"] == "postback"]
    assert [postback.decode(a["data"]) for a in choices] == [{"a": "bkc", "r": mine}]
    fake_line.reset()
    webhook([events.postback(choices[0]["data"])])  # which one: asks to confirm, cancels nothing yet
    confirm = [a for m in _replies(fake_line) for a in actions(m) if a["type"] == "postback"]
    assert [postback.decode(a["data"]) for a in confirm] == [{"a": "bkx", "r": mine}]
    with loaded_app.app_context():
        assert store.by_receipt(mine).status == "booked"
    # Another resident's confirmation data does nothing to the booking.
    webhook([events.postback(postback.encode("bkx", r=mine), user=OTHER)])
    with loaded_app.app_context():
        assert store.by_receipt(mine).status == "booked"
    fake_line.reset()
    webhook([events.postback(confirm[0]["data"])])
    assert f"受付番号 {mine} の予約を取り消しました" in _texts(fake_line)
    with loaded_app.app_context():
        assert store.by_receipt(mine).status == "cancelled" and store.by_receipt(theirs).status == "booked"
        db.session.remove()
    fake_line.reset()
    webhook([events.postback(confirm[0]["data"])])
    assert "すでに取り消されています" in _texts(fake_line)


def test_whether_the_town_takes_bookings_is_read_once_per_cache_period(loaded_app, webhook, fake_line, monkeypatch):
    # Asked on every facility-reservation answer: read at most every TOWN_CACHE_SECONDS. A change committed in this
    # process shows at once; one made elsewhere (another worker, the CLI) within those seconds.
    from sqlalchemy import text

    import bot.booking.store as booking_store

    clock = [1000.0]
    monkeypatch.setattr(booking_store.time, "monotonic", lambda: clock[0])
    webhook([events.follow()])
    webhook([events.text("体育館の予約ってネットでできますか")])
    assert _booking_links(fake_line) == []
    add_gym(loaded_app)  # committed in this process: the next answer has the button
    fake_line.reset()
    webhook([events.text("体育館の予約ってネットでできますか")])
    assert _booking_links(fake_line)
    with loaded_app.app_context():  # retired by "another worker": raw SQL, no ORM flush in this process
        db.session.execute(text("UPDATE booking_facilities SET retired = :yes"), {"yes": True})
        db.session.commit()
    fake_line.reset()
    webhook([events.text("体育館の予約ってネットでできますか")])
    assert _booking_links(fake_line)  # still the copy read a moment ago
    clock[0] += loaded_app.config["TOWN_CACHE_SECONDS"] + 1
    fake_line.reset()
    webhook([events.text("体育館の予約ってネットでできますか")])
    assert _booking_links(fake_line) == []
