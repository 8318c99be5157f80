"""Conversation flows through signed webhooks: suggest, pick, feedback, menu, media, groups."""
from __future__ import annotations

import json

from sqlalchemy import select

from bot.extensions import db
from bot.line.limits import MAX_POSTBACK_DATA, MAX_QUICK_REPLY_ITEMS, utf16_len
from bot.models import Follower, QuestionLog
from tests.support import events
from tests.support.linejson import actions

REPLY = "/v2/bot/message/reply"


def _last_messages(fake_line) -> list[dict]:
    return fake_line.calls(REPLY)[-1].body["messages"]


def assert_within_line_limits(messages: list[dict]) -> None:
    """Check the LINE limits the bot promises on every reply."""
    assert 1 <= len(messages) <= 5
    for message in messages:
        if message["type"] == "text":
            assert utf16_len(message["text"]) <= 5000
        if message["type"] == "flex":
            assert message["altText"].strip() and len(message["altText"]) <= 400
        items = (message.get("quickReply") or {}).get("items") or []
        assert len(items) <= MAX_QUICK_REPLY_ITEMS
        for action in actions(message):
            assert 1 <= len(action["label"]) <= 20
            if action["type"] == "postback":
                assert len(action["data"]) <= MAX_POSTBACK_DATA


def test_unsure_question_offers_suggestions_and_a_tap_answers(loaded_app, webhook, fake_line):
    webhook([events.text("総合戦略")])
    messages = _last_messages(fake_line)
    assert_within_line_limits(messages)
    first = messages[0]
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
    if row.outcome == "answer":  # the matcher may be sure; then ask something vaguer
        webhook([events.text("計画")])
        messages = _last_messages(fake_line)
        first = messages[0]
    assert first["type"] == "text" and first["text"].startswith("もしかして")
    chips = [i["action"] for i in first["quickReply"]["items"] if "s=" in i["action"]["data"]]
    assert 1 <= len(chips) <= 3
    webhook([events.postback(chips[0]["data"])])
    answer = _last_messages(fake_line)[0]
    assert answer["type"] == "flex"
    assert chips[0]["label"][:5] in answer["altText"]


def test_feedback_is_recorded_against_the_question(loaded_app, webhook, fake_line):
    webhook([events.text("星の降る里あしべつ応援団に登録したい")])
    bubble = _last_messages(fake_line)[0]
    down = next(a for a in actions(bubble) if a.get("data", "").startswith("a=fb&v=down"))
    webhook([events.postback(down["data"])])
    assert "お役に立てず" in _last_messages(fake_line)[0]["text"]
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert (row.entry_slug, row.feedback) == ("supporters-club", "down")


def test_out_of_scope_question_falls_back_with_contact_and_topics(loaded_app, webhook, fake_line):
    webhook([events.text("明日の天気は？")])
    message = _last_messages(fake_line)[0]
    assert "お答えできません" in message["text"]
    assert "https://www.city.ashibetsu.hokkaido.jp/" in message["text"]
    assert len(message["quickReply"]["items"]) >= 3
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog.outcome)) == "fallback"


def test_topic_menu_lists_entries_of_a_category(loaded_app, webhook, fake_line):
    webhook([events.text("メニュー")])
    menu = _last_messages(fake_line)[0]
    assert_within_line_limits([menu])
    topic = menu["quickReply"]["items"][0]["action"]
    webhook([events.postback(topic["data"])])
    listing = _last_messages(fake_line)[0]
    assert topic["label"] in listing["text"]
    assert any("a=ans" in i["action"]["data"] for i in listing["quickReply"]["items"])


