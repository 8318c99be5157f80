"""The chat simulator: same conversation code, LINE-shaped JSON, off in production."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import create_app
from bot.conversation import simulated
from bot.extensions import db
from bot.models import Follower, QuestionLog, Subscription
from bot.notices import audience, report, resident, schedule
from bot.notices.delivery import Deliverer
from tests.support import events
from tests.conftest import base_config
from tests.support.linejson import actions
from tests.notices.support import FAST, add_followers, scheduled_notice, uid


def _token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_simulator_answers_like_the_webhook(loaded_app):
    client = loaded_app.test_client()
    assert "シミュレーター" in client.get("/").get_data(as_text=True)
    response = client.post("/simulator/send", json={"kind": "text", "text": "給食費ってタダ？"},
                           headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 200
    data = response.get_json()
    assert data["outcome"] == "answer" and data["entry"] == "school-lunch-free"
    assert data["messages"][0]["type"] == "flex"


def test_simulator_rejects_bad_input(loaded_app):
    client = loaded_app.test_client()
    headers = {"X-CSRFToken": _token(client)}
    assert client.post("/simulator/send", data="nope", headers=headers).status_code == 400
    assert client.post("/simulator/send", json={"kind": "hack"}, headers=headers).status_code == 400
    assert client.post("/simulator/send", json={"text": "あ" * 20_000}, headers=headers).status_code == 400


def test_simulator_needs_the_csrf_token(loaded_app):
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    client = loaded_app.test_client()
    assert client.post("/simulator/send", json={"kind": "text", "text": "給食"}).status_code == 400


def test_simulator_is_off_in_production_unless_enabled(app, fake_line, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SIMULATOR_ENABLED", raising=False)
    config = {**base_config(app.config["SQLALCHEMY_DATABASE_URI"], fake_line), "PUBLIC_BASE_URL": "https://bot.example.jp/"}
    del config["SIMULATOR_ENABLED"]
    production = create_app(config)
    assert production.test_client().get("/").status_code == 404
    monkeypatch.setenv("SIMULATOR_ENABLED", "1")
    assert create_app(config).test_client().get("/").status_code == 200


def test_postgres_urls_are_accepted():
    from bot.config import database_url

    assert database_url("postgres://u:p@h/db", "/x").startswith("postgresql+psycopg://u:p@h/db")
    assert database_url("postgresql://u@h/db", "/x") == "postgresql+psycopg://u@h/db"
    assert database_url(None, "/inst").endswith("/inst/ashibetsu-bot.sqlite3")


def test_production_refuses_the_development_secret_key(monkeypatch):
    import pytest

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_cookie_and_body_limits_are_set(monkeypatch):
    monkeypatch.setenv("MAX_WEBHOOK_BYTES", "12345")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["MAX_WEBHOOK_BYTES"] == 12345
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax" and app.config["SESSION_COOKIE_HTTPONLY"]


# -- a simulated resident per browser session: notice settings work, and it is nobody's follower ---------

KIDS = "kosodate"  # FAST's topic for 子育て・教育


class Sim:
    """One browser session of the simulator."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = _token(self.client)

    def send(self, **payload) -> dict:
        response = self.client.post("/simulator/send", json=payload, headers={"X-CSRFToken": self.token})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def say(self, text: str) -> dict:
        return self.send(kind="text", text=text)

    def tap(self, data: str) -> dict:
        return self.send(kind="postback", data=data)


@pytest.fixture
def sapp(loaded_app):
    loaded_app.config.update(FAST)
    return loaded_app


def _datas(message: dict) -> list[str]:
    return [a.get("data", "") for a in actions(message)]


def _sim_followers(app) -> list[Follower]:
    with app.app_context():
        return list(db.session.scalars(select(Follower).where(Follower.line_user_id.like("sim-%"))))


