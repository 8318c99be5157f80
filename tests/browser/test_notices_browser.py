"""A notice from the console in headless Chromium: compose with preview, approve, send, read the report."""
from __future__ import annotations

import re
import threading
import time

import pytest
from playwright.sync_api import expect

from bot.notices import worker
from tests.support.console import ADMIN, EDITOR, PASSWORD
from tests.notices.support import PUSH, STAFF_UID
from tests.notices.support import FAST, add_followers

KIDS = "子育て・教育"
TITLE = "出産応援ギフトの申請受付を始めました"


@pytest.fixture
def subscribers(loaded_app):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True})
    with loaded_app.app_context():
        users = add_followers(range(3), topics=(KIDS,))
        add_followers(range(10, 14))  # followers who chose no topic
    return users


@pytest.fixture
def running_worker(loaded_app):
    """Run the notice worker beside the live server, as the Procfile's worker would."""
    stop = threading.Event()

    def run():
        with loaded_app.app_context():
            worker.run(stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="概要")).to_be_visible()


def test_compose_preview_approve_send_and_see_it_delivered(subscribers, live_server, running_worker, page, shot,
                                                           fake_line):
    log_in(page, live_server, EDITOR)
    page.get_by_role("link", name="お知らせ", exact=True).click()
    page.get_by_role("link", name="新しいお知らせを作る").click()
    expect(page.get_by_role("heading", name="お知らせの作成")).to_be_visible()

    page.get_by_role("textbox", name="タイトル").fill(TITLE)
    page.get_by_role("textbox", name="本文", exact=True).fill("妊娠・出産された方へのギフトの申請受付を始めました。")
    page.get_by_label("関連する回答（任意）").select_option("childbirth-gifts")
    # Everyone is the default; the topics appear when the clerk narrows the audience down.
    expect(page.locator("#recipient-count")).to_have_text("7")
    expect(page.get_by_label(KIDS)).to_be_hidden()
    page.get_by_label("テーマを選んだ人").check()
    page.get_by_label(KIDS).check()
    # The preview is the bubble residents get; the count is who would get it now.
    preview = page.locator("#notice-preview .bubble")
    expect(preview).to_contain_text(TITLE)
    expect(preview).to_contain_text("くわしく")
    expect(page.locator("#recipient-count")).to_have_text("3")
    page.get_by_label("友だち全員（配信停止した人を除く）").check()
    expect(page.locator("#recipient-count")).to_have_text("7")
    page.get_by_label("テーマを選んだ人").check()
    expect(page.locator("#recipient-count")).to_have_text("3")
    shot(page, "notice-compose")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.locator(".flash")).to_contain_text("下書きを保存しました")
    detail_url = page.url
    expect(page.locator("#notice-preview .bubble")).to_contain_text(TITLE)
    page.get_by_role("button", name="承認を依頼する").click()
    expect(page.locator("#notice-status")).to_have_text("承認待ち")
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, live_server, ADMIN)
    page.goto(detail_url)
    shot(page, "notice-approve")
    page.get_by_role("button", name="承認して送信").click()
    expect(page.locator(".flash")).to_contain_text("承認しました")

    delivered, status = page.locator('td[data-k="delivered"]'), page.locator("#notice-status")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page.reload()
        # The worker counts the last delivery first and closes the notice in its next pass: wait for both.
        if delivered.inner_text() == "3" and status.inner_text() == "送信済み":
            break
        time.sleep(0.3)
    expect(delivered).to_have_text("3")
    expect(page.locator("#notice-status")).to_have_text("送信済み")
    expect(page.locator('td[data-k="failed"]')).to_have_text("0")
    expect(page.locator('td[data-k="pending"]')).to_have_text("0")
    shot(page, "notice-report")
    assert sorted(fake_line.delivered()) == sorted(subscribers)
    page.get_by_role("link", name="← お知らせの一覧").click()
    expect(page.get_by_role("row", name=re.compile(TITLE))).to_contain_text("3／3")
    assert page.alerts == []


# Luminance contrast of a text colour against the first opaque background behind it (WCAG 2).
CONTRAST = """el => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { bg = c; break; }
    node = node.parentNode && node.parentNode.host ? node.parentNode.host : node.parentElement || node.parentNode;
  }
  const fg = rgb(getComputedStyle(el).color);
  const a = lum(fg), b = lum(bg || [255, 255, 255]);
  return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), fg: getComputedStyle(el).color,
          bg: bg ? bg.join(",") : "none"};
}"""


def _compose_page(page, base: str):
    log_in(page, base, EDITOR)
    page.goto(f"{base}/admin/notices/new")
    expect(page.get_by_role("heading", name="お知らせの作成")).to_be_visible()


