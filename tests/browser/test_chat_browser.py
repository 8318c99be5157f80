"""Issue 22's done-when: a resident asks for a person over signed webhooks, staff in Chromium see the chat appear
without reloading and reply, the fake LINE API receives the push, the bot stays silent while staff answer, an urgent
message still gets the emergency reply at once, and once staff end the chat the bot answers again."""
from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

from playwright.sync_api import expect

from bot.chat import settings as counter_settings
from tests.browser.test_console_flows import log_in
from tests.conftest import SECRET
from tests.support import events
from tests.support.console import ADMIN
from tests.support.linesign import body_of, sign

REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"


def _send(base: str, app, *event_list) -> None:
    """POST events to the town's /callback (under its prefix), signed as LINE signs them; wait for the replies."""
    address = urlsplit(base)
    for event in event_list:
        body = body_of([event])
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        try:
            conn.request("POST", address.path + "/callback", body,
                         {"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
            response = conn.getresponse()
            response.read()
            assert response.status == 200
        finally:
            conn.close()
    assert app.extensions["line_sender"].drain(10)


def _said(call) -> str:
    return json.dumps(call.body["messages"], ensure_ascii=False)


def test_a_resident_and_staff_talk_and_the_bot_steps_aside(loaded_app, live_server, page, shot, fake_line):
    with loaded_app.app_context():
        counter_settings.save({"chat_hours": "08:30-17:15", "chat_days": "月火水木金"}, "test")
        counter_settings.set_switch("open", "test")  # whatever the hour the test runs at
    log_in(page, live_server, ADMIN)
    page.get_by_role("link", name="窓口", exact=True).click()
    expect(page.get_by_role("heading", name="窓口（オンライン窓口）")).to_be_visible()
    expect(page.locator(".chat-empty")).to_be_visible()
    # 1. A resident asks for a person (a signed webhook); 2. the chat appears without a reload.
    _send(live_server, loaded_app, events.text("職員と話したい"))
    assert "オンライン窓口におつなぎしました" in _said(fake_line.calls(REPLY)[-1])
    _send(live_server, loaded_app, events.text("公園のベンチが壊れています。見に来てもらえますか"))
    row = page.locator("tr.chat-row.open")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row.locator(".chat-unread")).to_have_text("1件")
    expect(row).to_contain_text("公園のベンチが壊れて")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
    shot(page, "chat-list")
    row.get_by_role("link", name="開く").click()
    expect(page.locator(".chat-msg.resident")).to_contain_text("公園のベンチが壊れています")
    page.get_by_label("返信").fill("ご連絡ありがとうございます。担当の都市建設課が今日中に見に行きます。")
    page.get_by_role("button", name="返信を送る").click()
    expect(page.locator(".flash")).to_contain_text("返信を送りました")
    # 3. The fake LINE API received the push, to this resident.
    push = fake_line.calls(PUSH)[-1]
    assert push.body["to"] == events.USER and "都市建設課が今日中に見に行きます" in _said(push)
    # 4. The resident answers and the bot does not; staff see it on the open page.
    replies = len(fake_line.calls(REPLY))
    _send(live_server, loaded_app, events.text("ありがとうございます。待っています"))
    assert len(fake_line.calls(REPLY)) == replies
    expect(page.locator(".chat-msg.resident").last).to_contain_text("待っています", timeout=10_000)
    # 5. An urgent message gets the emergency reply at once, and is flagged for staff.
    _send(live_server, loaded_app, events.text("家が火事です"))
    assert len(fake_line.calls(REPLY)) == replies + 1 and "119" in _said(fake_line.calls(REPLY)[-1])
    flagged = page.locator(".chat-msg.resident.flagged.urgent")
    expect(flagged).to_contain_text("家が火事です", timeout=10_000)
    expect(flagged.locator(".badge")).to_have_text("緊急")
    shot(page, "chat-view")
    # 6. Staff end the chat; the resident is told, and the bot answers again.
    page.get_by_role("button", name="チャットを終了する").click()
    expect(page.locator(".flash")).to_contain_text("チャットを終了しました")
    assert "職員とのチャットを終了しました" in _said(fake_line.calls(PUSH)[-1])
    _send(live_server, loaded_app, events.text("給食費ってタダになるの？"))
    assert "学校給食費" in _said(fake_line.calls(REPLY)[-1])
    page.get_by_role("link", name="← 窓口の一覧").click()
    expect(page.locator("tr.chat-row.ended")).to_have_count(1)
    assert page.alerts == []
    time.sleep(0)  # nothing left running: the page's polling stops with the context
