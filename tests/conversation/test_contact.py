"""「人と話したい」: the switchboard and hours, the office for the last topic, and the wish in the inbox."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from bot.admin.stats import ask_counts
from bot.conversation.contact import reply_text, wants_person
from bot.extensions import db
from bot.inbox.store import open_questions
from bot.town.model import Town
from bot.models import QuestionLog, TownSetting, utcnow
from tests.support import events
from tests.support.console import ADMIN, console, login  # noqa: F401
from tests.conftest import shared_path
from tests.conversation.contact_phrases import CONTACT, NOT_CONTACT

REPLY = "/v2/bot/message/reply"
OTHER = "U" + "9" * 32
TOWN = Town("芦別市", "芦別市役所", "0124-22-2111", "https://www.city.ashibetsu.hokkaido.jp/", hours="平日 8:30〜17:15")


def _last_reply(fake_line) -> str:
    return json.dumps(fake_line.calls(REPLY)[-1].body["messages"], ensure_ascii=False)


def test_the_phrase_sets_are_big_enough_and_hold_the_issue_examples():
    assert len(CONTACT) >= 30 and len(NOT_CONTACT) >= 30
    assert {"人と話したい", "担当者につないで", "電話で聞きたい", "職員さんいますか", "電話番号教えて", "開庁時間は？",
            "ひとと話したい", "担当の人おる？"} <= set(CONTACT)
    assert "電話でのマイナンバー手続き" in NOT_CONTACT


def test_contact_requests_are_caught_and_questions_sharing_their_words_are_not():
    missed = [t for t in CONTACT if not wants_person(t)]
    misfired = [t for t in NOT_CONTACT if wants_person(t)]
    caught, misfire = 1 - len(missed) / len(CONTACT), len(misfired) / len(NOT_CONTACT)
    print(f"\ncontact: caught {caught:.1%} of {len(CONTACT)}, misfired on {misfire:.1%} of {len(NOT_CONTACT)}")
    assert caught >= 0.95, missed
    assert misfire <= 0.05, misfired


def test_the_eval_questions_never_get_the_contact_reply():
    path = shared_path("eval", "dev-questions.jsonl")
    questions = [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [q for q in questions if wants_person(q)] == []


def test_the_reply_names_the_office_it_is_given():
    @dataclass
    class Office:
        name: str
        phone: str
        hours: str

    body = reply_text(TOWN, "学校給食費の無償化", "芦別市役所", Office("学校教育課", "0124-22-9999", "平日 9:00〜17:00"))
    assert "「学校給食費の無償化」については、学校教育課（電話 0124-22-9999）が担当です。" in body
    assert "受付時間：平日 9:00〜17:00" in body and "代表電話 0124-22-2111" in body
    without_phone = reply_text(Town("芦別市", "芦別市役所", "", "https://example.jp/"))
    assert "代表電話" not in without_phone and "市のホームページ：https://example.jp/" in without_phone


def test_after_an_answer_the_contact_reply_names_its_topic_and_lands_in_the_inbox(loaded_app, webhook, fake_line):
    with loaded_app.app_context():
        db.session.add_all([TownSetting(key="phone", value="0124-22-2111"), TownSetting(key="hours", value="平日 8:30〜17:15")])
        db.session.commit()
    webhook([events.text("給食費ってタダになるの？")])
    assert "学校給食費の無償化" in _last_reply(fake_line)
    webhook([events.text("担当の人おる？")])
    reply = _last_reply(fake_line)
    assert "代表電話 0124-22-2111" in reply and "受付時間：平日 8:30〜17:15" in reply
    assert "さきほどの「学校給食費の無償化（小中学校）」のお問い合わせ先：\\n芦別市役所" in reply
    assert "市の担当者に伝えました" in reply
    assert "出典" not in reply  # not an FAQ answer
    with loaded_app.app_context():
        row = db.session.scalars(select(QuestionLog).order_by(QuestionLog.id.desc())).first()
        assert (row.outcome, row.entry_slug) == ("contact", "school-lunch-free")
        assert "担当の人おる？" in [r.text for r in open_questions()[0]]
        # Asking for staff after an answer does not count as another answer in the overview.
        assert ask_counts().get("school-lunch-free") == 1


def test_the_inbox_marks_the_wish_and_shows_the_topic(loaded_app, webhook, console):  # noqa: F811
    webhook([events.text("給食費ってタダになるの？")])
    webhook([events.text("人と話したい")])
    client = console.test_client()
    login(client, ADMIN)
    page = client.get("/admin/inbox").get_data(as_text=True)
    assert "「人と話したい」" in page and "職員対応の希望" in page
    assert "直前に見ていた回答：「学校給食費の無償化（小中学校）」" in page


def test_another_residents_or_an_old_question_is_not_the_topic(loaded_app, webhook, fake_line):
    webhook([events.text("給食費ってタダになるの？", user=OTHER)])
    webhook([events.text("人と話したい")])
    assert "給食費" not in _last_reply(fake_line)
    webhook([events.text("給食費ってタダになるの？")])
    with loaded_app.app_context():
        db.session.execute(update(QuestionLog).values(created_at=utcnow() - timedelta(minutes=31)))
        db.session.commit()
    webhook([events.text("人と話したい")])
    assert "給食費" not in _last_reply(fake_line)
    with loaded_app.app_context():
        assert db.session.scalars(select(QuestionLog).order_by(QuestionLog.id.desc())).first().entry_slug is None


def test_an_urgent_message_wins_over_a_contact_request(loaded_app, webhook, fake_line):
    webhook([events.text("火事だ 誰か人いませんか")])
    assert "119" in _last_reply(fake_line)
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog)).outcome == "safety"


def test_personal_data_in_a_contact_request_is_masked_and_never_echoed(loaded_app, webhook, fake_line):
    webhook([events.text("担当者と話したい 090-1234-5678")])
    reply = _last_reply(fake_line)
    assert "090-1234-5678" not in reply and "個人情報" in reply and "代表電話" not in reply
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert row.outcome == "contact" and "090-1234-5678" not in row.text


def test_a_redelivered_contact_request_is_answered_once(loaded_app, webhook, fake_line):
    event = events.text("人と話したい")
    webhook([event])
    webhook([{**event, "deliveryContext": {"isRedelivery": True}}])
    assert len(fake_line.calls(REPLY)) == 1
    with loaded_app.app_context():
        assert len(db.session.scalars(select(QuestionLog)).all()) == 1


# -- issue 19 B4: no switchboard, no promise of a call ------------------------------------------------------

def test_without_a_switchboard_the_reply_promises_no_call_and_points_to_the_website(loaded_app, webhook, fake_line):
    loaded_app.config.update(TOWN_PHONE="", TOWN_HOURS="")
    webhook([events.text("人と話したい")])
    reply = _last_reply(fake_line)
    assert "お電話でご案内します" not in reply and "お電話ください" not in reply and "代表電話" not in reply
    assert "電話番号は、このLINEではまだご案内できません" in reply
    assert "市のホームページ：https://www.city.ashibetsu.hokkaido.jp/" in reply
    assert "市の担当者に伝えました" in reply
    # Once staff set the switchboard in 町の設定, the reply offers the call.
    with loaded_app.app_context():
        db.session.add(TownSetting(key="phone", value="0124-22-2111"))
        db.session.commit()
    webhook([events.text("人と話したい")])
    reply = _last_reply(fake_line)
    assert "お電話でご案内します" in reply and "代表電話 0124-22-2111" in reply and "お急ぎのときはお電話ください" in reply


def test_an_entry_contact_with_a_number_is_a_call_to_offer():
    body = reply_text(Town("芦別市", "芦別市役所", "", "https://example.jp/"), "給食", "学校教育課（0124-22-9999）")
    assert "お電話でご案内します" in body and "学校教育課（0124-22-9999）" in body
    bare = reply_text(Town("芦別市", "芦別市役所", "", "https://example.jp/"), "給食", "芦別市役所")
    assert "お電話" not in bare and "市のホームページ：https://example.jp/" in bare


def test_a_town_or_village_is_not_called_a_city_and_no_website_is_promised_when_it_has_none():
    # Another town on the deployment (issue 21) starts with its name and nothing else: the reply calls it by its kind
    # (町役場, 町のホームページ) and, with no website, sends the resident to the contact it has, not to a page.
    town = Town(name="美瑛町", contact="美瑛町", phone="", website="")
    assert (town.kind, town.hall) == ("町", "町役場")
    assert Town(name="音威子府村", contact="", phone="", website="").hall == "村役場"
    assert Town(name="芦別市", contact="", phone="", website="").hall == "市役所"
    text = reply_text(town)
    assert "市" not in text and "ホームページ" not in text
    assert "町役場の電話番号" in text and "美瑛町に直接お問い合わせください" in text
    with_site = reply_text(Town(name="美瑛町", contact="美瑛町役場", phone="", website="https://town.example.jp/"))
    assert "町のホームページ：https://town.example.jp/" in with_site and "市" not in with_site
