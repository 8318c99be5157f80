"""Pure message builders and LINE limits; the SDK's models check the JSON we build by hand."""
import json
import uuid

import pytest
from flask import Flask
from linebot.v3.messaging import Message, MulticastRequest, PushMessageRequest, ReplyMessageRequest

from bot.conversation import replies
from bot.knowledge.index import EntryView, Snapshot
from bot.line import postback
from bot.line.client import LineGateway
from bot.line.limits import (
    MAX_ACTION_LABEL, MAX_ALT_TEXT, MAX_POSTBACK_DATA, MAX_QUICK_REPLY_ITEMS, MAX_TEXT_UTF16, clip, utf16_len,
)
from bot.line.messages import Chip, answer_bubble, quick_reply, text
from bot.town.model import Town
from bot.line.transcript import as_text
from bot.notices import compose, resident
from bot.offices import OfficeView
from bot.notices.subscriptions import Choices
from tests.support.linejson import actions


class _Entry:
    slug = "x"
    title = "<script>alert(1)</script>"
    answer = "答え"
    url = ""
    contact = ""
    source = "総合戦略72頁"


def test_utf16_length_counts_surrogate_pairs():
    assert utf16_len("あ") == 1 and utf16_len("🍙") == 2
    clipped = clip("🍙" * 10, 7)
    assert utf16_len(clipped) <= 7 and clipped.endswith("…")
    assert clip("short", 10) == "short"


def test_postback_round_trip_and_limits():
    data = postback.encode("ans", s="school-lunch-free", l=12)
    assert postback.decode(data) == {"a": "ans", "s": "school-lunch-free", "l": "12"}
    with pytest.raises(ValueError):
        postback.encode("ans", s="x" * 400)
    assert postback.decode("garbage") == {} and postback.decode("x" * 301) == {}


def test_quick_replies_are_capped_at_13():
    chips = [Chip(f"話題{i}", postback.encode("topic", c=str(i))) for i in range(20)]
    assert len(quick_reply(chips)["items"]) == 13
    assert quick_reply([]) is None


def test_answer_bubble_without_url_has_no_link_and_uses_town_contact():
    town = Town("芦別市", "芦別市役所", "0125-00-0000", "https://example.invalid/")
    message = answer_bubble(_Entry(), town, log_id=None)
    text = as_text(message)
    assert "詳しく見る" not in text and "👍" not in text
    assert "芦別市役所（電話 0125-00-0000）" in text
    assert message["altText"].startswith("<script>")  # plain data; renderers must escape it


def test_short_source_is_the_plans_short_name_and_pages():
    from bot.line.messages import short_source

    assert short_source("第2期芦別市総合戦略 改訂版 基本目標3 ⑧学校給食費支援の推進（総合戦略72頁）") == "総合戦略 72頁"
    assert short_source("⑴現状認識の変更（総合戦略58頁）・⑵関連事業の追加（総合戦略78頁）") == "総合戦略 58・78頁"
    assert short_source("（総合戦略78頁）と（人口ビジョン 3頁）") == "総合戦略 78頁・人口ビジョン 3頁"
    assert short_source("改訂版のポイント ２ 改訂までの流れ") == "改訂版のポイント ２ 改訂までの流れ"
    assert utf16_len(short_source("長い出典" * 30)) <= 30


