"""施設予約 on a phone (390×844) in headless Chromium: a resident asks about reservations (a signed webhook), opens
the signed link from LINE's answer, picks a facility, a day, a slot, enters people and purpose, confirms and gets a
receipt number; sees the booking in LINE (「予約の確認」, the fake LINE API) and cancels it after a confirmation.
Staff then see both the booking and its cancellation in the calendar. Keyboard only for the booking steps."""
from __future__ import annotations

import re
import time

import requests
from playwright.sync_api import expect

from bot.booking import store
from bot.line import postback
from tests.booking.support import add_gym, open_day
from tests.browser.test_console_flows import log_in
from tests.conftest import SECRET
from tests.support import events
from tests.support.console import ADMIN
from tests.support.linejson import actions
from tests.support.linesign import body_of, sign
from tests.support.layout import page_width

PHONE = {"width": 390, "height": 844}
USER = "U" + "7" * 32
REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"


def _phone(browser):
    context = browser.new_context(viewport=PHONE, locale="ja-JP", device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _fits(page) -> None:
    assert page_width(page) <= PHONE["width"]


def _send(base: str, fake_line, event) -> list[dict]:
    """Post one signed event to the town's webhook and return the messages of the reply it got."""
    before = len(fake_line.calls(REPLY))
    body = body_of([event])
    response = requests.post(f"{base}/callback", data=body, timeout=30,
                             headers={"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
    assert response.status_code == 200, response.text[:300]
    deadline = time.monotonic() + 15
    while len(fake_line.calls(REPLY)) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    calls = fake_line.calls(REPLY)
    assert len(calls) > before, "no reply"
    return calls[-1].body["messages"]


def _tab_to(page, locator, limit: int = 80) -> None:
    """Press Tab until the locator has the focus (keyboard only), then Enter."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            page.keyboard.press("Enter")
            return
        page.keyboard.press("Tab")
    raise AssertionError("never reached by Tab: " + locator.evaluate("el => el.outerHTML")[:200])


def test_a_resident_books_sees_and_cancels_from_line_and_staff_see_both(live_server, loaded_app, browser, fake_line,
                                                                         shot):
    add_gym(loaded_app, fee_text="1枠500円。当日、窓口でお支払いください。")
    _send(live_server, fake_line, events.follow(user=USER))
    answer = _send(live_server, fake_line, events.text("体育館の予約ってネットでできますか", user=USER))
    links = [a["uri"] for m in answer for a in actions(m) if a["type"] == "uri" and a["label"] == "施設を予約する"]
    assert links and links[0].startswith(f"{live_server}/booking?t=")

    context, page = _phone(browser)
    page.goto(links[0])
    expect(page).to_have_url(f"{live_server}/booking")  # the token went into a cookie, out of the address bar
    expect(page.get_by_role("heading", level=1)).to_have_text("施設を選んでください")
    _fits(page)
    _tab_to(page, page.get_by_role("link", name=re.compile("市民体育館")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("日にちを選んでください")
    _fits(page)
    shot(page, "booking-days-phone", full_page=False)
    day = open_day()
    _tab_to(page, page.locator(f"a[href$='/booking/gym/{day.isoformat()}']"))
    expect(page.get_by_role("heading", name="アリーナA面（定員40人）")).to_be_visible()
    _fits(page)
    shot(page, "booking-slots-phone", full_page=False)
    _tab_to(page, page.locator("a.bk-slot.is-free").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("人数と利用目的を入力してください")
    # A number over the capacity: the reason beside the field, what was typed kept.
    page.get_by_label("人数").fill("100")
    page.get_by_label("利用目的").fill("バドミントンの練習")
    page.get_by_label("お名前（代表者）").fill("山田太郎")
    page.get_by_label("利用目的").press("Enter")
    expect(page.locator("#bk-people-error")).to_contain_text("定員は40人です")
    expect(page.get_by_label("利用目的")).to_have_value("バドミントンの練習")
    page.get_by_label("人数").fill("8")
    page.get_by_label("人数").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("この内容で予約しますか？")
    _fits(page)
    shot(page, "booking-confirm-phone")
    _tab_to(page, page.get_by_role("button", name="予約する"))
    expect(page.get_by_role("heading", level=1)).to_have_text("予約を受け付けました")
    receipt = page.locator(".fm-receipt-no").inner_text().strip()
    assert re.fullmatch(r"Y[A-Z0-9]{7}", receipt)
    expect(page.locator(".fm-linked")).to_contain_text("LINE でもお知らせしました")
    _fits(page)
    shot(page, "booking-done-phone")
    push = [c for c in fake_line.calls(PUSH) if c.body["to"] == USER][-1]
    text = push.body["messages"][0]["text"]
    assert receipt in text and "市民体育館" in text and "09:00" in text and "山田" not in text

    # In LINE: 「予約の確認」 lists it; 「予約の取消」 asks which, then to confirm, then cancels.
    shown = _send(live_server, fake_line, events.text("予約の確認", user=USER))
    assert receipt in shown[0]["text"] and "アリーナA面" in shown[0]["text"]
    which = _send(live_server, fake_line, events.text("予約の取消", user=USER))
    choice = [a["data"] for m in which for a in actions(m) if a["type"] == "postback"]
    assert [postback.decode(d) for d in choice] == [{"a": "bkc", "r": receipt}]
    confirm = _send(live_server, fake_line, events.postback(choice[0], user=USER))
    sure = [a["data"] for m in confirm for a in actions(m) if a["type"] == "postback"]
    with loaded_app.app_context():
        assert store.by_receipt(receipt).status == "booked"  # not before the confirmation
    done = _send(live_server, fake_line, events.postback(sure[0], user=USER))
    assert f"受付番号 {receipt} の予約を取り消しました" in done[0]["text"]
    context.close()

    # A second booking by phone, so the calendar has a live one beside the cancelled one.
    with loaded_app.app_context():
        phone = store.book(store.facility_by_key("gym"), store.unit_by_key(store.facility_by_key("gym"), "arena-b"),
                           store.parse_start(store.facility_by_key("gym"), day.isoformat(), "1100"), people=6,
                           purpose="卓球", name="佐藤花子", channel="phone", actor=ADMIN).receipt_no
    staff, console = _phone(browser)
    log_in(console, live_server, ADMIN)
    console.goto(f"{live_server}/admin/booking")
    console.get_by_role("link", name="市民体育館").click()
    console.goto(f"{live_server}/admin/booking/gym?day={day.isoformat()}")
    expect(console.locator(".bkc-table").first).to_contain_text(phone)
    expect(console.locator(".bkc-table").first).to_contain_text("佐藤花子")
    expect(console.locator(".bkc-cancelled")).to_contain_text(receipt)
    expect(console.locator(".bkc-cancelled")).to_contain_text("住民（LINE）")
    staff.close()
    # The staff guide's picture: the calendar on a desk-sized screen.
    wide = browser.new_context(viewport={"width": 1180, "height": 820}, locale="ja-JP")
    desk = wide.new_page()
    log_in(desk, live_server, ADMIN)
    desk.goto(f"{live_server}/admin/booking/gym?day={day.isoformat()}&view=week")
    expect(desk.locator(".bkc-week").nth(1)).to_contain_text(phone)
    shot(desk, "booking-calendar-week", desk.locator("main"))
    desk.goto(f"{live_server}/admin/booking/gym?day={day.isoformat()}")
    shot(desk, "booking-calendar-day", desk.locator("main"))
    desk.emulate_media(media="print")
    assert desk.evaluate("getComputedStyle(document.querySelector('.adm-head')).display") == "none"
    wide.close()
