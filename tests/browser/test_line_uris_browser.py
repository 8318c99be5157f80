"""Links in LINE messages, in Chromium: the town's website is checked in the form, and a bad one already in the
database drops only its button from the bear reply in the simulator (the 110 button stays)."""
from __future__ import annotations

from playwright.sync_api import expect

from bot.extensions import db
from bot.models import TownSetting, utcnow
from tests.support.console import ADMIN
from tests.browser.test_console_flows import ask_simulator, log_in


def test_a_bad_website_is_refused_in_the_form_and_dropped_from_the_reply(loaded_app, live_server, page, browser, shot):
    log_in(page, live_server, ADMIN)
    page.goto(f"{live_server}/admin/town")
    page.get_by_label("ホームページ").fill("https://www.city.ashibetsu.hokkaido.jp/ 申込み")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#website-error")).to_contain_text("空白や改行・制御文字は使えません")
    shot(page, "town-settings-bad-url")

    with loaded_app.app_context():  # a value written past the form (a script, an old import)
        db.session.add(TownSetting(key="website", value="https://www.city.ashibetsu.hokkaido.jp/\x01",
                                   updated_at=utcnow(), updated_by="script"))
        db.session.commit()
    chat = browser.new_context(viewport={"width": 400, "height": 860}, locale="ja-JP").new_page()
    try:
        reply = ask_simulator(chat, live_server, "熊が出た")
        expect(reply).to_contain_text("110")
        expect(reply.get_by_text("110に電話")).to_be_visible()
        expect(reply.get_by_text("市のホームページ", exact=True)).to_have_count(0)
        shot(chat, "simulator-urgent-bad-link")
    finally:
        chat.context.close()
