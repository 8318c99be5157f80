"""The operator (運用者) in a real browser: logs in at /operator/, creates a town with its LINE channel and its first
admin; then that town answers on its own webhook, signed with the secret entered in the form (issue 21, Done when)."""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.request

from playwright.sync_api import expect

from bot.towns import operators
from tests.support import events
from tests.support.linesign import body_of, sign

OPERATOR = "unyou@example.invalid"
OP_PASSWORD = "operator-browser-pass"
SECRET = "furano-channel-secret-entered-in-the-form"
TOKEN = "furano-access-token-entered-in-the-form"
REPLY = "/v2/bot/message/reply"


def _post_webhook(url: str, body: bytes, signature: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-Line-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_an_operator_creates_a_town_that_answers_on_its_own_webhook(live_server, loaded_app, page, browser, shot,
                                                                      fake_line):
    with loaded_app.app_context():
        operators.create_operator(OPERATOR, OP_PASSWORD)
    loaded_app.config["PUBLIC_BASE_URL"] = "https://line.example.jp"  # the pictures show a real-looking address

    page.goto(f"{live_server}/operator/")
    expect(page).to_have_url(re.compile(r"/operator/login$"))
    expect(page.get_by_role("heading", name="運用者のログイン")).to_be_visible()
    page.get_by_label("メールアドレス").fill(OPERATOR)
    page.get_by_label("パスワード").fill("wrong password here")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_text("メールアドレスかパスワードが違います。")).to_be_visible()
    shot(page, "operator-login")
    page.get_by_label("パスワード").fill(OP_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="町の一覧")).to_be_visible()
    expect(page.get_by_role("cell", name="default", exact=True)).to_be_visible()

    page.get_by_role("link", name="町を作成").first.click()
    page.get_by_label("町の識別名（slug）").fill("furano")
    page.get_by_label("町の名前").fill("富良野市")
    page.get_by_label("ナレッジパック").select_option("bundled")
    page.get_by_label("チャネルシークレット").fill(SECRET)
    page.get_by_label("チャネルアクセストークン（長期）").fill(TOKEN)
    shot(page, "operator-town-new")
    page.get_by_label("町の識別名（slug）").fill("Furano")  # upper case: refused in Japanese, nothing lost
    page.get_by_role("button", name="作成する").click()
    expect(page.locator("#slug-error")).to_contain_text("半角の英小文字")
    expect(page.get_by_label("町の名前")).to_have_value("富良野市")
    page.get_by_label("町の識別名（slug）").fill("furano")
    page.get_by_label("チャネルシークレット").fill(SECRET)  # credentials are never sent back into the page
    page.get_by_label("チャネルアクセストークン（長期）").fill(TOKEN)
    page.get_by_role("button", name="作成する").click()
    expect(page.get_by_role("heading", name="富良野市（furano）")).to_be_visible()
    expect(page.get_by_text("町「富良野市」を作成しました。")).to_be_visible()
    expect(page.locator("code", has_text="https://line.example.jp/furano/callback")).to_be_visible()

    page.get_by_label("管理者のメールアドレス").fill("kanri@furano.example.invalid")
    page.get_by_role("button", name="管理者を作成").click()
    password = page.locator("#generated-password").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}", password)
    shot(page, "operator-town")

    page.get_by_role("link", name="この町を停止する…").click()
    expect(page.get_by_role("heading", name="町「富良野市」を停止しますか")).to_be_visible()
    shot(page, "operator-suspend")
    page.get_by_role("link", name="やめる").click()
    page.get_by_role("link", name="町の一覧").click()
    row = page.locator("tr", has_text="furano")
    expect(row).to_contain_text("運用中")
    expect(row).to_contain_text("設定済み")
    shot(page, "operator-towns")
    page.get_by_role("link", name="操作履歴").click()
    expect(page.locator("table")).to_contain_text("町の最初の管理者を作成（運用者）")
    expect(page.locator("table")).not_to_contain_text("kanri@furano.example.invalid")
    shot(page, "operator-audit")

    # The town's first admin logs in to the town's own console and must choose a password first.
    staff = browser.new_context(viewport={"width": 1180, "height": 820}, locale="ja-JP").new_page()
    try:
        staff.goto(f"{live_server}/furano/admin/login")
        staff.get_by_label("メールアドレス").fill("kanri@furano.example.invalid")
        staff.get_by_label("パスワード").fill(password)
        staff.get_by_role("button", name="ログイン").click()
        expect(staff).to_have_url(re.compile(r"/furano/admin/account$"))
    finally:
        staff.context.close()

    # LINE calls the town's webhook, signed with the secret the operator entered; the town answers through LINE.
    before = len(fake_line.calls(REPLY))
    body = body_of([events.text("ごみの出し方を教えて")])
    assert _post_webhook(f"{live_server}/furano/callback", body, sign(body, "wrong-secret")) == 400
    assert _post_webhook(f"{live_server}/furano/callback", body, sign(body, SECRET)) == 200
    deadline = time.monotonic() + 10
    while len(fake_line.calls(REPLY)) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    replies = fake_line.calls(REPLY)[before:]
    assert len(replies) == 1 and replies[0].body["replyToken"].startswith("reply-token-")
    assert replies[0].headers.get("authorization") == f"Bearer {TOKEN}"  # the town's own channel, not the default's
