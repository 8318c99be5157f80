"""The kiosk shows open shelters while disaster mode is on; the JSON poll carries them, public fields only."""
from __future__ import annotations

from bot.extensions import db
from bot.models import Shelter
from bot.shelters.store import set_status
from bot.signage import facilities
from bot.town.settings import set_disaster_mode

STAFF = "staff@example.invalid"


def _screen_key(app) -> str:
    with app.app_context():
        facility = facilities.create("芦別市役所", "", by=STAFF)
        _screen, key = facilities.add_screen(facility, "1階ロビー", by=STAFF)
        db.session.commit()
        return key


def _shelter(app, key: str, name: str, status: str | None) -> int:
    with app.app_context():
        shelter = Shelter(key=key, name=name, address=f"{name}の住所", kinds=["earthquake"])
        db.session.add(shelter)
        db.session.commit()
        if status:
            set_status(shelter, status, STAFF)
        return shelter.id


def test_open_shelters_reach_the_screen_only_in_disaster_mode(app, client):
    app.config["TOWN_CACHE_SECONDS"] = 0
    key = _screen_key(app)
    _shelter(app, "kaikan", "試験会館", "open")
    _shelter(app, "gym", "試験体育館", "full")
    _shelter(app, "school", "試験小学校", None)
    assert client.get(f"/signage/{key}/content").get_json()["shelters"] == []
    assert "試験会館" not in client.get(f"/signage/{key}", follow_redirects=True).get_data(as_text=True)
    normal_tag = client.get(f"/signage/{key}/content").headers["ETag"]
    with app.app_context():
        set_disaster_mode(True, "大雨", STAFF)
        db.session.commit()
    response = client.get(f"/signage/{key}/content")
    shelters = response.get_json()["shelters"]
    assert [(s["name"], s["label"]) for s in shelters] == [("試験会館", "開設"), ("試験体育館", "満")]
    assert all(set(s) == {"name", "address", "status", "label", "updated"} for s in shelters)
    assert shelters[0]["updated"].endswith(" 更新") and "月" in shelters[0]["updated"]
    assert STAFF not in response.get_data(as_text=True)
    assert response.headers["ETag"] != normal_tag
    page = client.get(f"/signage/{key}", follow_redirects=True).get_data(as_text=True)
    assert "開設中の避難所" in page and "試験会館" in page and "試験会館の住所" in page and "試験小学校" not in page


def test_a_status_change_changes_the_etag_so_screens_refresh(app, client):
    app.config["TOWN_CACHE_SECONDS"] = 0
    key = _screen_key(app)
    shelter_id = _shelter(app, "kaikan", "試験会館", "open")
    with app.app_context():
        set_disaster_mode(True, "地震", STAFF)
        db.session.commit()
    before = client.get(f"/signage/{key}/content").headers["ETag"]
    with app.app_context():
        set_status(db.session.get(Shelter, shelter_id), "closed", STAFF)
    response = client.get(f"/signage/{key}/content", headers={"If-None-Match": before})
    assert response.status_code == 200 and response.get_json()["shelters"] == []