def test_smalltalk_gets_natural_replies(loaded_app, webhook, fake_line, monkeypatch):
    from datetime import datetime

    from bot.conversation import smalltalk

    monkeypatch.setattr(smalltalk, "clock", lambda: datetime(2026, 12, 1, 13, 0, tzinfo=smalltalk.JST))
    for said, expected in (("こんにちは！", "こんにちは"), ("ありがとうございました", "どういたしまして"),
                           ("使い方", "使い方"), ("めにゅー", "話題を選んで")):
        webhook([events.text(said)])
        assert expected in _last_messages(fake_line)[0]["text"], said
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog)) is None  # small talk is not a question


def test_sticker_gets_friendly_guidance(loaded_app, webhook, fake_line):
    webhook([events.sticker()])
    assert "スタンプ" in _last_messages(fake_line)[0]["text"]


def test_group_questions_are_answered_without_storing_user_ids(loaded_app, webhook, fake_line):
    webhook([events.text("母子手帳アプリ", source=events.GROUP)])
    assert _last_messages(fake_line)[0]["type"] == "flex"
    with loaded_app.app_context():
        assert db.session.scalar(select(Follower)) is None
        assert db.session.scalar(select(QuestionLog.user_hash)) == ""


def test_every_reply_respects_line_limits(loaded_app, webhook, fake_line):
    for q in ("給食費", "こそだて", "ゼロカーボン", "マイナンバー", "ほげほげ", "応援団", "LED",
              "あ" * 6000, "🍙" * 3000):
        webhook([events.text(q)])
        assert_within_line_limits(_last_messages(fake_line))


def test_unknown_and_broken_postbacks_show_the_menu(loaded_app, webhook, fake_line):
    for data in ("action=buyItem&itemId=123", "", "a=ans&s=no-such-entry", "%%%", "a=fb&v=up&l=notanumber"):
        assert webhook([events.postback(data)]).status_code == 200
        assert_within_line_limits(_last_messages(fake_line))


def test_logged_text_is_masked(loaded_app, webhook):
    webhook([events.text("給食費のことで電話090-1234-5678かtaro@example.jpに連絡ください 1234 5678 9012")])
    with loaded_app.app_context():
        text = db.session.scalar(select(QuestionLog.text))
    assert "090" not in text and "taro@" not in text and "9012" not in text
    assert "給食費" in text


def test_answer_bubble_json_is_what_line_accepts(loaded_app, webhook, fake_line):
    webhook([events.text("コンビニで住民票")])
    bubble = _last_messages(fake_line)[0]
    assert bubble["contents"]["type"] == "bubble"
    json.dumps(bubble)  # serialisable as the SDK sent it


OTHER = "U" + "2" * 32


def _suggestion_for(webhook, fake_line, user: str) -> tuple[dict, int]:
    """Ask until the bot offers suggestions; return the first suggestion's action and the question's log id."""
    for question in ("総合戦略", "計画", "申請"):
        webhook([events.text(question, user=user)])
        first = _last_messages(fake_line)[0]
        if first["type"] == "text" and first["text"].startswith("もしかして"):
            action = next(a for a in actions(first) if "s=" in a.get("data", ""))
            return action, int(dict(p.split("=") for p in action["data"].split("&"))["l"])
    raise AssertionError("no question gave suggestions")


def _feedback_data(message: dict, value: str) -> str:
    return next(a["data"] for a in actions(message) if a.get("data", "").startswith(f"a=fb&v={value}"))


def test_another_residents_postback_cannot_pick_their_suggestion(loaded_app, webhook, fake_line):
    action, log_id = _suggestion_for(webhook, fake_line, events.USER)
    webhook([events.postback(action["data"], user=OTHER)])  # B replays A's button, log id included
    answer = _last_messages(fake_line)[0]
    assert answer["type"] == "flex"  # B still gets the answer they asked for…
    assert f"l={log_id}" not in json.dumps(answer)  # …but no buttons that point at A's question
    with loaded_app.app_context():
        assert db.session.get(QuestionLog, log_id).entry_slug is None
    webhook([events.postback(action["data"])])  # A's own tap is kept for staff
    with loaded_app.app_context():
        assert db.session.get(QuestionLog, log_id).entry_slug is not None


