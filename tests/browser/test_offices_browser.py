"""担当課 in headless Chromium: add an office, choose it for an answer, fill its phone in, see 電話する in the simulator."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_console_flows import ask_simulator, log_in, open_entry

QUESTION = "給食費ってタダになるの？"


def test_an_answer_shows_its_offices_phone_once_staff_fill_it_in(live_server, page, shot):
    log_in(page, live_server)
    page.get_by_role("link", name="担当課", exact=True).click()
    expect(page.get_by_role("heading", name="担当課")).to_be_visible()
    page.get_by_role("link", name="担当課を追加").click()
    page.get_by_label("識別名").fill("kyoiku")
    page.get_by_label("担当課の名前").fill("教育の担当課")
    page.get_by_label("受付時間").fill("平日 8:45〜17:15")
    page.get_by_label("場所").fill("市役所2階")
    page.get_by_role("button", name="追加する").click()
    expect(page.locator(".flash")).to_contain_text("担当課「教育の担当課」を追加しました")
    office_url = page.url

    open_entry(page, live_server)
    page.get_by_label("担当課", exact=True).select_option("kyoiku")
    expect(page.locator("#preview .bubble")).to_contain_text("お問い合わせ：教育の担当課")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".flash")).to_contain_text("保存しました")

    reply = ask_simulator(page, live_server, QUESTION)
    expect(reply).to_contain_text("お問い合わせ：教育の担当課")
    # The test app sets no TOWN_PHONE: until the office's phone is filled in, nothing in the reply dials.
    assert reply.locator('a[href^="tel:"]').count() == 0

    page.goto(office_url)
    page.get_by_label("電話番号").fill("0123-45-6789")
    shot(page, "office_edit")
    page.screenshot(path="/tmp/offices_edit.png", full_page=True)
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".flash")).to_contain_text("保存しました")

    reply = ask_simulator(page, live_server, QUESTION)
    call = reply.locator('a[href^="tel:"]')
    expect(call).to_have_attribute("href", "tel:0123-45-6789")
    expect(call).to_contain_text("電話する")
    shot(page, "simulator_office")
    page.screenshot(path="/tmp/offices_simulator.png", full_page=True)
    page.goto(f"{live_server}/admin/offices")
    expect(page.locator("table.offices")).not_to_contain_text("電話番号 未入力")
    page.screenshot(path="/tmp/offices_list.png", full_page=True)
    assert page.alerts == []
    assert re.search(r"/admin/offices/\d+$", office_url)
