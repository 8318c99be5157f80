"""A town an operator adds starts from its own name, never from the default town's office, website or texts."""
from __future__ import annotations

import json

from bot.core.tenancy import use_town
from bot.signage.content import fallback_link
from bot.town.settings import current_town
from bot.towns.store import create_town
from tests.support import events
from tests.support.linesign import body_of, sign


def test_another_town_inherits_nothing_of_the_default_towns_settings(app):
    app.config.update(TOWN_PHONE="0124-22-2111", TOWN_HOURS="平日 8:30〜17:15", TOWN_POWER_NAME="北海道電力",
                      LINE_ADD_FRIEND_URL="https://line.me/R/ti/p/@ashibetsu")
    with app.app_context():
        default = current_town()
        assert default.name == "芦別市" and default.contact == "芦別市役所" and default.phone == "0124-22-2111"
        biei = create_town("biei", "美瑛町", actor="test")
        with use_town(biei.id):
            town = current_town()
    assert (town.name, town.contact) == ("美瑛町", "美瑛町")
    assert town.phone == town.hours == town.website == town.power_name == town.power_contact == ""
    assert "美瑛町" in town.disaster_greeting and "芦別" not in town.disaster_greeting + town.disaster_banner


def test_another_towns_replies_and_screens_name_only_what_its_staff_set(app, fake_line):
    """Residents of the new town are never sent to the default town's office, website or LINE account."""
    app.config.update(TOWN_PHONE="0124-22-2111", LINE_ADD_FRIEND_URL="https://line.me/R/ti/p/@ashibetsu")
    with app.app_context():
        biei = create_town("biei", "美瑛町", actor="test", pack_dir=app.config["KNOWLEDGE_DIR"],
                           channel_secret="biei-secret", access_token="biei-token")
        with use_town(biei.id):
            assert fallback_link(current_town()) == ("", "町のホームページ")  # no website yet: no QR code; a 町 is no 市
        assert fallback_link(current_town())[0] == "https://line.me/R/ti/p/@ashibetsu"  # the default town's own
    fake_line.reset()
    client = app.test_client()
    for text in ("ジンギスカンのおいしい店はどこ", "家の裏に熊がいる！", "人と話したい"):  # fallback, urgent (town: true), contact
        body = body_of([events.text(text)])
        response = client.post("/biei/callback", data=body, headers={
            "Content-Type": "application/json", "X-Line-Signature": sign(body, "biei-secret")})
        assert response.status_code == 200
    assert app.extensions["line_sender"].drain(10)
    replies = fake_line.calls("/v2/bot/message/reply")
    assert len(replies) == 3 and all(r.headers["authorization"] == "Bearer biei-token" for r in replies)
    sent = json.dumps([r.body for r in replies], ensure_ascii=False)
    assert "美瑛町" in sent
    assert "芦別" not in sent and "0124-22-2111" not in sent and "ashibetsu" not in sent
    assert "市役所" not in sent and "市のホームページ" not in sent and "市の担当者" not in sent  # 美瑛町 is a town
    assert '"uri": ""' not in sent and '"uri":""' not in sent  # no button to an empty website
