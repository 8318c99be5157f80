"""The staff's main flows in headless Chromium: edit, learn from the inbox, roll back — checked in the simulator."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.console import ADMIN, EDITOR, PASSWORD

QUESTION = "給食費ってタダになるの？"
UNKNOWN = "ゴミの分別カレンダーはどこでもらえますか"
LUNCH_TITLE = "学校給食費の無償化（小中学校）"


def log_in(page, base: str, email: str = EDITOR) -> None:
    page.goto(f"{base}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="概要")).to_be_visible()


def ask_simulator(page, base: str, text: str):
    """Ask the chat simulator and return the locator of the bot's last reply."""
    page.goto(f"{base}/")
    expect(page.locator("#log .msg.bot").first).to_be_visible()  # the welcome message
    before = page.locator("#log > *").count()
    page.locator("#q").fill(text)
    page.get_by_role("button", name="送信").click()
    # The user's message plus at least one reply.
    # A function, not an expression: Playwright evals expressions in the page, which the CSP forbids.
    page.wait_for_function("n => document.querySelectorAll('#log > *').length >= n", arg=before + 2)
    return page.locator("#log > *").last


def open_entry(page, base: str, title: str = LUNCH_TITLE) -> None:
    page.goto(f"{base}/admin/entries")
    page.get_by_label("キーワード").fill("給食")
    page.get_by_role("button", name="絞り込む").click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=re.compile("回答の編集"))).to_be_visible()


def edit_answer(page, text: str) -> None:
    page.get_by_label("回答", exact=True).fill(text)
    # The live preview shows the unsaved text in the reply bubble.
    expect(page.locator("#preview .bubble")).to_contain_text(text)


def test_log_in_edit_an_answer_and_see_it_in_the_simulator(live_server, page, shot):
    log_in(page, live_server)
    shot(page, "overview")
    page.goto(f"{live_server}/admin/entries")
    shot(page, "entries")
    open_entry(page, live_server)
    edit_answer(page, "給食費は無料です（ブラウザのテストで編集）。")
    shot(page, "edit")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".flash")).to_contain_text("保存しました")
    reply = ask_simulator(page, live_server, QUESTION)
    expect(reply).to_contain_text("給食費は無料です（ブラウザのテストで編集）。")
    shot(page, "simulator")
    page.goto(f"{live_server}/admin/try?q={QUESTION}")
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "answer")
    shot(page, "try")
    assert page.alerts == []


def test_the_preview_catches_up_with_typing_done_before_the_script_ran(live_server, page):
    """On a slow page the clerk can type before admin.js has run; the preview must still show that text."""
    log_in(page, live_server)
    open_entry(page, live_server)
    edit_url = page.url
    held = []
    page.route("**/static/admin.js*", lambda route: held.append(route))
    page.goto(edit_url, wait_until="commit")
    answer = page.get_by_label("回答", exact=True)
    expect(answer).to_be_editable()
    for _ in range(100):  # the parser asks for admin.js when it reaches the script tag, after the form
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "admin.js was never requested"
    answer.fill("スクリプトより先に入力しました。")
    assert page.locator("#preview[data-fresh]").count() == 0
    held[0].continue_()
    expect(page.locator("#preview .bubble")).to_contain_text("スクリプトより先に入力しました。")
    expect(page.locator("#preview")).to_have_attribute("data-fresh", "1")


def test_fallback_question_from_the_inbox_is_answered_after_adding_it(live_server, page, shot):
    reply = ask_simulator(page, live_server, UNKNOWN)
    expect(page.locator("#log")).to_have_attribute("data-outcome", "fallback")
    log_in(page, live_server)
    page.get_by_role("link", name="未回答の質問").click()
    group = page.locator("article.inbox-group", has_text=UNKNOWN)
    expect(group).to_contain_text("1人")
    expect(group.locator("input[type=radio]:checked")).to_have_count(0)  # nothing chosen in advance
    group.get_by_label("ほかの回答に追加").select_option("school-lunch-free")
    shot(page, "inbox")
    group.get_by_role("button", name="想定質問に追加").click()
    # The matcher finds the lunch entry a poor fit for this wording: the clerk is asked once more.
    expect(page.get_by_role("heading", name="本当にこの回答に追加しますか？")).to_be_visible()
    shot(page, "inbox-confirm")
    page.get_by_role("button", name="それでも追加する").click()
    expect(page.locator(".flash")).to_contain_text("想定質問を追加しました")
    expect(page.locator("article.inbox-group", has_text=UNKNOWN)).to_have_count(0)
    reply = ask_simulator(page, live_server, UNKNOWN)
    expect(page.locator("#log")).to_have_attribute("data-outcome", "answer")
    expect(reply).to_contain_text(LUNCH_TITLE)


