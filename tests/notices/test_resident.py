"""Residents choose their notices in the chat, through signed webhooks: settings, toggles, offers, stop."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import Follower, NoticeOptOut, Subscription, TopicOffer
from bot.notices import schedule
from bot.notices.delivery import Deliverer
from tests.support import events
from tests.notices.support import FAST, scheduled_notice

REPLY = "/v2/bot/message/reply"
KIDS = "子育て・教育"
ALICE, BOB, CAROL = ("U" + c * 32 for c in "abc")


@pytest.fixture
def rapp(loaded_app):
    # Topics come from the pack's categories here: the default for a town that sets none.
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": ""})
    return loaded_app


def _last_reply(fake_line) -> dict:
    return fake_line.calls(REPLY)[-1].body["messages"][-1]


def _flat(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def _subscriptions(app, user: str) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(select(Subscription.topic, Subscription.source).join(
            Follower, Follower.id == Subscription.follower_id).where(Follower.line_user_id == user)).all()


def test_settings_show_every_topic_as_a_toggle_and_what_they_receive(rapp, webhook, fake_line):
    assert webhook([events.text("お知らせ設定", user=ALICE)]).status_code == 200
    message = _last_reply(fake_line)
    assert message["type"] == "flex"
    labels = [b["action"]["label"] for b in message["contents"]["body"]["contents"] if b["type"] == "button"]
    # The topics follow the categories in the order admins keep them (knowledge/categories.yaml).
    assert labels == ["⬜ 子育て・教育", "⬜ 移住・応援団", "⬜ 手続き・デジタル", "⬜ 環境・まちづくり", "⬜ 市の計画",
                      "✅ 全員向けのお知らせ"]
    assert "いま受け取っているお知らせ：全員向けのお知らせ" in message["altText"]
    webhook([events.text("通知設定", user=ALICE)])
    assert _last_reply(fake_line)["type"] == "flex"


def test_toggle_subscribes_and_unsubscribes_in_one_tap(rapp, webhook, fake_line):
    webhook([events.postback(f"a=sub&t={quote(KIDS)}", user=ALICE)])
    message = _last_reply(fake_line)
    assert f"「{KIDS}」のお知らせをお届けします" in message["altText"]
    assert f"いま受け取っているお知らせ：{KIDS}、全員向けのお知らせ" in message["altText"]
    assert "✅ 子育て・教育" in _flat(message)
    assert _subscriptions(rapp, ALICE) == [(KIDS, "settings")]

    webhook([events.postback(f"a=unsub&t={quote(KIDS)}", user=ALICE)])
    assert f"「{KIDS}」のお知らせを停止しました" in _last_reply(fake_line)["altText"]
    assert _subscriptions(rapp, ALICE) == []


def test_haishin_teishi_stops_everything(rapp, webhook, fake_line):
    webhook([events.postback(f"a=sub&t={quote(KIDS)}", user=ALICE)])
    webhook([events.text("配信停止", user=ALICE)])
    message = _last_reply(fake_line)
    assert "すべてのお知らせの配信を停止しました" in message["text"]
    assert _subscriptions(rapp, ALICE) == []
    with rapp.app_context():
        assert db.session.scalar(select(NoticeOptOut)) is not None
    webhook([events.text("お知らせ設定", user=ALICE)])
    assert "いまはお知らせを受け取っていません" in _last_reply(fake_line)["altText"]


def test_answer_offers_the_topic_once_per_resident(rapp, webhook, fake_line):
    webhook([events.text("給食費ってタダになるの？", user=ALICE)])
    answer = fake_line.calls(REPLY)[-1].body["messages"][0]
    chips = [i["action"] for i in answer["quickReply"]["items"]]
    offer = [c for c in chips if c["label"] == "このテーマのお知らせを受け取る"]
    assert len(offer) == 1 and chips[-1]["label"] == "メニュー"  # unobtrusive: after the related topics
    assert offer[0]["data"] == f"a=sub&t={quote(KIDS)}&o=1"

    webhook([events.text("子ども産まれたら何かもらえる？", user=ALICE)])  # same topic: no second offer
    again = fake_line.calls(REPLY)[-1].body["messages"][0]
    assert "このテーマのお知らせを受け取る" not in _flat(again)

    webhook([events.text("給食費ってタダになるの？", user=BOB)])  # another resident gets their own offer
    assert "このテーマのお知らせを受け取る" in _flat(fake_line.calls(REPLY)[-1].body["messages"][0])

    webhook([events.postback(offer[0]["data"], user=ALICE)])
    assert _subscriptions(rapp, ALICE) == [(KIDS, "answer")]
    assert f"「{KIDS}」のお知らせをお届けします" in _last_reply(fake_line)["altText"]


def test_no_offer_to_subscribers_or_in_groups(rapp, webhook, fake_line):
    webhook([events.postback(f"a=sub&t={quote(KIDS)}", user=ALICE)])
    webhook([events.text("給食費ってタダになるの？", user=ALICE)])
    assert "このテーマのお知らせを受け取る" not in _flat(fake_line.calls(REPLY)[-1].body["messages"][0])
    webhook([events.text("給食費ってタダになるの？", source=events.GROUP)])
    assert "このテーマのお知らせを受け取る" not in _flat(fake_line.calls(REPLY)[-1].body["messages"][0])
    webhook([events.text("お知らせ設定", source=events.GROUP)])
    assert "アカウントでご利用いただけます" in _last_reply(fake_line)["text"]
    with rapp.app_context():
        assert db.session.scalar(select(TopicOffer)) is None


def test_unsubscribed_and_unfollowed_residents_receive_nothing(rapp, webhook, fake_line):
    for user in (ALICE, BOB, CAROL):
        webhook([events.follow(user=user)])
        webhook([events.postback(f"a=sub&t={quote(KIDS)}", user=user)])
    webhook([events.postback(f"a=unsub&t={quote(KIDS)}", user=BOB)])  # unsubscribed
    webhook([events.unfollow(user=CAROL)])  # unfollowed (or blocked)
    webhook([events.text("配信停止", user=ALICE)])  # stopped everything
    assert _subscriptions(rapp, CAROL) == []
    with rapp.app_context():
        assert db.session.scalar(select(Follower.status).where(Follower.line_user_id == CAROL)) == "unfollowed"
        scheduled_notice(topics=(KIDS,))
        scheduled_notice(topics=(), title="全員へのお知らせ")
        schedule.release_due()
        Deliverer().drain(max_wait=5)
    delivered = fake_line.delivered()
    assert CAROL not in delivered
    assert delivered.count(BOB) == 1  # only the notice to everyone
    assert ALICE not in delivered


def test_settings_labels_and_alt_text_fit_utf16_limits(app):
    """An emoji-heavy topic name or a long note is clipped in UTF-16 units, as LINE counts them."""
    from bot.line.limits import MAX_ACTION_LABEL, MAX_ALT_TEXT, utf16_len
    from bot.notices.resident import _toggle, settings_bubble
    from bot.notices.subscriptions import Choices

    button = _toggle("🏫" * 15, True, "a=unsub")  # 15 characters, 30 UTF-16 units
    assert utf16_len(button["action"]["label"]) <= MAX_ACTION_LABEL
    with app.app_context():
        bubble = settings_bubble(Choices((), True), "🌟" * 300)
    assert utf16_len(bubble["altText"]) <= MAX_ALT_TEXT
