"""Disaster mode (災害時モード): the switch (CLI), its menu at LINE, the banner on every reply, the greeting."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation.banner import with_banner
from bot.extensions import db
from bot.line import messages
from bot.town.model import Town
from bot.models import AuditLog
from bot.richmenu import mode as modes
from bot.richmenu import publish as publisher
from bot.town.settings import disaster_state
from tests.support import events
from tests.richmenu.support import spec

REPLY = "/v2/bot/message/reply"
BANNER = "【災害時モード】テスト用の見出しです。"
GREETING = "ただいま災害対応中です。テスト用のあいさつ。"


def _build(mode: str):
    return spec(mode, color="#aa0000" if mode == "disaster" else "#1e6f3f")


@pytest.fixture
def hand_built(monkeypatch):
    """Build menus by hand, so these tests do not depend on the pack's definition."""
    monkeypatch.setattr(modes, "build", _build)


@pytest.fixture
def disaster_app(loaded_app, hand_built):
    loaded_app.config.update(TOWN_DISASTER_BANNER=BANNER, TOWN_DISASTER_GREETING=GREETING)
    with loaded_app.app_context():
        modes.switch(True, "大雨警報のため", "admin@example.invalid", confirmed=modes.review("disaster").digest)
    return loaded_app


def _replies(fake_line) -> list[list[dict]]:
    return [r.body["messages"] for r in fake_line.calls(REPLY)]


def test_cli_switches_on_and_back_publishing_each_menu(app, runner, fake_line, hand_built):
    result = runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "大雨警報のため", "--by", "admin@x",
                                 "--yes"])
    assert result.exit_code == 0, result.output
    assert "災害時モードに切り替えました" in result.output
    state = fake_line.richmenu
    with app.app_context():
        assert disaster_state().on and disaster_state().reason == "大雨警報のため"
        disaster_id = publisher.current("disaster").line_menu_id
    assert state.default == disaster_id
    assert state.menus[disaster_id]["name"] == "test-disaster"
    result = runner.invoke(args=["richmenu", "mode", "normal", "--reason", "警報解除", "--by", "admin@x", "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not disaster_state().on
        normal_id = publisher.current("normal").line_menu_id
        actions = [row.action for row in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert state.default == normal_id != disaster_id
    assert actions.count("town.disaster_on") == 1 and actions.count("town.disaster_off") == 1
    assert actions.count("richmenu.publish") == 2
    status = runner.invoke(args=["richmenu", "status"])
    assert "災害時モード：オフ" in status.output and normal_id in status.output and disaster_id in status.output


def test_switching_back_and_forth_reuses_the_published_menus(app, runner, fake_line, hand_built):
    for which in ("disaster", "normal", "disaster"):
        assert runner.invoke(args=["richmenu", "mode", which, "--reason", "訓練", "--yes"]).exit_code == 0
    creates = [r for r in fake_line.calls("/v2/bot/richmenu") if r.method == "POST"]
    assert len(creates) == 2  # the third switch only makes the disaster menu the default again
    with app.app_context():
        assert fake_line.richmenu.default == publisher.current("disaster").line_menu_id


def test_cli_requires_a_reason_and_refuses_a_second_switch(app, runner, hand_built):
    result = runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "   ", "--yes"])
    assert result.exit_code != 0 and "理由を入力してください" in result.output
    assert runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "訓練", "--yes"]).exit_code == 0
    again = runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "訓練", "--yes"])
    assert again.exit_code != 0 and "すでに災害時モードです" in again.output


def test_mode_switches_even_when_line_refuses_the_menu(app, runner, fake_line, hand_built):
    fake_line.inject("/v2/bot/richmenu", status=500, headers={"x-line-request-id": "req-mode-1"})
    result = runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "地震", "--yes"])
    assert result.exit_code == 1
    assert "HTTP 500" in result.output and "req-mode-1" in result.output and "もう一度公開" in result.output
    with app.app_context():
        assert disaster_state().on  # the banner and the greeting do not wait for LINE
    assert fake_line.richmenu.menus == {}


def test_cli_publish_reports_japanese_errors(app, runner, fake_line, hand_built):
    fake_line.inject("/v2/bot/richmenu", status=429, headers={"x-line-request-id": "req-429"})
    result = runner.invoke(args=["richmenu", "publish", "--yes"])
    assert result.exit_code != 0 and "混み合って" in result.output and "req-429" in result.output
    result = runner.invoke(args=["richmenu", "publish", "--mode", "normal", "--yes"])
    assert result.exit_code == 0 and "公開しました" in result.output
    again = runner.invoke(args=["richmenu", "publish", "--mode", "normal", "--yes"])
    assert "何も変更していません" in again.output


def test_without_a_token_the_mode_still_switches(app, runner, fake_line, hand_built):
    app.config["LINE_CHANNEL_ACCESS_TOKEN"] = ""
    result = runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "訓練", "--yes"])
    assert result.exit_code == 0 and "設定されていない" in result.output
    assert fake_line.requests == []


