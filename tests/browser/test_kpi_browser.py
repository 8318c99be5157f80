"""The KPI board on a phone (390×844) in headless Chromium: the plan's numbers with 未入力, staff enter one actual
from their phone (a bad value is explained first, the typed text kept), and the public board shows it."""
from __future__ import annotations

from playwright.sync_api import expect

from bot.extensions import db
from bot.models import AuditLog
from tests.browser.test_console_flows import log_in
from tests.support.layout import page_width

PHONE = {"width": 390, "height": 844}


def _phone(browser):
    context = browser.new_context(viewport=PHONE, locale="ja-JP", device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _fits(page) -> None:
    assert page_width(page) <= PHONE["width"]  # nothing runs off the side


def test_staff_update_one_actual_and_the_board_on_a_phone_shows_it(live_server, loaded_app, browser, shot):
    resident, board = _phone(browser)
    board.goto(f"{live_server}/kpi")
    expect(board.get_by_role("heading", level=1)).to_have_text("総合戦略のKPI（重要業績評価指標）")
    expect(board.locator(".kpi-list > li")).to_have_count(9)
    card = board.locator("#kpi-maternal-app")
    expect(card).to_contain_text("１４０名（令和4年度）")
    expect(card).to_contain_text("１９０名（令和6年度）")
    expect(card.locator("dd.actual")).to_have_text("未入力")
    expect(board.locator("#kpi-nursery-app")).to_contain_text("基準値を維持")
    _fits(board)
    assert board.evaluate("document.cookie") == ""
    assert not resident.cookies()  # the public board sets none
    shot(board, "kpi-board-top-phone", full_page=False)

    staff, console = _phone(browser)
    log_in(console, live_server)
    console.goto(f"{live_server}/admin/kpi")
    _fits(console)
    console.get_by_role("link", name="母子手帳アプリ利用者数").click()
    expect(console.get_by_role("heading", name="実績を入力する")).to_be_visible()
    # A value that is not a number: the reason beside the field, what was typed still there, nothing stored.
    console.get_by_label("実績値").fill("ひゃくごじゅう")
    console.get_by_label("集計日").fill("2025-03-31")
    console.get_by_label("出典").fill("令和6年度 子育て支援課の集計")
    console.get_by_role("button", name="入力する").click()
    expect(console.locator("#value-error")).to_contain_text("数字として読めません")
    expect(console.get_by_label("出典")).to_have_value("令和6年度 子育て支援課の集計")
    shot(console, "kpi-error-phone", console.locator("form").filter(has=console.get_by_label("実績値")))
    console.get_by_label("実績値").fill("152")
    console.get_by_role("button", name="入力する").click()
    expect(console.locator(".flash")).to_contain_text("実績 152名（2025年3月31日）を入力しました")
    expect(console.locator("#history")).to_contain_text("令和6年度 子育て支援課の集計")
    _fits(console)
    shot(console, "kpi-console-phone", console.locator("main"))
    with loaded_app.app_context():
        row = db.session.query(AuditLog).filter_by(action="kpi.actual").one()
        assert row.after == {"kpi_value": "152名", "as_of": "2025-03-31", "source": "令和6年度 子育て支援課の集計"}

    board.reload()
    card = board.locator("#kpi-maternal-app")
    expect(card.locator("dd.actual")).to_contain_text("152名（2025年3月31日現在）")
    expect(card.locator("progress")).to_have_attribute("value", "80")
    expect(card.locator(".pct")).to_have_text("目標の80%")
    expect(card.locator("svg.kpi-chart title").first).to_have_text("母子手帳アプリ利用者数の推移")
    _fits(board)
    card.scroll_into_view_if_needed()
    shot(board, "kpi-board-phone", card)
    # Print: the site's header and footer go, the cards stay whole.
    board.emulate_media(media="print")
    assert board.evaluate("getComputedStyle(document.querySelector('header.site')).display") == "none"
    assert board.evaluate("getComputedStyle(document.querySelector('.kpi-list > li')).breakInside") == "avoid"
    resident.close()
    staff.close()


def test_the_console_board_and_overview_on_a_desktop(live_server, loaded_app, page, shot):
    with loaded_app.app_context():
        from bot.kpi import store

        store.record_actual(store.kpi_by_key("led-lighting"), "20.5", "2025-03-31", "施設管理の集計", "", "admin@example.invalid")
        store.record_actual(store.kpi_by_key("school-lunch-free"), "3", "2024-04-01", "教育委員会", "", "admin@example.invalid")
    log_in(page, live_server)
    expect(page.locator("#plan-kpi")).to_contain_text("9件のうち、実績の入力があるのは2件です")
    page.get_by_role("link", name="KPI", exact=True).click()
    expect(page.get_by_role("heading", name="総合戦略のKPI")).to_be_visible()
    expect(page.locator("#kpi-led-lighting")).to_contain_text("20.5%")
    expect(page.locator("#kpi-school-lunch-free")).to_contain_text("達成")
    shot(page, "kpi-console")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSVをダウンロード（推進会議用）").click()
    assert info.value.suggested_filename.startswith("kpi-") and info.value.suggested_filename.endswith(".csv")


def test_the_signage_strip_shows_the_kpis_with_an_actual(live_server, loaded_app, browser, shot):
    from bot.kpi import store
    from bot.signage import facilities

    with loaded_app.app_context():
        hall = facilities.create("市民会館", "", by="admin@example.invalid")
        _screen, key = facilities.add_screen(hall, "ロビー", by="admin@example.invalid")
        db.session.commit()
        store.record_actual(store.kpi_by_key("led-lighting"), "20.5", "2025-03-31", "施設管理の集計", "", "admin@example.invalid")
        store.record_actual(store.kpi_by_key("maternal-app"), "152", "2025-03-31", "子育て支援課", "", "admin@example.invalid")
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="ja-JP")
    kiosk = context.new_page()
    kiosk.goto(f"{live_server}/signage/{key}")
    strip = kiosk.locator("#kpi")
    expect(strip).to_be_visible()
    expect(strip.locator("li")).to_have_count(3)  # the screen's own heartbeat makes its facility count too
    expect(strip).to_contain_text("母子手帳アプリ利用者数")
    expect(strip).to_contain_text("20.5%")
    shot(kiosk, "kpi-signage", full_page=False)
    context.close()
