"""A notice from the console in headless Chromium: compose with preview, approve, send, read the report."""
from __future__ import annotations

import re
import threading
import time

import pytest
from playwright.sync_api import expect

from bot.notices import worker
from tests.admin_support import ADMIN, EDITOR, PASSWORD
from tests.notices_support import FAST, add_followers

KIDS = "子育て・教育"
TITLE = "出産応援ギフトの申請受付を始めました"


@pytest.fixture
def subscribers(loaded_app):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True})
    with loaded_app.app_context():
        users = add_followers(range(3), topics=(KIDS,))
        add_followers(range(10, 14))  # followers who chose no topic
    return users


@pytest.fixture
def running_worker(loaded_app):
    """Run the notice worker beside the live server, as the Procfile's worker would."""
    stop = threading.Event()

    def run():
        with loaded_app.app_context():
            worker.run(stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(10)


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="概要")).to_be_visible()


def test_compose_preview_approve_send_and_see_it_delivered(subscribers, live_server, running_worker, page, shot,
                                                           fake_line):
    log_in(page, live_server, EDITOR)
    page.get_by_role("link", name="お知らせ", exact=True).click()
    page.get_by_role("link", name="新しいお知らせを作る").click()
    expect(page.get_by_role("heading", name="お知らせの作成")).to_be_visible()

    page.get_by_role("textbox", name="タイトル").fill(TITLE)
    page.get_by_role("textbox", name="本文", exact=True).fill("妊娠・出産された方へのギフトの申請受付を始めました。")
    page.get_by_label("関連する回答（任意）").select_option("childbirth-gifts")
    page.get_by_label(KIDS).check()
    # The preview is the bubble residents get; the count is who would get it now.
    preview = page.locator("#notice-preview .bubble")
    expect(preview).to_contain_text(TITLE)
    expect(preview).to_contain_text("くわしく")
    expect(page.locator("#recipient-count")).to_have_text("3")
    page.get_by_label("友だち全員（配信停止した人を除く）").check()
    expect(page.locator("#recipient-count")).to_have_text("7")
    page.get_by_label("テーマを選んだ人").check()
    expect(page.locator("#recipient-count")).to_have_text("3")
    shot(page, "notice-compose")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.locator(".flash")).to_contain_text("下書きを保存しました")
    detail_url = page.url
    expect(page.locator("#preview .bubble")).to_contain_text(TITLE)
    page.get_by_role("button", name="承認を依頼する").click()
    expect(page.locator("#notice-status")).to_have_text("承認待ち")
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, live_server, ADMIN)
    page.goto(detail_url)
    shot(page, "notice-approve")
    page.get_by_role("button", name="承認して送信").click()
    expect(page.locator(".flash")).to_contain_text("承認しました")

    delivered, status = page.locator('td[data-k="delivered"]'), page.locator("#notice-status")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page.reload()
        # The worker counts the last delivery first and closes the notice in its next pass: wait for both.
        if delivered.inner_text() == "3" and status.inner_text() == "送信済み":
            break
        time.sleep(0.3)
    expect(delivered).to_have_text("3")
    expect(page.locator("#notice-status")).to_have_text("送信済み")
    expect(page.locator('td[data-k="failed"]')).to_have_text("0")
    expect(page.locator('td[data-k="pending"]')).to_have_text("0")
    shot(page, "notice-report")
    assert sorted(fake_line.delivered()) == sorted(subscribers)
    page.get_by_role("link", name="← お知らせの一覧").click()
    expect(page.get_by_role("row", name=re.compile(TITLE))).to_contain_text("3／3")
    assert page.alerts == []