@pytest.mark.parametrize("event, kind", [
    (lambda: events.text("給食費ってタダになるの？"), "answer"),
    (lambda: events.text("ぴよぴよもげもげ"), "fallback"),
    (lambda: events.text("メニュー"), "menu"),
    (lambda: events.text("こんにちは"), "smalltalk"),
    (lambda: events.text("通知設定"), "notices"),
    (lambda: events.text("火事だ"), "urgent"),
    (lambda: events.postback("a=menu"), "postback menu"),
    (lambda: events.sticker(), "sticker"),
    (lambda: events.follow(), "follow"),
])
def test_every_kind_of_reply_carries_the_banner(disaster_app, webhook, fake_line, event, kind):
    fake_line.requests.clear()
    assert webhook([event()]).status_code == 200
    [sent] = _replies(fake_line)
    assert sent[0] == {"type": "text", "text": BANNER}, kind
    assert 2 <= len(sent) <= 5


def test_follow_gets_the_disaster_greeting(disaster_app, webhook, fake_line):
    webhook([events.follow()])
    [sent] = _replies(fake_line)
    assert sent[1]["text"] == GREETING


def test_back_to_normal_the_banner_and_greeting_are_gone(disaster_app, webhook, fake_line):
    with disaster_app.app_context():
        modes.switch(False, "解除", "admin@example.invalid", confirmed=modes.review("normal").digest)
    fake_line.requests.clear()
    webhook([events.follow()])
    webhook([events.text("給食費ってタダになるの？")])
    for sent in _replies(fake_line):
        assert BANNER not in str(sent) and GREETING not in str(sent)
    assert "友だち追加ありがとうございます" in _replies(fake_line)[0][0]["text"]


def test_banner_keeps_a_full_reply_within_five_messages():
    town = Town("芦別市", "市役所", "", "", disaster=True, disaster_banner=BANNER)
    full = [messages.text(f"本文{i}") for i in range(5)]
    out = with_banner(full, town)
    assert len(out) == 5 and out[0]["text"].startswith(BANNER) and out[0]["text"].endswith("本文0")
    assert out[1:] == full[1:]
    assert with_banner([], town) == []  # an unfollow stays silent
    off = Town("芦別市", "市役所", "", "", disaster=False, disaster_banner=BANNER)
    assert with_banner(full, off) is full


def test_the_packs_menus_publish_for_real(loaded_app, runner, fake_line):
    """The real definition (knowledge/richmenu.yaml), rendered, passes LINE's checks and the SDK's models."""
    import io

    from linebot.v3.messaging import RichMenuRequest
    from PIL import Image

    refused = runner.invoke(args=["richmenu", "publish", "--mode", "normal", "--yes"])
    assert refused.exit_code != 0 and "PUBLIC_BASE_URL が設定されていない" in refused.output
    assert fake_line.requests == []  # no menu with links to 127.0.0.1 reaches LINE
    loaded_app.config["PUBLIC_BASE_URL"] = "https://bot.example.jp"
    result = runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "訓練", "--yes"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["richmenu", "publish", "--mode", "normal", "--yes"]).exit_code == 0
    state = fake_line.richmenu
    uris = [a["action"]["uri"] for m in state.menus.values() for a in m["areas"] if a["action"]["type"] == "uri"]
    assert uris and all(u.startswith("https://") for u in uris) and "https://bot.example.jp/notices" in uris
    assert len(state.menus) == 2
    for menu_id, menu in state.menus.items():
        body = {k: v for k, v in menu.items() if k != "richMenuId"}
        RichMenuRequest.from_dict(body)
        assert len(body["areas"]) <= 20
        content_type, data = state.images[menu_id]
        picture = Image.open(io.BytesIO(data))
        assert picture.format == {"image/png": "PNG", "image/jpeg": "JPEG"}[content_type]
        assert picture.size == (body["size"]["width"], body["size"]["height"]) and len(data) <= 1024 * 1024
    with loaded_app.app_context():
        disaster = state.menus[publisher.current("disaster").line_menu_id]
    assert state.default == disaster["richMenuId"]
    labels = " ".join(a["action"].get("label", "") + a["action"].get("text", "") for a in disaster["areas"])
    for tile in ("避難", "緊急連絡先", "お知らせ"):
        assert tile in labels, labels


def test_a_broken_definition_is_a_japanese_error(app, runner, fake_line, monkeypatch):
    from bot.core.problems import Invalid

    def broken(mode):
        raise Invalid("ラベルを入力してください", "tiles[0]")

    monkeypatch.setattr(modes, "build", broken)
    result = runner.invoke(args=["richmenu", "publish", "--yes"])
    assert result.exit_code != 0 and "メニューの定義に問題がある" in result.output and "ラベルを入力" in result.output
    assert fake_line.requests == []


@pytest.mark.parametrize("on", [False, True])
def test_the_banner_costs_no_extra_database_round_trip(loaded_app, webhook, fake_line, hand_built, on):
    """The reply path reads the town once, for the handler and the banner together (the webhook is hot)."""
    from sqlalchemy import event

    if on:
        with loaded_app.app_context():
            modes.switch(True, "訓練", "a", confirmed=modes.review("disaster").digest)
    webhook([events.text("給食費ってタダになるの？")])  # warm: the knowledge index is built once
    seen: list[str] = []
    with loaded_app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        if "town_settings" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for question in ("給食費ってタダになるの？", "ぴよぴよもげもげ", "メニュー", "通知設定"):
            webhook([events.text(question)])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # One read per reply at most; 通知設定 reads none in its handler and one for the banner.
    assert len(seen) <= 4, seen
    assert all(("【災害時モード】" in str(m)) == on for m in _replies(fake_line)[-4:])