def test_the_bubble_shows_the_first_paragraph_and_read_more_the_rest():
    from bot.line.messages import LEAD_LIMIT, detail_bubble, lead_and_rest

    assert lead_and_rest("一段落目。\n\n二段落目。\n \n三段落目。\n") == ("一段落目。", "二段落目。\n\n三段落目。")
    assert lead_and_rest("ひとつだけ。") == ("ひとつだけ。", "")
    lead, rest = lead_and_rest("長" * 500 + "\n\n次。")
    assert utf16_len(lead) <= LEAD_LIMIT and rest.startswith("長" * 500)  # a cut lead: the detail has it all
    town = TOWNS[0]
    entry = _entry("e", "題", "子育て", answer="最初。\n\n続き。", source="長い節の名前（総合戦略72頁）",
                   url="https://example.jp/")
    bubble = answer_bubble(entry, town, log_id=7)
    assert [n["text"] for n in bubble["contents"]["body"]["contents"] if n["type"] == "text"] == [
        "最初。", "お問い合わせ：芦別市役所（電話 0125-00-0000）", "出典：総合戦略 72頁"]
    assert {a["label"]: a.get("data", a.get("uri")) for a in actions(bubble)} == {
        "続きを読む": "a=more&s=e&l=7", "詳しく見る": "https://example.jp/",
        "👍 役に立った": "a=fb&v=up&l=7", "👎 わからない": "a=fb&v=down&l=7"}
    for log_id in (0, 7, 10**12):  # built without urlencode on the hot path, but exactly what encode() gives
        datas = [a["data"] for a in actions(answer_bubble(entry, town, log_id)) if a["type"] == "postback"]
        assert datas == [postback.encode("more", s="e", l=log_id), postback.encode("fb", v="up", l=log_id),
                         postback.encode("fb", v="down", l=log_id)]
    detail = as_text(detail_bubble(entry, town, 7))
    assert "続き。" in detail and "出典：長い節の名前（総合戦略72頁）" in detail and "a=fb&v=up&l=7" in detail
    one = _entry("o", "題", "子育て", answer="ひとつ。", source="節（総合戦略72頁）")
    assert [a["label"] for a in actions(answer_bubble(one, town, None))] == ["出典の詳細"]
    assert list(actions(answer_bubble(_entry("p", "題", "子育て", answer="ひとつ。", source="総合戦略"), town, None))) == []


# -- every message the bot builds, checked against the SDK's models and LINE's limits --------------------

TOWNS = (Town("芦別市", "芦別市役所", "0125-00-0000", "https://example.invalid/"),
         Town("芦別市", "芦別市役所", "", "https://example.invalid/"))
MEDIA = ("sticker", "image", "video", "audio", "location", "file", "something-new")
# Long enough to hit every clip: labels, display texts, titles, answers, alt texts.
LONG = "とても長い説明🍙" * 400


def _entry(slug: str, title: str, category: str, **kw) -> EntryView:
    fields = {"answer": "答えです。", "url": "", "contact": "", "source": "", **kw}
    return EntryView(slug, title, category, questions=(), keywords=(), status="published", **fields)


def _knowledge() -> Snapshot:
    entries = [
        _entry("linked", "給食費の無償化", "子育て", url="https://www.city.ashibetsu.hokkaido.jp/a",
               source="総合戦略72頁", answer=LONG),
        _entry("plain", "出産応援ギフト" * 30, "子育て", contact="子育て支援課（電話 0125-11-1111）"),
        *[_entry(f"more{i}", f"関連する話題{i}", "子育て") for i in range(5)],
        *[_entry(f"t{i}", f"話題{i}", f"カテゴリ{i:02d}") for i in range(15)],  # more topics than quick replies
        _entry("office-phone", "妊婦健診", "子育て", office="long", url="https://example.invalid/k"),
        _entry("office-none", "産後ケア", "子育て", office="empty"),
    ]
    offices = {"long": OfficeView("long", LONG[:100], phone="0123-45-6789", hours=LONG[:200], url=LONG[:10]),
               "empty": OfficeView("empty", "子育て支援の担当課")}
    return Snapshot(1, None, {e.slug: e for e in entries}, offices=offices)


