"""Personal data typed into the chat: the bot still answers, adds one reminder line, and logs it masked."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.conversation.privacy import mask
from bot.extensions import db
from bot.models import QuestionLog, TownSetting
from tests.support import events

REPLY = "/v2/bot/message/reply"


@pytest.mark.parametrize("written", ["3番地", "1丁目3番地5", "12番地の4", "123 番地", "2丁目15番地3号", "８番地－２"])
def test_house_numbers_are_masked(written):
    assert mask(f"住所は芦別市旭町{written}です") == "住所は芦別市旭町［番地］です"


@pytest.mark.parametrize("text", ["芦別市北1条東1丁目", "119番に電話", "番地って何", "3番目の質問", "1丁目の公園"])
def test_districts_and_other_numbers_stay_readable(text):
    assert mask(text) == text


@pytest.mark.parametrize("personal", ["090-1234-5678", "1234 5678 9012", "芦別市旭町12番地の4", "taro@example.jp"])
def test_the_bot_answers_reminds_once_and_never_echoes(loaded_app, webhook, fake_line, personal):
    with loaded_app.app_context():
        db.session.add(TownSetting(key="phone", value="0124-22-2111"))
        db.session.commit()
    webhook([events.text(f"給食費ってタダになるの？ {personal}")])
    messages = fake_line.calls(REPLY)[-1].body["messages"]
    flat = json.dumps(messages, ensure_ascii=False)
    assert personal not in flat
    reminders = [m for m in messages if m.get("text", "").startswith("電話番号・住所")]
    assert len(reminders) == 1 and messages[0] is reminders[0]
    assert "芦別市役所（電話 0124-22-2111）へお電話か窓口で" in reminders[0]["text"]
    assert "学校給食費の無償化" in flat  # still answered
    with loaded_app.app_context():
        assert personal not in db.session.scalar(select(QuestionLog.text))
