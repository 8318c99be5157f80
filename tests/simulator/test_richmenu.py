"""Issue 19 B9: the simulator shows the rich menu residents see now, and a tap does what it does in LINE."""
from __future__ import annotations

import html
import io
import re

from PIL import Image

from bot.richmenu import mode as modes
from bot.town.settings import disaster_state

TILE = re.compile(r'<(button|a) class="sim-rm-tile"([^>]*)>')


def _page(client) -> str:
    return client.get("/").get_data(as_text=True)


def _tiles(page: str) -> list[dict[str, str]]:
    out = []
    for tag, attrs in TILE.findall(page):
        values = {k: html.unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', attrs)}
        values["tag"] = tag
        out.append(values)
    return out


def _token(page: str) -> str:
    return re.search(r'id="rm-panel"[\s\S]*?name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_simulator_shows_the_normal_menu_with_each_tiles_action(loaded_app):
    client = loaded_app.test_client()
    page = _page(client)
    assert 'id="rm-toggle"' in page and "メニューを開く" in page and 'data-mode="normal"' in page
    tiles = _tiles(page)
    assert len(tiles) == 6
    kids, _, _, notices, contact, club = tiles
    assert kids["data-kind"] == "postback" and "a=topic" in kids["data-data"] and kids["aria-label"].startswith("子育て・教育")
    assert notices["data-kind"] == "postback" and notices["data-data"] == "a=nset"
    assert contact["data-kind"] == "message" and contact["data-text"] == "職員に相談したい"  # type: chat (issue 22)
    assert club["tag"] == "a" and club["href"].endswith("/forms/supporters-club") and club["href"].startswith("http")
    assert club["target"] == "_blank" and club["rel"] == "noopener"
    image = re.search(r'<img class="sim-rm-image" src="([^"]+)"', page).group(1)
    response = client.get(html.unescape(image))
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == (2500, 1686)


def test_in_disaster_mode_the_simulator_shows_the_disaster_menu(loaded_app):
    with loaded_app.app_context():
        modes.switch(True, "訓練", "admin@example.invalid", confirmed=modes.review("disaster").digest)
        assert disaster_state().on
    page = _page(loaded_app.test_client())
    assert 'data-mode="disaster"' in page and "災害時メニュー" in page
    labels = [t["aria-label"] for t in _tiles(page)]
    assert len(labels) == 4 and labels[0].startswith("避難情報") and labels[1].startswith("緊急連絡先")


def test_a_tap_works_without_scripts(loaded_app):
    """The tiles are a plain form: without JavaScript the page comes back with the bot's answer."""
    client = loaded_app.test_client()
    page = _page(client)
    contact = next(t for t in _tiles(page) if t.get("data-text") == "職員に相談したい")
    answered = client.post("/simulator/tap", data={"csrf_token": _token(page), "tap": contact["value"]})
    text = answered.get_data(as_text=True)
    assert answered.status_code == 200
    assert '<div class="msg user">職員に相談したい</div>' in text and text.count('class="msg bot"') >= 1
    assert "市の担当者に伝えました" in text  # the simulator's resident gets the contact list: no push reaches it
    kids = _tiles(page)[0]
    topic = client.post("/simulator/tap", data={"csrf_token": _token(page), "tap": kids["value"]})
    assert topic.status_code == 200 and '<div class="msg user">子育て・教育</div>' in topic.get_data(as_text=True)
    club = client.post("/simulator/tap", data={"csrf_token": _token(page), "tap": "5"})
    assert club.status_code == 302 and club.location.endswith("/forms/supporters-club")  # a link: the page opens


def test_bad_taps_are_japanese_400s_and_need_the_csrf_token(loaded_app):
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    client = loaded_app.test_client()
    token = _token(_page(client))
    for value in ("", "-1", "99", "abc", "1" * 50, "６"):
        response = client.post("/simulator/tap", data={"csrf_token": token, "tap": value})
        assert response.status_code == 400, value
        assert "メニューのボタンが見つかりません" in response.get_data(as_text=True)
    assert client.post("/simulator/tap", data={"tap": "0"}).status_code == 400  # no CSRF token