def test_roll_back_a_bad_edit(live_server, page, shot):
    log_in(page, live_server, ADMIN)
    open_entry(page, live_server)
    original = page.get_by_label("回答", exact=True).input_value().splitlines()[0]
    edit_answer(page, "まちがった回答です。")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".flash")).to_contain_text("保存しました")
    expect(ask_simulator(page, live_server, QUESTION)).to_contain_text("まちがった回答です。")
    page.go_back()
    open_entry(page, live_server)
    page.get_by_role("link", name="変更履歴").click()
    expect(page.locator(".diff .ins").first).to_contain_text("まちがった回答です。")
    shot(page, "history")
    # The newest revision is first; the one below it is the content before the bad edit.
    page.get_by_role("button", name="この版に戻す").first.click()
    expect(page.locator(".flash")).to_contain_text("の内容に戻しました")
    reply = ask_simulator(page, live_server, QUESTION)
    expect(reply).to_contain_text(original)
    expect(reply).not_to_contain_text("まちがった回答です。")


def test_script_in_an_answer_stays_text_in_preview_and_simulator(live_server, page):
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    log_in(page, live_server)
    open_entry(page, live_server)
    edit_answer(page, "給食費 " + evil)
    page.get_by_label("タイトル").fill("給食<script>alert(3)</script>")
    expect(page.locator("#preview .bubble .head")).to_contain_text("<script>alert(3)</script>")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".flash")).to_contain_text("保存しました")
    expect(page.get_by_label("タイトル")).to_have_value("給食<script>alert(3)</script>")
    reply = ask_simulator(page, live_server, QUESTION)
    expect(reply).to_contain_text(evil)
    assert page.locator("#log img, #log script, #preview img").count() == 0
    page.goto(f"{live_server}/admin/entries")
    expect(page.get_by_role("link", name="給食<script>alert(3)</script>")).to_be_visible()
    assert page.alerts == []


def test_concurrent_edit_in_two_browsers_keeps_the_second_text(live_server, page, browser):
    log_in(page, live_server, ADMIN)
    open_entry(page, live_server)
    other_context = browser.new_context()
    other = other_context.new_page()
    log_in(other, live_server, EDITOR)
    open_entry(other, live_server)
    edit_answer(page, "管理者が先に保存した回答。")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator(".flash")).to_contain_text("保存しました")
    other.get_by_label("回答", exact=True).fill("編集者の長い文章。")
    other.get_by_role("button", name="保存する").click()
    expect(other.get_by_role("alert").first).to_contain_text("保存できませんでした")
    expect(other.get_by_label("回答", exact=True)).to_have_value("編集者の長い文章。")
    other_context.close()


def test_launch_readiness_and_categories_in_the_browser(live_server, page, shot):
    log_in(page, live_server, ADMIN)
    page.get_by_role("link", name="公開準備").first.click()
    heading = page.get_by_role("heading", name=re.compile("公開準備"))
    expect(heading).to_contain_text("0/20")
    shot(page, "readiness")
    row = page.locator("tr", has_text=LUNCH_TITLE)
    row.get_by_role("button", name="確認メモを対応済みにする").click()  # a confirm dialog, accepted
    expect(page.locator(".flash")).to_contain_text("確認メモを対応済みにしました")
    expect(page.locator("tr", has_text=LUNCH_TITLE)).not_to_contain_text("確認メモが未対応")
    page.get_by_role("link", name="カテゴリ").click()
    page.get_by_label("カテゴリの名前").fill("子育て･教育")  # a half-width dot: the same name, refused
    page.get_by_role("button", name="追加する").click()
    expect(page.locator(".flash.error")).to_contain_text("同じカテゴリを使ってください")
    page.get_by_label("カテゴリの名前").fill("観光")
    page.get_by_role("button", name="追加する").click()
    expect(page.locator(".flash")).to_contain_text("「観光」を追加しました")
    shot(page, "categories")
    open_entry(page, live_server)
    expect(page.get_by_label("カテゴリ")).to_have_value("子育て・教育")
    assert page.get_by_label("カテゴリ").locator("option", has_text="観光").count() == 1
    assert page.alerts == []