def test_simulator_resident_subscribes_but_no_notice_counts_or_reaches_it(sapp, fake_line):
    sim = Sim(sapp)
    sim.send(kind="follow")
    settings = sim.say("お知らせ設定")["messages"][0]
    assert settings["type"] == "flex" and "全員向けのお知らせ" in settings["altText"]
    toggle = next(d for d in _datas(settings) if d == f"a=sub&t={KIDS}")
    assert "「子育て・教育」のお知らせをお届けします" in sim.tap(toggle)["messages"][0]["altText"]
    [row] = _sim_followers(sapp)
    assert row.simulated and not re.fullmatch(r"U[0-9a-f]{32}", row.line_user_id)
    with sapp.app_context():
        assert db.session.scalar(select(Subscription.topic).where(Subscription.follower_id == row.id)) == KIDS
        real = add_followers([1], topics=(KIDS,))
        # The simulated resident is subscribed and not opted out, yet counts nowhere.
        assert audience.count((KIDS,)) == 1 and audience.count(()) == 1
        assert audience.user_ids((KIDS,)) == real and audience.still_active([row.line_user_id]) == set()
        assert report.follower_history(1)[-1]["active"] == 1 and report.record_follower_count().active == 1
        scheduled_notice(topics=(KIDS,))
        scheduled_notice(topics=(), title="全員へのお知らせ")
        schedule.release_due()
        Deliverer().drain(max_wait=5)
    delivered = fake_line.delivered()
    assert delivered == real * 2
    assert not [u for u in delivered if simulated.is_simulated(u)]


def test_simulator_offer_under_an_answer_subscribes_once(sapp):
    sim = Sim(sapp)
    answer = sim.say("給食費ってタダ？")["messages"][0]
    offer = next(i["action"] for i in answer["quickReply"]["items"] if i["action"]["label"] == resident.OFFER_LABEL)
    assert "お届けします" in sim.tap(offer["data"])["messages"][0]["altText"]
    again = sim.say("給食費ってタダ？")["messages"][0]
    assert resident.OFFER_LABEL not in [i["action"]["label"] for i in again["quickReply"]["items"]]
    [row] = _sim_followers(sapp)
    with sapp.app_context():
        assert db.session.scalar(select(Subscription.source).where(Subscription.follower_id == row.id)) == "answer"


def test_each_browser_session_is_its_own_resident_and_can_stop_everything(sapp):
    alice, bob = Sim(sapp), Sim(sapp)
    alice.tap(f"a=sub&t={KIDS}")
    assert "⬜ 子育て・教育" in str(bob.say("お知らせ設定")["messages"][0])
    assert "✅ 子育て・教育" in str(alice.say("お知らせ設定")["messages"][0])
    stopped = alice.say("配信停止")["messages"][0]
    assert "すべてのお知らせの配信を停止しました" in stopped["text"]
    assert "いまはお知らせを受け取っていません" in alice.say("お知らせ設定")["messages"][0]["altText"]
    assert len(_sim_followers(sapp)) == 2


def test_a_simulated_id_cannot_be_stored_as_a_real_follower(app):
    assert simulated.is_simulated(simulated.new_browser_id()) and simulated.new_browser_id() != simulated.new_browser_id()
    assert simulated.cli_id("花子") == simulated.cli_id("花子") != simulated.cli_id("太郎")
    assert not simulated.is_simulated(uid(1))
    with app.app_context():
        db.session.add(Follower(line_user_id=simulated.new_browser_id()))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(ValueError):
            simulated.touch(uid(1))


def test_a_line_event_never_acts_as_a_simulated_resident(sapp, webhook, fake_line):
    # A webhook event is signed by LINE, but the rule holds even so: simulated ids belong to the simulator.
    webhook([events.text("お知らせ設定", user=simulated.new_browser_id())])
    assert "アカウントでご利用いただけます" in fake_line.calls("/v2/bot/message/reply")[-1].body["messages"][0]["text"]
    assert _sim_followers(sapp) == []


# -- every answer is the same bubble with 👍/👎 on a question-log row, however it was reached ------------

def _vote_row(message: dict) -> int:
    """Check the message is an answer bubble with every part, and return the log id its 👍/👎 carry."""
    assert message["type"] == "flex"
    contents = message["contents"]
    assert contents["header"]["contents"][0]["weight"] == "bold"
    flat = str(contents)
    assert "お問い合わせ：" in flat and "出典：" in flat and "詳しく見る" in flat
    votes = [dict(parse_qsl(d)) for d in _datas(message) if d.startswith("a=fb")]
    assert [v["v"] for v in votes] == ["up", "down"] and votes[0]["l"] == votes[1]["l"]
    return int(votes[0]["l"])


def _row(app, log_id: int) -> QuestionLog:
    with app.app_context():
        row = db.session.get(QuestionLog, log_id)
        db.session.expunge(row)
        return row


def _entry_chip(message: dict, not_slug: str = "") -> str:
    datas = [i["action"]["data"] for i in message["quickReply"]["items"]]
    return next(d for d in datas if dict(parse_qsl(d)).get("a") == "ans" and dict(parse_qsl(d))["s"] != not_slug)


