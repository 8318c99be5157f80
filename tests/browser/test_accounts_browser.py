"""Accounts in headless Chromium: a generated password copied with one click, the forced change, the throttle."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.console import ADMIN, EDITOR, PASSWORD

NEWCOMER = "newcomer@example.invalid"
OWN_PASSWORD = "my own secret phrase"


def log_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/admin/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()


def create_newcomer(page, base: str) -> str:
    page.goto(f"{base}/admin/users")
    page.get_by_label("メールアドレス").fill(NEWCOMER)
    page.get_by_role("button", name="追加する").click()
    box = page.locator("#generated-password")
    expect(box).to_be_visible()
    return box.inner_text().strip()


def test_a_clerk_copies_a_generated_password_and_the_newcomer_must_change_it(live_server, page, shot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    log_in(page, live_server, ADMIN, PASSWORD)
    expect(page.get_by_role("heading", name="概要")).to_be_visible()
    page.goto(f"{live_server}/admin/users")
    expect(page.get_by_label("役割", exact=True)).to_have_value("editor")
    password = create_newcomer(page, live_server)
    assert not set("0Oo1Il") & set(password)
    page.get_by_role("button", name="コピー").click()
    expect(page.locator(".copy-done")).to_have_text("コピーしました")
    assert page.evaluate("navigator.clipboard.readText()") == password
    shot(page, "users-generated-password")
    page.screenshot(path="/tmp/accounts-users-generated.png", full_page=True)
    page.get_by_role("button", name="ログアウト").click()

    log_in(page, live_server, NEWCOMER, password)
    expect(page).to_have_url(re.compile(r"/admin/account$"))
    expect(page.get_by_text("はじめに、パスワードを自分だけが知っているものに変更してください")).to_be_visible()
    page.goto(f"{live_server}/admin/entries")
    expect(page).to_have_url(re.compile(r"/admin/account$"))  # nothing else until it is changed
    shot(page, "account-forced-change")
    page.screenshot(path="/tmp/accounts-forced-change.png", full_page=True)
    page.get_by_label("今のパスワード").fill(password)
    page.get_by_label("新しいパスワード（10文字以上）").fill(OWN_PASSWORD)
    page.get_by_label("新しいパスワード（確認のためもう一度）").fill(OWN_PASSWORD)
    page.get_by_role("button", name="変更する").click()
    expect(page.locator(".flash")).to_contain_text("パスワードを変更しました")
    page.goto(f"{live_server}/admin/entries")
    expect(page).to_have_url(re.compile(r"/admin/entries$"))


def test_without_javascript_the_password_is_still_there_to_select(live_server, browser):
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    try:
        log_in(page, live_server, ADMIN, PASSWORD)
        password = create_newcomer(page, live_server)
        assert len(password) == 19
        expect(page.get_by_role("button", name="コピー")).to_be_hidden()
    finally:
        context.close()


def test_the_login_page_says_plainly_when_logins_are_paused(live_server, page, shot):
    for _ in range(5):
        log_in(page, live_server, EDITOR, "wrong password")
        expect(page.locator(".flash.error")).to_contain_text("メールアドレスかパスワードが違います")
    log_in(page, live_server, EDITOR, PASSWORD)
    expect(page.locator(".flash.error")).to_contain_text("しばらくログインできません")
    shot(page, "login-throttled")
    page.screenshot(path="/tmp/accounts-login-throttled.png", full_page=True)
