"""The simulator shows a safety reply as LINE would: the text with 110 first and working call buttons."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_console_flows import ask_simulator


def test_simulator_shows_the_bear_reply_with_call_buttons(live_server, browser):
    context = browser.new_context(viewport={"width": 400, "height": 860}, locale="ja-JP")
    page = context.new_page()
    try:
        reply = ask_simulator(page, live_server, "家の裏にくまいたっけ")
        expect(reply).to_contain_text("すぐに 110番 へ電話してください")
        call = reply.get_by_role("link", name="110に電話")
        expect(call).to_have_attribute("href", "tel:110")
        expect(reply.get_by_role("link", name="市のホームページ")).to_have_attribute(
            "href", "https://www.city.ashibetsu.hokkaido.jp/")
        reply = ask_simulator(page, live_server, "夜中に子どもが熱出した")
        expect(reply.get_by_role("link", name="#8000に電話")).to_have_attribute("href", "tel:%238000")
        expect(reply).not_to_contain_text("医療費")  # no FAQ suggestion under the safety reply
        page.screenshot(path="/tmp/safety-simulator.png")
    finally:
        context.close()
