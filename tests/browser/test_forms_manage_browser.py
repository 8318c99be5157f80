"""Issue 19 in Chromium: a web applicant's done page tells the truth, the management page changes and withdraws, and
staff see a second application with the same address flagged 重複の可能性."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_forms_done_when import _log_in

PHONE = {"width": 390, "height": 844}


def _apply(context, base: str, name: str, city: str) -> str:
    form = context.new_page()
    form.set_default_timeout(15_000)
    form.goto(f"{base}/forms/supporters-club")
    form.get_by_label("氏名").fill(name)
    form.get_by_label("ふりがな").fill("あしべつ はなこ")
    form.get_by_label("メールアドレス").fill("hanako@example.jp")
    form.get_by_label("お住まいの都道府県").select_option("東京都")
    form.get_by_label("お住まいの市区町村").fill(city)
    form.get_by_label("芦別出身").check()
    form.get_by_label("市からのお知らせの受け取り方").select_option("メール")
    form.get_by_label("上の「個人情報の取扱い」に同意します").check()
    form.get_by_role("button", name="確認へ進む").click()
    expect(form.get_by_text("入力内容の確認")).to_be_visible()
    expect(form.get_by_text("すでに登録")).to_have_count(0)
    form.get_by_role("button", name="申し込む").click()
    return form


def test_a_resident_manages_the_registration_and_staff_see_the_duplicate(loaded_app, live_server, browser, shot):
    loaded_app.config.update(SMTP_HOST="", SMTP_FROM="")
    resident = browser.new_context(viewport=PHONE, locale="ja-JP", java_script_enabled=False)
    done = _apply(resident, live_server, "芦別 花子", "世田谷区")
    number = done.locator(".fm-receipt-no").inner_text().strip()
    expect(done.get_by_text("受付完了メールは送っていません（市のメール送信の準備ができていないため）。")).to_be_visible()
    expect(done.get_by_text("LINE でもお知らせしました")).to_have_count(0)
    shot(done, "form-done-no-mail")
    done.get_by_role("link", name="登録の確認・変更・取消し", exact=True).click()
    expect(done).to_have_url(f"{live_server}/forms/supporters-club/manage")
    expect(done.get_by_text(f"受付番号 {number} の登録です。")).to_be_visible()
    shot(done, "form-manage")
    done.get_by_role("link", name="登録内容を変更する").click()
    expect(done.get_by_label("お住まいの市区町村")).to_have_value("世田谷区")
    done.get_by_label("お住まいの市区町村").fill("目黒区")
    done.get_by_role("button", name="確認へ進む").click()
    expect(done.get_by_text(f"受付番号 {number} の登録内容を、この内容に変更します。")).to_be_visible()
    shot(done, "form-change-confirm")
    done.get_by_role("button", name="登録内容を更新する").click()
    expect(done.get_by_role("heading", name="登録内容を更新しました")).to_be_visible()
    assert done.locator(".fm-receipt-no").inner_text().strip() == number

    # Someone else, with the same address: a new application; nothing tells them the address is registered.
    other = browser.new_context(viewport=PHONE, locale="ja-JP")
    second = _apply(other, live_server, "別人 次郎", "札幌市")
    assert second.locator(".fm-receipt-no").inner_text().strip() != number

    staff = browser.new_context(viewport={"width": 1180, "height": 820}, locale="ja-JP")
    console = staff.new_page()
    console.set_default_timeout(15_000)
    _log_in(console, live_server)
    console.goto(f"{live_server}/admin/applications")
    expect(console.locator("td .badge", has_text="重複の可能性")).to_have_count(2)
    console.get_by_label("受付番号・氏名・ふりがな").fill("別人")
    console.get_by_role("button", name="絞り込む").click()
    expect(console).to_have_url(f"{live_server}/admin/applications")  # posted: the name is in no URL
    expect(console.locator(".table-wrap tbody tr")).to_have_count(1)
    shot(console, "applications-duplicate")
    console.locator(".table-wrap tbody a").first.click()
    expect(console.get_by_text("同じメールアドレスの申込みがほかにもあります")).to_be_visible()
    expect(console.get_by_role("link", name=number)).to_be_visible()
    shot(console, "application-duplicate")

    # The resident withdraws from the management page.
    done.goto(f"{live_server}/forms/supporters-club/manage")
    done.get_by_role("button", name="登録を取り消す").click()
    expect(done.get_by_text(f"受付番号 {number} の登録を取り消しました。")).to_be_visible()
    for context in (resident, other, staff):
        context.close()
