"""The public board /kpi and its feed /kpi.atom: the plan's numbers, 未入力 where nothing was entered, a bar and a
chart per KPI, a print layout, caching like /notices, no cookie, escaping, and a town's board under its prefix."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from bot.core.tenancy import use_town
from bot.extensions import db
from bot.kpi import store
from bot.models import Kpi

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)
ATOM = "{http://www.w3.org/2005/Atom}"
EVIL = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def _enter(app, key: str, value: str, day: str = "2025-03-31", source: str = "担当課の集計") -> None:
    with app.app_context():
        store.record_actual(store.kpi_by_key(key), value, day, source, "", "staff@example.invalid")


def _cards(html: str) -> dict[str, str]:
    """Return each KPI's card on the board by its key."""
    parts = html.split('<li id="kpi-')[1:]
    return {part.split('"', 1)[0]: part.split("</article>", 1)[0] for part in parts}


def test_the_board_shows_the_plans_numbers_and_not_entered(loaded_app):
    response = loaded_app.test_client().get("/kpi")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    cards = _cards(html)
    assert len(cards) == 9
    led = cards["led-lighting"]
    assert "１２．４％（令和4年度）" in led and "３５．７％（令和6年度）" in led and "未入力" in led
    assert "総合戦略78頁" in led and "②公共施設照明LED化の推進" in led
    assert "５年間で２５０件（令和6年度）" in cards["maternity-support"] and "５０件（平成30年度）" in cards["maternity-support"]
    assert "基準値を維持（令和6年度）　基準値 96%" in cards["nursery-app"]
    assert "未策定（令和4年度）" in cards["zero-carbon-plan"]
    # Nothing recorded yet (no paper count, no application, no screen): even the live ones say 未入力.
    assert "自動で集計" in cards["supporters-club"]
    for key in ("supporters-club", "digital-signage", "maternity-support", "school-lunch-free", "convenience-store-certificates", "maternal-app",
                "nursery-app", "zero-carbon-plan", "led-lighting"):
        assert "<strong>未入力</strong>" in cards[key], key
        assert '<progress max="100" value="0" aria-label=' in cards[key], key
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart"') == 9
    assert 'rel="alternate" type="application/atom+xml"' in html


def test_an_entered_actual_shows_with_its_bar_chart_date_and_source(loaded_app):
    _enter(loaded_app, "maternal-app", "152", "2025-03-31", "令和6年度 子育て支援課の集計")
    card = _cards(loaded_app.test_client().get("/kpi").get_data(as_text=True))["maternal-app"]
    assert "<strong>152名</strong>（2025年3月31日現在）" in card and "令和6年度 子育て支援課の集計" in card
    assert '<progress max="100" value="80"' in card and "目標の80%" in card
    assert "<title>2025/3/31：152名</title>" in card  # the chart's bar for that date
    assert 'class="state state-going">進行中' in card


def test_the_print_layout_is_in_the_stylesheet(loaded_app):
    css = loaded_app.test_client().get("/static/kpi.css").get_data(as_text=True)
    assert "@media print" in css and "break-inside: avoid" in css


def test_text_is_escaped_in_the_page_chart_and_feed(loaded_app):
    with loaded_app.app_context():
        kpi = store.kpi_by_key("maternal-app")
        kpi.name = EVIL  # the pack's checks would refuse nothing here: names are free text
        db.session.commit()
    _enter(loaded_app, "maternal-app", "150", source=EVIL)
    html = loaded_app.test_client().get("/kpi").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    feed = loaded_app.test_client().get("/kpi.atom").get_data()
    assert b"<script>" not in feed
    root = ET.fromstring(feed)
    assert root.find(f"{ATOM}entry/{ATOM}title").text.startswith(EVIL)


def test_the_feed_lists_updates_newest_first(loaded_app):
    loaded_app.config["PUBLIC_BASE_URL"] = "https://bot.example.jp/"
    empty = loaded_app.test_client().get("/kpi.atom")
    assert empty.status_code == 200 and empty.content_type == "application/atom+xml; charset=utf-8"
    assert ET.fromstring(empty.get_data()).find(f"{ATOM}entry") is None
    _enter(loaded_app, "school-lunch-free", "3", "2024-04-01", "教育委員会")
    _enter(loaded_app, "led-lighting", "20.5", "2025-03-31", "施設管理の集計")
    root = ET.fromstring(loaded_app.test_client().get("/kpi.atom").get_data())
    assert root.find(f"{ATOM}id").text == "https://bot.example.jp/kpi"
    titles = [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]
    assert titles == ["照明のLED化率：20.5%（2025年3月31日現在）", "給食費無償化の導入学校数：3校（2024年4月1日現在）"]
    link = root.find(f"{ATOM}entry/{ATOM}link").get("href")
    assert link == "https://bot.example.jp/kpi#kpi-led-lighting"


def test_public_pages_are_cached_like_the_notices_and_set_no_cookie(loaded_app):
    client = loaded_app.test_client()
    for path in ("/kpi", "/kpi.atom"):
        first = client.get(path)
        assert first.headers["Cache-Control"] == "public, max-age=60" and first.headers.get("ETag")
        assert not first.headers.getlist("Set-Cookie"), path
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and not again.headers.getlist("Set-Cookie"), path
    before = client.get("/kpi").headers["ETag"]
    _enter(loaded_app, "maternal-app", "150")
    assert client.get("/kpi", headers={"If-None-Match": before}).status_code == 200  # a new actual: a new page
    assert client.post("/kpi").status_code == 405


def test_a_towns_board_lives_under_its_prefix(loaded_app):
    from bot.towns.store import create_town

    with loaded_app.app_context():
        other = create_town("biei", "美瑛町", actor="test", pack_dir=loaded_app.config["KNOWLEDGE_DIR"],
                            channel_secret="s", access_token="t")
        with use_town(other.id):
            store.record_actual(store.kpi_by_key("maternal-app"), "77", "2025-03-31", "美瑛町の集計", "", "b@example.invalid")
            kpi_count = db.session.query(Kpi).count()
    assert kpi_count == 9
    client = loaded_app.test_client()
    theirs = client.get("/biei/kpi").get_data(as_text=True)
    mine = client.get("/kpi").get_data(as_text=True)
    assert "<strong>77名</strong>" in _cards(theirs)["maternal-app"] and "美瑛町の集計" in theirs
    assert "77名" not in mine and "美瑛町の集計" not in mine
    assert 'href="/biei/kpi.atom"' in theirs
    assert client.get("/nowhere/kpi").status_code == 404
