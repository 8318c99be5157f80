"""The supporters' club form in Chromium at phone size: from the simulator's button to the receipt, no JavaScript."""
from __future__ import annotations

from sqlalchemy import select

from bot.extensions import db
from bot.models import FormSubmission

PHONE = {"width": 390, "height": 844}


def test_a_resident_registers_from_the_simulator(browser, live_server, loaded_app, fake_line, shot):
    context = browser.new_context(viewport=PHONE, locale="ja-JP", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/")
    page.wait_for_selector("#log .msg.bot")
    before = page.locator("#log > *").count()
    page.fill("#q", "応援団に入りたい")
    page.press("#q", "Enter")
    page.wait_for_function("n => document.querySelectorAll('#log > *').length >= n + 2", arg=before)
    with context.expect_page() as opened:
        page.get_by_role("link", name="応援団に登録する").last.click()
    form = opened.value
    form.wait_for_load_state()
    assert form.url.endswith("/forms/supporters-club")  # the link's token went into a cookie (issue 19 A8)
    assert form.get_by_text("LINE と連携して申し込みます").count() == 1
    shot(form, "form-phone")

    form.get_by_role("button", name="確認へ進む").click()
    form.wait_for_selector("#error-summary")
    assert form.locator(".fm-error").count() >= 6
    assert form.get_by_label("ふりがな").get_attribute("aria-invalid") == "true"
    shot(form, "form-phone-errors")

    form.get_by_label("氏名").fill("芦別 花子")
    form.get_by_label("ふりがな").fill("あしべつ はなこ")
    form.get_by_label("お住まいの都道府県").select_option("北海道")
    form.get_by_label("お住まいの市区町村").fill("札幌市中央区")
    form.get_by_label("芦別出身").check()
    form.get_by_label("観光").check()
    form.get_by_label("市からのお知らせの受け取り方").select_option("LINE")
    form.get_by_label("上の「個人情報の取扱い」に同意します").check()
    form.get_by_role("button", name="確認へ進む").click()
    form.wait_for_selector("text=入力内容の確認")
    assert form.get_by_text("札幌市中央区").count() == 1
    shot(form, "form-phone-confirm")

    form.get_by_role("button", name="申し込む").click()
    form.wait_for_selector(".fm-receipt-no")
    number = form.locator(".fm-receipt-no").inner_text().strip()
    shot(form, "form-phone-done")
    with loaded_app.app_context():
        row = db.session.scalar(select(FormSubmission))
        assert row.receipt_no == number and row.line_user_id.startswith("sim-")
    # A simulated resident never causes a LINE call (issue 19 A12); the done page says why nothing was pushed.
    assert fake_line.calls("/v2/bot/message/push") == []
    assert form.get_by_text("シミュレーターからの申込みのため、LINE には送っていません。").count() == 1
    context.close()


def test_the_form_works_without_javascript(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="ja-JP", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/forms/supporters-club")
    page.get_by_label("ふりがな").fill("芦別")
    page.get_by_role("button", name="確認へ進む").click()
    page.wait_for_selector("#error-summary")
    assert "ひらがなかカタカナ" in page.locator("#f-kana-error").inner_text()
    page.keyboard.press("Tab")  # focus moves through the page by keyboard
    context.close()
