"""Issue 19 B9: the simulator's rich menu in Chromium at phone size, under the app's CSP: tap a tile, the bot answers."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_simulator_csp import watch_for_problems

def test_tapping_the_rich_menu_in_the_simulator_gets_answers(live_server, browser, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = watch_for_problems(page)  # anything the CSP blocks, script errors, failed requests
    try:
        page.goto(f"{live_server}/")
        expect(page.locator("#log .msg.bot").first).to_be_visible()  # the greeting
        panel = page.locator("#rm-panel")
        expect(panel).to_be_visible()
        image = page.locator(".sim-rm-image")
        page.wait_for_function("() => document.querySelector('.sim-rm-image').naturalWidth > 0")
        # Each tap area lies over its third of the image, like LINE's areas over the menu picture.
        box = image.bounding_box()
        first = page.locator(".sim-rm-tile").first.bounding_box()
        assert abs(first["width"] - box["width"] / 3) < 2 and abs(first["height"] - box["height"] / 2) < 2
        assert box["width"] == 390 and box["y"] + box["height"] <= 844  # the whole menu on the phone's screen

        # A message tile sends its text; the bot answers under it.
        before = page.locator("#log > *").count()
        page.get_by_role("button", name="職員に相談（窓口・問い合わせ先）").tap()
        page.wait_for_function("n => document.querySelectorAll('#log > *').length >= n", arg=before + 2)
        expect(page.locator("#log .msg.user").last).to_have_text("職員に相談したい")
        # A postback tile posts its data through the simulator's endpoint; LINE shows its display text.
        before = page.locator("#log > *").count()
        page.get_by_role("button", name="子育て・教育（給食費・出産の支援）").tap()
        page.wait_for_function("n => document.querySelectorAll('#log > *').length >= n", arg=before + 2)
        expect(page.locator("#log .msg.user").last).to_have_text("子育て・教育")
        expect(page.locator("#log > *").last).to_contain_text("子育て")
        page.locator(".sim-head h1").tap()  # let go of the tile, as a finger would
        shot(page, "simulator-richmenu")  # docs/screenshots/ with UPDATE_SCREENSHOTS=1

        # A web-page tile opens the page, as LINE's in-app browser would.
        with page.expect_popup() as popup:
            page.get_by_role("link", name="応援団に登録（星の降る里あしべつ）（ページを開く）").tap()
        assert popup.value.url.endswith("/forms/supporters-club")
        popup.value.close()

        # The chat bar closes and opens the menu, like LINE's.
        toggle = page.get_by_role("button", name="メニューを開く")
        toggle.tap()
        expect(panel).to_be_hidden()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.tap()
        expect(panel).to_be_visible()
        assert problems == []
    finally:
        context.close()


def test_the_menu_works_without_javascript(live_server, browser):
    """Plain buttons: with scripts off, a tap posts the form and the page comes back with the bot's answer."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/")
        page.get_by_role("button", name="職員に相談（窓口・問い合わせ先）").click()
        expect(page.locator("#log .msg.user")).to_have_text("職員に相談したい")
        expect(page.locator("#log .msg.bot").first).to_be_visible()
        assert page.url.endswith("/simulator/tap")
    finally:
        context.close()
