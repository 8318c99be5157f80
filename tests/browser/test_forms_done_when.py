"""Issue 13's Done-when in Chromium: apply from the simulator, staff handle it, the resident withdraws, staff delete."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect
from sqlalchemy import select

from bot.extensions import db
from bot.models import FormSetting, FormSubmission
from tests.support.console import ADMIN, PASSWORD
from tests.forms.staff_support import make_version, submit

PUSH = "/v2/bot/message/push"


def _log_in(page, base: str, email: str = ADMIN) -> None:
    page.goto(f"{base}/admin/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="概要")).to_be_visible()


def _say(chat, text: str) -> None:
    """Send a message in the simulator and wait for the reply."""
    before = chat.locator("#log > *").count()
    chat.locator("#q").fill(text)
    chat.get_by_role("button", name="送信").click()
    chat.wait_for_function("n => document.querySelectorAll('#log > *').length >= n", arg=before + 2)


def _row(app, receipt: str) -> FormSubmission | None:
    with app.app_context():
        row = db.session.scalar(select(FormSubmission).where(FormSubmission.receipt_no == receipt))
        if row is not None:
            db.session.expunge(row)
        return row


def test_apply_in_the_simulator_staff_handle_it_the_resident_withdraws_staff_delete(
        loaded_app, live_server, browser, fake_line, shot, tmp_path):
    resident = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    chat = resident.new_page()
    chat.set_default_timeout(15_000)
    # 1. Ask about the club in the simulator and tap 「応援団に登録する」 (a link that opens a new tab).
    chat.goto(f"{live_server}/")
    # The greeting comes by fetch; a busy machine can take longer than expect's default 5 s.
    expect(chat.locator("#log .msg.bot").first).to_be_visible(timeout=20_000)
    _say(chat, "応援団に入りたい")
    button = chat.locator("#log a", has_text="応援団に登録する").last
    expect(button).to_be_visible()
    with resident.expect_page() as opened:
        button.click()
    form = opened.value
    form.set_default_timeout(15_000)
    expect(form.get_by_role("heading", level=1)).to_contain_text("応援団")
    expect(form.get_by_text("LINE と連携して申し込みます")).to_be_visible()

    # 2. Errors: kanji in ふりがな and nothing else filled in.
    form.get_by_label("氏名").fill("芦別 花子")
    form.locator("#f-kana").fill("芦別 花子")
    form.get_by_role("button", name="確認へ進む").click()
    summary = form.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(form.locator("#f-kana-error")).to_be_visible()
    expect(form.locator("#f-kana")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("氏名")).to_have_value("芦別 花子")  # input kept
    shot(form, "forms-errors")

    # 3. Correct it, confirm, and submit: done with a receipt number.
    form.locator("#f-kana").fill("あしべつ はなこ")
    form.locator("#f-email").fill("hanako@example.jp")
    form.locator("#f-prefecture").select_option("東京都")
    form.locator("#f-city").fill("世田谷区")
    form.get_by_label("芦別出身").check()
    form.get_by_label("ふるさと納税").check()
    form.locator("#f-contact_via").select_option("LINE")
    form.locator("#f-consent").check()
    form.get_by_role("button", name="確認へ進む").click()
    expect(form.get_by_role("button", name="申し込む")).to_be_visible()
    expect(form.get_by_text("芦別出身")).to_be_visible()
    form.get_by_role("button", name="申し込む").click()
    number = form.locator(".fm-receipt-no").inner_text().strip()
    assert re.fullmatch(r"[A-Z]-[0-9A-Z-]+", number), number

    # 4. A simulated resident has no LINE account: nothing is pushed (issue 19 A12), and the page says so.
    assert fake_line.calls(PUSH) == []
    expect(form.get_by_text("シミュレーターからの申込みのため、LINE には送っていません。")).to_be_visible()

    # 5. Staff see the application, change its status and export the CSV.
    staff = browser.new_context(viewport={"width": 1180, "height": 820}, locale="ja-JP", accept_downloads=True)
    console = staff.new_page()
    console.set_default_timeout(15_000)
    _log_in(console, live_server)
    console.get_by_role("navigation", name="管理メニュー").get_by_role("link", name="申込み").click()
    console.get_by_label("受付番号・氏名・ふりがな").fill("はなこ")
    console.get_by_role("button", name="絞り込む").click()
    console.get_by_role("link", name=number).click()
    expect(console.get_by_role("heading", name=f"申込み {number}")).to_be_visible()
    expect(console.get_by_text("芦別出身、ふるさと納税")).to_be_visible()
    console.get_by_label("状態", exact=True).select_option(label="確認済み")
    console.get_by_label("メモ（職員だけが見ます）").fill("電話で確認済み")
    console.get_by_role("button", name="保存する").click()
    expect(console.get_by_text("保存しました。")).to_be_visible()
    expect(console.get_by_text(f"受付番号 {number} の状態を確認済みに変更")).to_be_visible()
    assert _row(loaded_app, number).status == "confirmed"
    console.get_by_role("navigation", name="管理メニュー").get_by_role("link", name="申込み").click()
    with console.expect_download() as download:
        console.get_by_role("button", name="この条件でCSVを書き出す").click()  # posted: no search text in a URL
    path = tmp_path / "export.csv"
    download.value.save_as(path)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [(r["受付番号"], r["状態"], r["芦別とのご縁"]) for r in rows] == [(number, "確認済み", "芦別出身、ふるさと納税")]

    # 6. The resident withdraws from LINE (the simulator), after a confirmation.
    _say(chat, "応援団をやめる")
    before = chat.locator("#log > *").count()
    chat.locator("#log button", has_text="登録をやめる").last.click()
    chat.wait_for_function("n => document.querySelectorAll('#log > *').length >= n", arg=before + 1)
    expect(chat.locator("#log > *").last).to_contain_text("取")
    row = _row(loaded_app, number)
    assert row.status == "cancelled" and row.withdrawn_at is not None

    # 7. Staff delete the record: the row goes, the audit log keeps only the receipt number.
    console.goto(f"{live_server}/admin/applications")
    console.get_by_role("link", name=number).click()
    expect(console.get_by_text("取消").first).to_be_visible()
    console.get_by_label("確認のため受付番号を入力").fill(number)
    console.get_by_role("button", name="完全に削除する").click()
    expect(console.get_by_text(f"受付番号 {number} の記録を削除しました。")).to_be_visible()
    assert _row(loaded_app, number) is None
    resident.close()
    staff.close()


def test_screenshots_of_the_list_the_detail_and_the_kpi(loaded_app, live_server, page, shot):
    now = datetime.now(timezone.utc)
    with loaded_app.app_context():
        version = make_version()
        people = [("札幌 太郎", "さっぽろ たろう", "北海道", ["芦別出身"]), ("東京 花", "とうきょう はな", "東京都", ["ふるさと納税"]),
                  ("旭川 一郎", "あさひかわ いちろう", "北海道", ["以前住んでいた", "家族・親戚がいる"]),
                  ("横浜 みどり", "よこはま みどり", "神奈川県", ["芦別で働いていた"]),
                  ("大阪 進", "おおさか すすむ", "大阪府", ["芦別出身", "その他"])]
        for n, (name, kana, pref, relation) in enumerate(people * 2):
            submit(version, f"S-SHOT-{n:04d}", created=now - timedelta(days=31 * (n % 6) + n), name=name, kana=kana,
                   prefecture=pref, relation=relation, status=("new", "confirmed", "in_progress", "done")[n % 4],
                   channel="line" if n % 2 else "web")
        db.session.add(FormSetting(slug=version.slug, paper_registrations=24, retention_days=None))
        db.session.commit()
        first = db.session.scalar(select(FormSubmission.id).where(FormSubmission.receipt_no == "S-SHOT-0000"))
    _log_in(page, live_server)
    kpi = page.locator("#kpi-supporters-club")
    expect(kpi).to_contain_text("34人")
    expect(kpi.locator("svg.chart").first).to_be_visible()
    shot(page, "forms-overview-kpi")
    page.goto(f"{live_server}/admin/applications")
    expect(page.get_by_text("S-SHOT-0000")).to_be_visible()
    shot(page, "forms-list")
    page.goto(f"{live_server}/admin/applications/{first}")
    expect(page.get_by_text("芦別とのご縁")).to_be_visible()
    shot(page, "forms-detail")
