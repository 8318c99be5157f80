"""Disaster answers through signed webhooks and the fake LINE API: shelters, 171, the suppliers, the greeting."""
from __future__ import annotations

import json
from datetime import timezone

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import QuestionLog, Shelter
from bot.richmenu import mode as modes
from bot.shelters.reply import JST
from bot.shelters.store import set_status
from bot.town import settings
from tests.support import events
from tests.richmenu.support import spec

REPLY = "/v2/bot/message/reply"
GREETING = "ただいま災害対応中です。テスト用のあいさつ。"


@pytest.fixture
def disaster_app(loaded_app, monkeypatch):
    monkeypatch.setattr(modes, "build", lambda mode: spec(mode))
    loaded_app.config.update(TOWN_DISASTER_GREETING=GREETING, TOWN_CACHE_SECONDS=0)
    with loaded_app.app_context():
        modes.switch(True, "大雨警報のため", "admin@example.invalid", confirmed=modes.review("disaster").digest)
    return loaded_app


def _add(app, key: str, name: str, address: str, status: str | None = None) -> None:
    with app.app_context():
        shelter = Shelter(key=key, name=name, address=address, kinds=["flood"], note="", source="", review_note="")
        db.session.add(shelter)
        db.session.commit()
        if status:
            set_status(shelter, status, "staff@example.invalid")


def _ask(webhook, fake_line, text: str) -> str:
    fake_line.requests.clear()
    assert webhook([events.text(text)]).status_code == 200
    [call] = fake_line.calls(REPLY)
    return "\n".join(m.get("text", "") for m in call.body["messages"])


def test_an_open_shelter_is_in_the_answer_with_its_address_status_and_time(disaster_app, webhook, fake_line):
    _add(disaster_app, "kaikan", "試験会館", "芦別市試験町1-1", "open")
    _add(disaster_app, "gym", "試験体育館", "芦別市試験町2-2", "full")
    _add(disaster_app, "school", "試験小学校", "芦別市試験町3-3")  # 未開設: never shown
    with disaster_app.app_context():
        at = db.session.scalar(select(Shelter.status_at).where(Shelter.key == "kaikan"))
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at
    local = at.astimezone(JST)
    text = _ask(webhook, fake_line, "どこに逃げればいいですか")
    assert "試験会館（開設）" in text and "芦別市試験町1-1" in text
    assert f"{local.month}月{local.day}日 {local:%H:%M} 更新" in text
    assert "試験体育館（満）" in text
    assert "試験小学校" not in text
    assert "171" in text and "NTT東日本" in text and "web171" in text
    with disaster_app.app_context():
        row = db.session.scalars(select(QuestionLog).order_by(QuestionLog.id.desc())).first()
        assert row.outcome == "disaster"


def test_none_entered_points_to_the_website_and_171(disaster_app, webhook, fake_line):
    text = _ask(webhook, fake_line, "ひなんじょどこ")
    assert "いま開設している避難所の情報はありません" in text
    assert disaster_app.config["TOWN_WEBSITE"] in text and "お知らせします" in text
    assert "■災害用伝言ダイヤル（171）" in text and "（出典：NTT東日本" in text
    assert "すみません" not in text  # not the FAQ fallback


def test_family_question_gets_171_first(disaster_app, webhook, fake_line):
    text = _ask(webhook, fake_line, "母と連絡とれない")
    assert text.index("【家族の安否確認】") < text.index("【避難所】")
    assert "https://www.web171.jp/" in text


def test_power_and_water_contacts_appear_once_set(disaster_app, webhook, fake_line):
    text = _ask(webhook, fake_line, "停電してる")
    assert "【停電】" in text and "電力会社の発表をご確認ください" in text
    with disaster_app.app_context():
        settings.save({"power_name": "試験電力", "power_contact": "0120-000-000",
                       "water_name": "試験水道課", "water_contact": "https://water.example.jp/"}, "admin@example.invalid")
        db.session.commit()
    text = _ask(webhook, fake_line, "電気つかない")
    assert text.index("【停電】") < text.index("【避難所】")
    assert "試験電力（電話：0120-000-000）" in text
    assert "試験水道課（ページ：https://water.example.jp/）" in text  # entered, so offered too
    text = _ask(webhook, fake_line, "水がでない")
    assert text.startswith("【災害時モード】") or "【断水】" in text
    assert text.index("【断水】") < text.index("【避難所】")


def test_greetings_get_the_disaster_greeting(disaster_app, webhook, fake_line):
    for hello in ("こんにちは", "おはよう"):
        text = _ask(webhook, fake_line, hello)
        assert GREETING in text and "ご案内ボットです" not in text


def test_outside_disaster_mode_the_same_messages_behave_as_before(loaded_app, webhook, fake_line):
    loaded_app.config["TOWN_CACHE_SECONDS"] = 0
    _add(loaded_app, "kaikan", "試験会館", "芦別市試験町1-1", "open")
    text = _ask(webhook, fake_line, "避難所どこ")
    assert "試験会館" not in text and "171" not in text
    assert "ご案内ボットです" in _ask(webhook, fake_line, "こんにちは")


def test_lookalikes_in_disaster_mode_keep_their_answer(disaster_app, webhook, fake_line):
    text = _ask(webhook, fake_line, "給食費ってタダになるの？")
    assert "171" not in text and "避難所" not in text
    text = _ask(webhook, fake_line, "避難訓練の日程")
    assert "【避難所】" not in text


def test_safety_still_comes_first_in_disaster_mode(disaster_app, webhook, fake_line):
    fake_line.requests.clear()
    webhook([events.text("火事だ 避難所どこ")])
    [call] = fake_line.calls(REPLY)
    sent = json.dumps(call.body["messages"], ensure_ascii=False)
    assert "tel:119" in sent and "【避難所】" not in sent
    with disaster_app.app_context():
        assert db.session.scalars(select(QuestionLog.outcome).order_by(QuestionLog.id.desc())).first() == "safety"