def test_typed_suggested_menu_and_quick_reply_answers_all_carry_feedback(sapp):
    sim = Sim(sapp)
    typed = sim.say("給食費ってタダ？")["messages"][0]
    row = _row(sapp, _vote_row(typed))
    assert (row.outcome, row.entry_slug, row.channel) == ("answer", "school-lunch-free", "simulator")

    related = sim.tap(_entry_chip(typed, "school-lunch-free"))
    row = _row(sapp, _vote_row(related["messages"][0]))
    assert (row.outcome, row.entry_slug, row.channel) == ("choice", related["entry"], "simulator")

    menu = sim.tap("a=menu")["messages"][0]
    topic = sim.tap(menu["quickReply"]["items"][0]["action"]["data"])["messages"][0]
    picked = sim.tap(_entry_chip(topic))
    row = _row(sapp, _vote_row(picked["messages"][0]))
    assert (row.outcome, row.entry_slug, row.channel) == ("choice", picked["entry"], "simulator")
    assert row.text and row.user_hash

    unsure = sim.say("計画")
    assert unsure["outcome"] == "suggest", "the matcher answered 「計画」; pick a vaguer question for this test"
    suggestion = _entry_chip(unsure["messages"][0])
    chosen = sim.tap(suggestion)
    log_id = _vote_row(chosen["messages"][0])
    row = _row(sapp, log_id)
    assert (row.outcome, row.entry_slug, row.channel) == ("suggest", chosen["entry"], "simulator")
    assert f"l={log_id}" in suggestion  # the vote goes to the question the resident asked

    assert "ありがとうございます" in sim.tap(f"a=fb&v=up&l={_vote_row(picked['messages'][0])}")["messages"][0]["text"]
    assert _row(sapp, _vote_row(picked["messages"][0])).feedback == "up"


def test_an_answer_tapped_in_line_gets_its_own_row_on_the_line_channel(loaded_app, webhook, fake_line):
    from bot.admin import stats

    webhook([events.postback("a=ans&s=supporters-club")])
    bubble = fake_line.calls("/v2/bot/message/reply")[-1].body["messages"][0]
    row = _row(loaded_app, _vote_row(bubble))
    assert (row.outcome, row.entry_slug, row.channel) == ("choice", "supporters-club", "line") and row.user_hash
    with loaded_app.app_context():
        assert stats.period(7).questions == 0  # a tap is no question: the answer rate stays about questions


def test_a_suggestion_row_of_someone_else_is_not_reused(loaded_app, webhook, fake_line):
    webhook([events.text("計画")])
    chip = _entry_chip(fake_line.calls("/v2/bot/message/reply")[-1].body["messages"][0])
    webhook([events.postback(chip, user="U" + "2" * 32)])
    row = _row(loaded_app, _vote_row(fake_line.calls("/v2/bot/message/reply")[-1].body["messages"][0]))
    assert row.outcome == "choice"
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog.entry_slug).where(QuestionLog.outcome == "suggest")) is None


# -- a compact bubble: the first paragraph, 続きを読む for the rest, a short 出典 -------------------------

def test_read_more_shows_the_rest_and_the_full_source_with_the_same_vote(sapp):
    sim = Sim(sapp)
    answer = sim.say("給食費ってタダ？")["messages"][0]
    body = [n["text"] for n in answer["contents"]["body"]["contents"] if n["type"] == "text"]
    assert body[0].startswith("芦別市の総合戦略") and "\n" not in body[0]
    assert "出典：総合戦略 72頁" in body
    more = next(d for d in _datas(answer) if d.startswith("a=more"))
    detail = sim.tap(more)["messages"][0]
    assert detail["contents"]["header"]["contents"][0]["text"].endswith("（続き）")
    flat = str(detail["contents"])
    assert "保護者の経済的な負担" in flat and "⑧学校給食費支援の推進（総合戦略72頁）" in flat
    assert _vote_row_of_detail(detail) == _vote_row(answer)


def _vote_row_of_detail(message: dict) -> int:
    votes = [dict(parse_qsl(d)) for d in _datas(message) if d.startswith("a=fb")]
    assert len(votes) == 2
    return int(votes[0]["l"])


def test_simulator_errors_are_in_japanese(loaded_app):
    client = loaded_app.test_client()
    response = client.post("/simulator/send", json={"kind": "hack"},
                           headers={"X-CSRFToken": _token(client), "Accept": "application/json"})
    assert response.status_code == 400 and "どれか" in response.get_json()["message"]
