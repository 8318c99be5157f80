"""避難所 on a phone (390×844) in headless Chromium: two taps open a shelter; LINE's answer and the kiosk show it."""
from __future__ import annotations

from playwright.sync_api import expect

from bot.extensions import db
from bot.models import AuditLog, Shelter
from bot.signage import facilities
from bot.town.settings import set_disaster_mode
from tests.browser.test_console_flows import ask_simulator, log_in
from tests.support.layout import page_width

PHONE = {"width": 390, "height": 844}


def _prepare(app) -> str:
    app.config.update(TOWN_CACHE_SECONDS=0, SIGNAGE_POLL_SECONDS=1)
    with app.app_context():
        for key, name, address, kinds in (("kaikan", "試験会館", "芦別市試験町1-1", ["flood", "earthquake"]),
                                          ("gym", "試験体育館", "芦別市試験町2-2", ["earthquake", "fire"])):
            db.session.add(Shelter(key=key, name=name, address=address, kinds=kinds, capacity=200))
        set_disaster_mode(True, "大雨警報（訓練）", "admin@example.invalid")
        facility = facilities.create("芦別市役所", "", by="admin@example.invalid")
        _screen, key = facilities.add_screen(facility, "1階ロビー", by="admin@example.invalid")
        db.session.commit()
    return key


def test_two_taps_on_a_phone_open_a_shelter_for_residents_and_screens(live_server, loaded_app, browser, shot):
    screen_key = _prepare(loaded_app)
    context = browser.new_context(viewport=PHONE, locale="ja-JP", device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    asked = []

    def on_dialog(dialog):
        asked.append(dialog.message)
        dialog.accept()  # the second tap: OK on 「…を「開設」にします。よろしいですか？」

    page.on("dialog", on_dialog)
    log_in(page, live_server)
    page.goto(f"{live_server}/admin/shelters")
    card = page.locator("#shelter-1")
    expect(card).to_contain_text("未開設")
    button = card.get_by_role("button", name="開設", exact=True)
    page.wait_for_load_state("load")  # sizes are measured with the stylesheets in
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 90  # a thumb hits it
    button.tap()  # the first tap
    expect(page.locator(".flash")).to_contain_text("「試験会館」を「開設」にしました")
    assert asked == ["「試験会館」を「開設」にします。よろしいですか？"]
    expect(page.locator("#shelter-1 .badge")).to_have_text("開設")
    expect(page.locator("#shelter-1").get_by_role("button", name="開設", exact=True)).to_be_disabled()
    assert page_width(page) <= PHONE["width"]  # nothing runs off the side
    page.locator("h1").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/shelters-phone.png", full_page=True)
    shot(page, "shelters-phone")
    with loaded_app.app_context():
        row = db.session.query(AuditLog).filter_by(action="shelter.status").one()
        assert row.after["status"] == "開設"

    # Editing on the phone: a bad capacity is a Japanese error next to the field, and what was typed stays.
    page.locator("#shelter-1").get_by_role("link", name="名前・住所などを編集").click()
    expect(page.get_by_label("地震")).to_be_checked()
    page.get_by_label("収容人数").fill("たくさん")
    page.get_by_label("補足").fill("ペットは屋外のケージへ")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".field.has-error")).to_contain_text("収容人数は1〜100000の整数")
    expect(page.get_by_label("補足")).to_have_value("ペットは屋外のケージへ")
    page.screenshot(path="/tmp/shelters-edit.png", full_page=True)

    reply = ask_simulator(page, live_server, "避難所どこ")
    expect(page.locator("#log")).to_contain_text("試験会館（開設）")
    expect(page.locator("#log")).to_contain_text("171")
    reply.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/shelters-answer.png", full_page=True)
    shot(page, "shelters-answer")

    kiosk = browser.new_page(viewport={"width": 1920, "height": 1080})
    kiosk.goto(f"{live_server}/signage/{screen_key}")
    expect(kiosk.locator("#shelters")).to_be_visible()
    expect(kiosk.locator("#shelter-list")).to_contain_text("試験会館")
    kiosk.screenshot(path="/tmp/shelters-signage.png")
    shot(kiosk, "shelters-signage")
    # The kiosk's script draws the list again from its poll: a shelter opened now appears without a reload.
    page.goto(f"{live_server}/admin/shelters")
    page.locator("#shelter-2").get_by_role("button", name="満", exact=True).tap()
    expect(page.locator(".flash")).to_contain_text("「試験体育館」を「満」にしました")
    expect(kiosk.locator("#shelter-list li.full")).to_contain_text("試験体育館", timeout=10_000)
    expect(kiosk.locator("#shelter-list li")).to_have_count(2)
    kiosk.close()
    context.close()
