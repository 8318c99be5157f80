"""まちの目標 on the signage screens: the KPIs with an actual (public fields only), none in disaster mode."""
from __future__ import annotations

from bot.extensions import db
from bot.kpi import store
from bot.signage import facilities
from bot.town.settings import set_disaster_mode

FIELDS = {"name", "value", "as_of", "target", "percent", "state"}


def _key(app) -> str:
    with app.app_context():
        hall = facilities.create("市民会館", "", by="staff@example.invalid")
        _, key = facilities.add_screen(hall, "ロビー", by="staff@example.invalid")
        db.session.commit()
        return key


def test_the_screen_shows_the_kpis_with_an_actual(loaded_app):
    key = _key(loaded_app)
    client = loaded_app.test_client()
    first = client.get(f"/signage/{key}/content").get_json()
    # The screen's own poll is a heartbeat: its facility is now live, so the signage KPI has a count.
    assert [k["name"] for k in first["kpi"]] == ["サイネージ設置施設数"]
    with loaded_app.app_context():
        store.record_actual(store.kpi_by_key("led-lighting"), "20.5", "2025-03-31", "施設管理の集計（職員メモ）",
                            "内部のメモ", "staff@example.invalid")
    data = client.get(f"/signage/{key}/content").get_json()
    assert [k["name"] for k in data["kpi"]] == ["サイネージ設置施設数", "照明のLED化率"]
    led = data["kpi"][1]
    assert set(led) == FIELDS
    assert led == {"name": "照明のLED化率", "value": "20.5%", "as_of": "2025年3月31日現在",
                   "target": "３５．７％（令和6年度）", "percent": 57, "state": "進行中"}
    raw = client.get(f"/signage/{key}/content").get_data(as_text=True)
    assert "staff@example.invalid" not in raw and "内部のメモ" not in raw
    page = client.get(f"/signage/{key}", follow_redirects=True).get_data(as_text=True)
    assert 'id="kpi"' in page and "照明のLED化率" in page and '<progress max="100" value="57">' in page


def test_disaster_mode_leaves_the_kpis_off(loaded_app):
    key = _key(loaded_app)
    with loaded_app.app_context():
        store.record_actual(store.kpi_by_key("led-lighting"), "20.5", "2025-03-31", "集計", "", "staff@example.invalid")
        set_disaster_mode(True, "大雨", "admin@example.jp")
        db.session.commit()
    data = loaded_app.test_client().get(f"/signage/{key}/content").get_json()
    assert data["kpi"] == [] and data["disaster"]
