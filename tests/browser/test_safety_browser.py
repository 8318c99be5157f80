"""The simulator shows safety replies as LINE would: the number first and working call buttons, in every language."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import TOWN_NAME
from tests.browser.test_console_flows import ask_simulator

# docs/screenshots/safety-crisis.png and safety-english.png were taken from these; a test run writes to /tmp.
SHOTS = Path("/tmp")


def test_simulator_shows_the_bear_reply_with_call_buttons(live_server, browser, town_prefix):
    context = browser.new_context(viewport={"width": 400, "height": 860}, locale="ja-JP")
    page = context.new_page()
    try:
        reply = ask_simulator(page, live_server, "家の裏にくまいたっけ")
        expect(reply).to_contain_text("すぐに 110番 へ電話してください")
        call = reply.get_by_role("link", name="110に電話")
        expect(call).to_have_attribute("href", "tel:110")
        if town_prefix:  # a town an operator added: no website until its staff set one, and no empty link
            expect(reply).to_contain_text(f"あわせて{TOWN_NAME}にもお知らせください")
            expect(reply.get_by_role("link", name="市のホームページ")).to_have_count(0)
        else:
            expect(reply.get_by_role("link", name="市のホームページ")).to_have_attribute(
                "href", "https://www.city.ashibetsu.hokkaido.jp/")
        reply = ask_simulator(page, live_server, "夜中に子どもが熱出した")
        expect(reply.get_by_role("link", name="#8000に電話")).to_have_attribute("href", "tel:%238000")
        expect(reply).not_to_contain_text("医療費")  # no FAQ suggestion under the safety reply
        page.screenshot(path="/tmp/safety-simulator.png")
    finally:
        context.close()


def test_simulator_shows_the_crisis_lines_and_an_english_reply(live_server, browser):
    context = browser.new_context(viewport={"width": 400, "height": 900}, locale="ja-JP")
    page = context.new_page()
    try:
        reply = ask_simulator(page, live_server, "もう消えたい")
        expect(reply).to_contain_text("話してくださって、ありがとうございます。")
        expect(reply.get_by_role("link", name="こころの健康相談に電話")).to_have_attribute("href", "tel:0570-064-556")
        expect(reply.get_by_role("link", name="よりそいホットラインに電話")).to_have_attribute("href", "tel:0120-279-338")
        expect(reply.get_by_role("link", name="いのちの電話に電話")).to_have_attribute("href", "tel:0120-783-556")
        expect(reply.get_by_role("link", name="119に電話")).to_have_attribute("href", "tel:119")
        reply.screenshot(path=str(SHOTS / "safety-crisis.png"))
        reply = ask_simulator(page, live_server, "my father collapsed and is not breathing")
        expect(reply).to_contain_text("Call 119 now")
        expect(reply).to_contain_text("すぐに 119番 へ電話してください")  # the Japanese beneath
        expect(reply.get_by_role("link", name="Call 119")).to_have_attribute("href", "tel:119")
        reply.screenshot(path=str(SHOTS / "safety-english.png"))
    finally:
        context.close()