def _every_message() -> dict[str, dict]:
    """Return one of every kind of message the bot sends, by name."""
    kb, empty = _knowledge(), Snapshot(1, None, {})
    offer = Chip(resident.OFFER_LABEL, postback.encode("sub", t="kosodate", o=1), "「子育て」のお知らせを受け取る")
    out: dict[str, dict] = {}
    for t, town in enumerate(TOWNS):
        for slug in ("linked", "plain", "office-phone", "office-none"):
            for log_id in (None, 0, 123456):
                out[f"answer {slug} town{t} log{log_id}"] = replies.answer(kb.entries[slug], kb, town, log_id)
                out[f"answer {slug} town{t} log{log_id} offer"] = replies.answer(
                    kb.entries[slug], kb, town, log_id, offer)
                out[f"detail {slug} town{t} log{log_id}"] = replies.detail(kb.entries[slug], kb, town, log_id)
        for name, knowledge in (("", kb), (" empty", empty)):
            out[f"fallback town{t}{name}"] = replies.fallback(knowledge, town)
            out[f"menu town{t}{name}"] = replies.menu(knowledge, town)
            out[f"welcome town{t}{name}"] = replies.welcome(knowledge, town)
        out[f"gone town{t}"] = replies.gone(kb, town)
        out[f"topic town{t}"] = replies.topic("子育て", kb, town)
        out[f"help town{t}"] = replies.help_message(kb, town)
        for kind in ("greeting", "thanks", "help", "menu"):
            out[f"smalltalk {kind} town{t}"] = replies.smalltalk(kind, kb, town)
        out[f"feedback up town{t}"] = replies.feedback_thanks(True, town)
        out[f"feedback down town{t}"] = replies.feedback_thanks(False, town)
    out["suggest"] = replies.suggest(["linked", "plain", "more0", "gone"], kb, 42)
    out["suggest no log"] = replies.suggest(["plain"], kb, None)
    for media in MEDIA:
        out[f"media {media}"] = replies.media_guidance(media, kb)
    out["truncated"] = replies.truncated_notice(500)
    out["long text"] = text(LONG * 3, [Chip(LONG, postback.encode("menu"), LONG)] * 20)
    app = Flask(__name__)
    app.config.update(TOWN_NAME="芦別市", NOTICE_TOPICS="kosodate=子育て・教育,iju=移住・応援団とふるさと納税のお知らせ:移住")
    with app.app_context():
        for topics in ((), ("kosodate",), ("kosodate", "iju")):
            for general in (False, True):
                out[f"settings {topics} {general}"] = resident.settings_bubble(Choices(topics, general), "お知らせ設定")
        out["only in LINE"] = resident.handle_text("settings", None)[0]
    for topics in ((), ("kosodate",), ("kosodate", "iju")):
        out[f"notice {topics}"] = compose.message(compose.Content(
            "出産応援ギフトのお知らせ", "申請の受付を始めました。", "https://example.jp/gift", "linked", "給食費", topics))
    out["notice plain"] = compose.message(compose.Content("お知らせ", "本文"))
    out["notice longest"] = compose.message(compose.Content(LONG, LONG, entry_slug="plain", entry_title="出産"))
    return out


@pytest.fixture(scope="module")
def every_message() -> dict[str, dict]:
    return _every_message()


def test_every_message_is_what_the_sdk_would_send(every_message):
    # from_dict validates against LINE's schema; the round trip drops unknown (e.g. snake_case) keys and
    # None values, so equality means every key is one LINE knows and nothing is left out.
    for name, message in every_message.items():
        assert Message.from_dict(message).to_dict() == message, name
        assert json.loads(json.dumps(message)) == message, name  # plain JSON, nothing else inside


def test_every_message_keeps_within_line_limits(every_message):
    for name, message in every_message.items():
        if message["type"] == "text":
            assert utf16_len(message["text"]) <= MAX_TEXT_UTF16, name
        else:
            assert utf16_len(message["altText"]) <= MAX_ALT_TEXT, name
            size = len(json.dumps(message["contents"], ensure_ascii=False).encode())
            assert size <= compose.MAX_BUBBLE_BYTES, (name, size)
        assert len(message.get("quickReply", {"items": []})["items"]) <= MAX_QUICK_REPLY_ITEMS, name
        for action in actions(message):
            assert 0 < utf16_len(action["label"]) <= MAX_ACTION_LABEL, (name, action)
            assert utf16_len(action.get("data", "")) <= MAX_POSTBACK_DATA, (name, action)
            assert utf16_len(action.get("displayText", "")) <= 300, (name, action)
            assert len(action.get("uri", "")) <= 1000, (name, action)


def test_gateway_posts_requests_the_sdk_accepts(fake_line):
    messages = list(_every_message().values())
    gateway = LineGateway("token", fake_line.url, 2.0)
    assert gateway.reply("reply-token-schema", messages[:5]).ok
    assert gateway.push("U1", messages[5:6], retry_key=str(uuid.uuid4())).ok
    assert gateway.multicast(["U1", "U2"], messages[6:8], retry_key=str(uuid.uuid4())).ok
    for path, model, sent in (("/v2/bot/message/reply", ReplyMessageRequest, messages[:5]),
                              ("/v2/bot/message/push", PushMessageRequest, messages[5:6]),
                              ("/v2/bot/message/multicast", MulticastRequest, messages[6:8])):
        body = next(c.body for c in reversed(fake_line.calls(path)) if c.body["messages"] == sent)
        assert model.from_dict(body).to_dict() == body, path
