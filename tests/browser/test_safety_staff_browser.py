"""Issue 18's done-when: a crisis message sent through a signed webhook shows in the inbox flagged 要配慮."""
from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.support import events
from tests.browser.test_console_flows import log_in
from tests.conftest import SECRET
from tests.support.linesign import body_of, sign
from tests.safety.staff_support import CRISIS, use_care_pack

UNKNOWN = "ゴミの分別カレンダーはどこでもらえますか"
LEARNED = "もう限界かも"


def _send(base: str, app, *texts: str, user: str = events.USER) -> None:
    """POST each text to the town's /callback (under its prefix), signed as LINE signs it; wait for the replies."""
    address = urlsplit(base)
    for text in texts:
        body = body_of([events.text(text, user=user)])
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        try:
            conn.request("POST", address.path + "/callback", body,
                         {"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
            response = conn.getresponse()
            response.read()
            assert response.status == 200, text
        finally:
            conn.close()
    assert app.extensions["line_sender"].drain(10)


def test_a_crisis_message_from_line_is_flagged_in_the_inbox_and_checked_by_staff(
        loaded_app, live_server, page, shot, fake_line, tmp_path):
    use_care_pack(loaded_app, tmp_path)
    _send(live_server, loaded_app, UNKNOWN, CRISIS + " 090-1234-5678")
    _send(live_server, loaded_app, "家の裏に熊が出た", user="U" + "2" * 32)
    # No rule fires on this one; the learned second opinion answers with the crisis lines (knowledge/safety-model.yaml).
    _send(live_server, loaded_app, LEARNED, user="U" + "3" * 32)
    assert len(fake_line.calls("/v2/bot/message/reply")) == 4
    log_in(page, live_server)
    overview = page.locator("#safety")
    expect(overview.locator(".badge.flag-care")).to_have_text(["要配慮", "要配慮"])
    expect(overview.locator(".safety-weeks tbody tr").first).to_contain_text("（今週）1件2件")
    overview.scroll_into_view_if_needed()
    shot(page, "overview-safety")
    page.goto(f"{live_server}/admin/inbox")
    flagged = page.locator("#flagged")
    care = flagged.locator("article.flagged.care")
    expect(care).to_have_count(2)
    crisis, learned = care.filter(has_text=CRISIS), care.filter(has_text=LEARNED)
    expect(crisis.locator(".badge")).to_have_text("要配慮")
    expect(crisis).to_contain_text("もう死にたい ［電話］")  # masked before it was ever stored
    expect(crisis).to_contain_text("0570-064-556・0120-279-338・0120-783-556・119番をご案内済み")
    expect(flagged.locator("article.flagged.urgent .badge")).to_have_text("緊急")
    expect(flagged.locator("article.flagged.urgent")).to_contain_text("110番")
    # Staff can tell the model's answers from the rules' ones, and check them.
    expect(learned.locator(".badge")).to_have_text("要配慮")
    expect(learned).to_contain_text("0570-064-556")
    expect(learned).to_contain_text("自動判定（学習モデル）")
    expect(crisis).not_to_contain_text("学習モデル")
    expect(flagged.get_by_role("button", name="想定質問に追加")).to_have_count(0)
    expect(flagged.get_by_role("link", name="新しい回答を作る")).to_have_count(0)
    # The flagged list comes before the unanswered questions, which keep their learning actions.
    box = flagged.bounding_box()
    unanswered = page.get_by_role("heading", name=f"「{UNKNOWN}」").bounding_box()
    assert box and unanswered and box["y"] + box["height"] <= unanswered["y"]
    assert page.get_by_role("button", name="想定質問に追加").count() == 1
    assert "090-1234-5678" not in page.content()
    shot(page, "inbox-safety-flag")
    crisis.get_by_label("メモ（任意）").fill("保健センターに共有済み")
    crisis.get_by_role("button", name="確認済みにする").click()
    expect(page.locator(".flash")).to_contain_text("要配慮のメッセージ1件を確認済みにしました")
    expect(page.locator("#flagged article.flagged.care")).to_have_count(1)  # the model's, still to check
    expect(page.locator("#flagged article.flagged.care")).to_contain_text(LEARNED)
    page.get_by_role("link", name="確認済みの緊急・要配慮").click()
    row = page.locator("tr.flagged-row.care")
    expect(row).to_contain_text("もう死にたい")
    expect(row).to_contain_text("editor@example.invalid")
    expect(row).to_contain_text("保健センターに共有済み")
    shot(page, "inbox-safety-checked")
    assert page.alerts == []
