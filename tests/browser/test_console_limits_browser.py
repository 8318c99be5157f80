"""The console's budgets in headless Chromium: a clerk over the inbox budget sees a plain Japanese page, loses nothing."""
from __future__ import annotations

from playwright.sync_api import expect

from sqlalchemy import select

from bot.core import ratelimit
from bot.core.limits import limit_for
from bot.extensions import db
from bot.inbox.store import open_groups
from bot.models import QuestionLog, User
from tests.support.console import EDITOR, PASSWORD
from tests.browser.test_accounts_browser import log_in


def test_over_the_inbox_budget_the_clerk_sees_a_japanese_page_and_the_question_stays(loaded_app, live_server, page,
                                                                                     shot):
    loaded_app.config["INBOX_ACTIONS_PER_HOUR"] = 1
    with loaded_app.app_context():
        db.session.add_all(QuestionLog(text=text, outcome="fallback", channel="line")
                           for text in ("市営プールの営業時間", "花火大会の日程"))
        db.session.commit()
    log_in(page, live_server, EDITOR, PASSWORD)
    for _ in range(2):
        page.goto(f"{live_server}/admin/inbox")
        page.get_by_role("button", name="対応不要にする").first.click()
    expect(page.get_by_role("heading", name="操作の回数が上限に達しました")).to_be_visible()
    expect(page.get_by_text("1人1時間に1回までです。何も変更していません。")).to_be_visible()
    expect(page.locator("nav")).to_be_visible()  # the console's own layout, its navigation included
    page.get_by_role("link", name="前の画面へ戻る").click()
    expect(page).to_have_url(f"{live_server}/admin/inbox")
    with loaded_app.app_context():
        assert len(open_groups(90)) == 1  # the first dismissal went through, the refused one changed nothing
    # The staff guide's picture shows the shipped budget (600 an hour), reached by filling it in the limiter.
    loaded_app.config["INBOX_ACTIONS_PER_HOUR"] = 600
    with loaded_app.app_context():
        editor = db.session.scalar(select(User).where(User.email == EDITOR))
        limit = limit_for("console_inbox")
        while ratelimit.hit(limit, f"user:{editor.id}"):
            pass
    page.goto(f"{live_server}/admin/inbox")
    page.get_by_role("button", name="対応不要にする").first.click()
    expect(page.get_by_text("1人1時間に600回までです。何も変更していません。")).to_be_visible()
    shot(page, "console-limited")
