"""The chat simulator in headless Chromium: it scrolls like LINE, an answer fits a phone, fonts are named."""
from __future__ import annotations

import statistics

import pytest

PHONE = {"width": 400, "height": 860}
DESKTOP = {"width": 1280, "height": 800}
QUESTIONS = ("給食費ってタダになるの？", "子ども産まれたら何かもらえる？", "応援団に登録したい", "コンビニで住民票とれる？",
             "ゼロカーボンって何？")


@pytest.fixture
def open_simulator(browser, live_server):
    """Return a function that opens the simulator at a window size and waits for the greeting."""
    contexts = []

    def open_at(viewport: dict):
        context = browser.new_context(viewport=viewport, locale="ja-JP")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server}/")
        page.wait_for_selector("#log .msg.bot")
        return page

    yield open_at
    for context in contexts:
        context.close()


def _replied(page, action) -> None:
    """Run an action that sends something, and wait until the reply is shown."""
    before = page.locator("#log > *").count()
    action()
    page.wait_for_function("n => document.querySelectorAll('#log > *').length >= n + 2", arg=before)


def ask(page, question: str) -> None:
    """Type a question and send it as a resident would."""
    _replied(page, lambda: (page.fill("#q", question), page.press("#q", "Enter")))


def tap_chip(page, index: int) -> None:
    """Tap the index-th quick reply."""
    _replied(page, lambda: page.locator("#chips button").nth(index).click())


def _box(page, selector: str) -> dict:
    return page.locator(selector).last.bounding_box()


def _fully_inside(inner: dict, outer: dict) -> bool:
    return (inner["y"] >= outer["y"] - 0.5 and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
            and inner["x"] >= outer["x"] - 0.5 and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone-400x860", "desktop-1280x800"])
def test_the_newest_reply_and_the_input_stay_in_view(open_simulator, viewport, shot):
    page = open_simulator(viewport)
    screen = {"x": 0, "y": 0, **viewport}
    for question in QUESTIONS:
        ask(page, question)
        newest = _box(page, "#log > *")
        log = _box(page, "#log")
        assert _fully_inside(newest, log), (question, newest, log)
        assert _fully_inside(log, screen) and _fully_inside(_box(page, "#q"), screen), question
        assert _fully_inside(_box(page, ".sim-form button"), screen), question
    # The chat scrolls inside itself; the page never grows past the window.
    assert page.evaluate("document.documentElement.scrollHeight") <= viewport["height"]
    assert page.evaluate("document.querySelector('#log').scrollHeight > document.querySelector('#log').clientHeight")
    shot(page, f"simulator-{viewport['width']}x{viewport['height']}")


def _answer_heights(page) -> dict[str, float]:
    """Open every answer through the topic menu, as a resident taps it, and measure its bubble with its buttons."""
    heights: dict[str, float] = {}
    ask(page, "メニュー")
    categories = page.locator("#chips button").count()
    for c in range(categories):
        tap_chip(page, c)
        titles = page.locator("#chips button").all_inner_texts()[:-1]  # the last chip is 「メニュー」
        for t in range(len(titles)):
            if t:
                ask(page, "メニュー")
                tap_chip(page, c)
            tap_chip(page, t)
            bubble = page.locator("#log article.bubble").last
            heights[bubble.get_attribute("aria-label")[:20]] = bubble.bounding_box()["height"]
        ask(page, "メニュー")
    return heights


def test_an_answer_fits_one_phone_screen(open_simulator, shot, capsys):
    page = open_simulator(PHONE)
    # Typing closes the rich menu, as LINE's keyboard does; the answers below are asked by typing.
    page.focus("#q")
    chat_height = page.evaluate("document.querySelector('#log').clientHeight")
    heights = _answer_heights(page)
    assert len(heights) >= 10, heights
    typical = statistics.median(heights.values())
    longest = max(heights, key=heights.get)
    with capsys.disabled():
        print(f"\nanswer bubbles at 400x860: median {typical:.0f}px, longest {heights[longest]:.0f}px ({longest}), "
              f"chat area {chat_height}px, screen {PHONE['height']}px")
    # A typical answer, buttons included, takes at most half the phone's screen, so the question and the quick
    # replies stay in sight (before: about 600px, most of the chat); even the longest is read without scrolling.
    assert typical <= PHONE["height"] / 2
    assert heights[longest] <= chat_height
    shot(page, "simulator-answer-400x860")


def test_japanese_and_the_feedback_emoji_use_named_fonts(open_simulator):
    page = open_simulator(PHONE)
    ask(page, "給食費ってタダになるの？")
    button = page.locator("#log article.bubble button", has_text="役に立った").last
    family = button.evaluate("b => getComputedStyle(b).fontFamily")
    assert "Noto Sans CJK JP" in family and "Noto Color Emoji" in family, family
    # The installed fonts are the ones named: the check is about the CSS, not about this machine.
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK JP\"', 'あ')")
    assert "👍" in button.inner_text()