def test_another_residents_postback_cannot_change_their_feedback(loaded_app, webhook, fake_line):
    webhook([events.text("星の降る里あしべつ応援団に登録したい")])
    bubble = _last_messages(fake_line)[0]
    with loaded_app.app_context():
        log_id = db.session.scalar(select(QuestionLog.id))
    for data in (_feedback_data(bubble, "down"), f"a=fb&l={log_id}&v=down"):
        webhook([events.postback(data, user=OTHER)])
        webhook([events.postback(data, source={"type": "group", "groupId": "C" + "3" * 32, "userId": OTHER})])
    with loaded_app.app_context():
        assert db.session.get(QuestionLog, log_id).feedback is None
    webhook([events.postback(_feedback_data(bubble, "up"))])
    with loaded_app.app_context():
        assert db.session.get(QuestionLog, log_id).feedback == "up"


def test_one_answer_takes_one_vote_and_one_thanks(loaded_app, webhook, fake_line):
    webhook([events.text("星の降る里あしべつ応援団に登録したい")])
    bubble = _last_messages(fake_line)[0]
    webhook([events.postback(_feedback_data(bubble, "up"))])
    assert "ありがとうございます" in _last_messages(fake_line)[0]["text"]
    for value in ("up", "down"):  # tapped again, or changed their mind
        webhook([events.postback(_feedback_data(bubble, value))])
        again = _last_messages(fake_line)[0]["text"]
        assert "すでにお受けしています" in again
        assert "ありがとう" not in again and "お役に立て" not in again
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog.feedback)) == "up"


def test_personal_data_in_a_question_gets_a_reminder_before_the_answer(loaded_app, webhook, fake_line):
    webhook([events.text("応援団に登録したい。連絡は090-1234-5678まで")])
    messages = _last_messages(fake_line)
    assert_within_line_limits(messages)
    assert "個人情報" in messages[0]["text"] and "090" not in json.dumps(messages, ensure_ascii=False)
    assert messages[-1].get("quickReply")  # the answer, last, keeps its buttons
    webhook([events.text("応援団に登録したい")])
    assert "個人情報" not in json.dumps(_last_messages(fake_line), ensure_ascii=False)


def test_postbacks_with_out_of_range_log_ids_are_answered(loaded_app, webhook, fake_line):
    sent = ("a=fb&v=up&l=99999999999999999999", "a=fb&v=down&l=-3", "a=ans&s=supporters-club&l=99999999999999999999",
            "a=ans&s=supporters-club&l=0")
    for data in sent:
        assert webhook([events.postback(data)]).status_code == 200
    assert len(fake_line.calls(REPLY)) == len(sent)  # one reply each, none lost to a failed statement


def test_two_taps_arriving_together_count_once(loaded_app, webhook, fake_line):
    import threading

    from tests.conftest import SECRET
    from tests.support.linesign import body_of, sign

    webhook([events.text("星の降る里あしべつ応援団に登録したい")])
    bubble = _last_messages(fake_line)[0]
    bodies = [body_of([events.postback(_feedback_data(bubble, v))]) for v in ("up", "down")]
    start = threading.Barrier(len(bodies))
    statuses = []

    def tap(raw: bytes) -> None:
        client = loaded_app.test_client()
        start.wait()
        statuses.append(client.post("/callback", data=raw, headers={"X-Line-Signature": sign(raw, SECRET),
                                                                     "Content-Type": "application/json"}).status_code)

    threads = [threading.Thread(target=tap, args=(raw,)) for raw in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [200, 200]
    assert loaded_app.extensions["line_sender"].drain(10)
    texts = [call.body["messages"][0]["text"] for call in fake_line.calls(REPLY)[1:]]
    assert len(texts) == 2 and sum("すでにお受けしています" in t for t in texts) == 1
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog.feedback)) in ("up", "down")