def test_a_clerk_who_types_only_title_and_body_saves_a_draft(subscribers, live_server, page):
    _compose_page(page, live_server)
    page.get_by_role("textbox", name="タイトル").fill("窓口の受付時間が変わります")
    page.get_by_role("textbox", name="本文", exact=True).fill("4月から9時に開きます。")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.locator(".flash")).to_contain_text("下書きを保存しました")
    expect(page.locator("#notice-status")).to_have_text("下書き")


def test_topic_choices_are_checkbox_rows_and_the_time_shows_only_when_chosen(subscribers, live_server, page, shot):
    _compose_page(page, live_server)
    expect(page.locator("#send_at")).to_be_hidden()
    page.get_by_label("テーマを選んだ人").check()
    rows = page.locator("#topic-choices label.check-row")
    assert rows.count() >= 2 and page.locator("#topic-choices li").count() == 0
    page.wait_for_load_state("load")  # sizes are measured with the stylesheets in
    for i in range(rows.count()):
        box = rows.nth(i).locator("input").bounding_box()
        text = rows.nth(i).locator("span").bounding_box()
        # The label sits beside its box, on the same line, not under a bullet.
        assert abs((box["y"] + box["height"] / 2) - (text["y"] + text["height"] / 2)) < 6, (box, text)
        assert text["x"] > box["x"] + box["width"] - 1, (box, text)
    page.get_by_label("日時を指定").check()
    expect(page.locator("#send_at")).to_be_visible()
    page.get_by_label("承認されたらすぐ").check()
    expect(page.locator("#send_at")).to_be_hidden()
    page.get_by_label("日時を指定").check()
    shot(page, "notice-compose-choices")


def test_the_preview_bubble_keeps_the_console_css_out(subscribers, live_server, page):
    _compose_page(page, live_server)
    page.get_by_role("textbox", name="タイトル").fill("説明会")
    page.get_by_label("テーマを選んだ人").check()
    page.get_by_label(KIDS).check()
    stop = page.locator("#notice-preview").get_by_role("button", name="このテーマの配信を停止")
    expect(stop).to_be_visible()
    settings = page.locator("#notice-preview").get_by_role("button", name="お知らせ設定")
    for button in (stop, settings):
        seen = button.evaluate(CONTRAST)
        assert seen["ratio"] >= 4.5, seen
    # The console's own logout button (button.link, white on the dark header) is untouched.
    logout = page.get_by_role("button", name="ログアウト")
    assert logout.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    # Whatever the console's CSS says later, it cannot reach into the bubble.
    # (Added to admin.css through the CSSOM: the console's CSP rightly refuses inline styles.)
    page.evaluate("""() => {
      const sheet = [...document.styleSheets].find(s => (s.href || "").endsWith("/admin.css"));
      sheet.insertRule(".bubble *, button { color: #fff !important; background: #fff !important; }",
                       sheet.cssRules.length);
    }""")
    for button in (stop, settings):
        seen = button.evaluate(CONTRAST)
        assert seen["ratio"] >= 4.5, seen


def test_an_admin_registers_a_test_recipient_and_an_editor_test_sends_to_it(subscribers, live_server, page, shot,
                                                                            fake_line):
    log_in(page, live_server, ADMIN)
    page.goto(f"{live_server}/admin/notices/")
    page.get_by_role("link", name="テスト送信先").click()
    expect(page.get_by_role("heading", name="テスト送信先")).to_be_visible()
    page.get_by_label("名前").fill("企画課 山田（テスト用スマホ）")
    page.get_by_label("LINE のユーザーID").fill(STAFF_UID)
    page.get_by_role("button", name="登録する").click()
    expect(page.locator(".flash")).to_contain_text("テスト送信先に登録しました")
    expect(page.get_by_role("row", name=re.compile("企画課 山田"))).to_contain_text(STAFF_UID)
    shot(page, "notice-test-recipients")
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, live_server, EDITOR)
    page.goto(f"{live_server}/admin/notices/new")
    page.get_by_role("textbox", name="タイトル").fill(TITLE)
    page.get_by_role("textbox", name="本文", exact=True).fill("妊娠・出産された方へのギフトの申請受付を始めました。")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.locator(".flash")).to_contain_text("下書きを保存しました")
    page.get_by_label("送り先（職員のテスト用 LINE）").select_option(label="企画課 山田（テスト用スマホ）")
    shot(page, "notice-test-send")
    page.get_by_role("button", name="テスト送信").click()
    expect(page.locator(".flash")).to_contain_text("企画課 山田（テスト用スマホ） にテスト送信しました")
    assert [c.body["to"] for c in fake_line.calls(PUSH)] == [STAFF_UID]
