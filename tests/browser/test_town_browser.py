"""町の設定 in a real browser: an admin saves the switchboard, a bad phone gets a Japanese error, the simulator shows it."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import TOWN_NAME
from tests.support.console import ADMIN
from tests.browser.test_console_flows import ask_simulator, log_in


def test_an_admin_sets_the_switchboard_and_the_contact_reply_shows_it(live_server, page, browser, town_prefix):
    log_in(page, live_server, ADMIN)
    page.get_by_role("link", name="町の設定").click()
    expect(page.get_by_role("heading", name="町の設定")).to_be_visible()
    expect(page.get_by_text("通常", exact=True)).to_be_visible()
    page.get_by_label("代表電話").fill("0124-22")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#phone-error")).to_contain_text("10〜11けた")
    page.get_by_label("代表電話").fill("0124-22-2111")
    page.get_by_label("受付時間").fill("平日 8:30〜17:15（土日祝日・年末年始を除く）")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("町の設定を保存しました（2項目）")).to_be_visible()
    expect(page.locator("#phone-default")).to_contain_text("変更済み")
    page.screenshot(path="/tmp/town-settings.png", full_page=True)

    chat = browser.new_context(viewport={"width": 400, "height": 860}, locale="ja-JP").new_page()
    try:
        ask_simulator(chat, live_server, "給食費ってタダになるの？")
        reply = ask_simulator(chat, live_server, "担当の人おる？")
        contact = TOWN_NAME if town_prefix else "芦別市役所"  # an added town's contact starts as its own name
        expect(reply).to_contain_text(f"{contact}（代表電話 0124-22-2111）")
        expect(reply).to_contain_text("受付時間：平日 8:30〜17:15")
        expect(reply).to_contain_text("「学校給食費の無償化（小中学校）」のお問い合わせ先")
        chat.screenshot(path="/tmp/town-contact-simulator.png")
    finally:
        chat.context.close()

    page.goto(f"{live_server}/admin/inbox")
    card = page.locator("article.inbox-group", has_text="担当の人おる？")
    expect(card.locator(".badge.contact")).to_have_text("職員対応の希望")
    expect(card).to_contain_text("直前に見ていた回答：「学校給食費の無償化（小中学校）」")
    page.screenshot(path="/tmp/town-inbox.png")

    page.goto(f"{live_server}/admin/town")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="初期値に戻す").first.click()
    expect(page.get_by_text("初期値に戻しました。")).to_be_visible()
