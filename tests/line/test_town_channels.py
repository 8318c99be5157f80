"""Each town's own LINE channel (issue 21 §1): its webhook verifies with its own secret and checks its bot's user id,
and every call to LINE made for it (replies, push fallbacks, notices, rich menus, forms) carries its own token."""
from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import func, select, update

from bot.core.tenancy import town_by_slug, town_caches, use_town
from bot.extensions import db
from bot.line import channels
from bot.models import AuditLog
from bot.models.tenancy import Tenant
from bot.towns.store import create_town
from tests.conftest import SECRET, TOKEN
from tests.support import events
from tests.support.linesign import body_of, sign

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
A_SECRET, A_TOKEN, A_BOT = "furano-channel-secret", "furano-access-token", "U" + "a" * 32
B_SECRET, B_TOKEN, B_BOT = "biei-channel-secret", "biei-access-token", "U" + "b" * 32
RESIDENT = "U" + "7" * 32


@pytest.fixture
def towns(app):
    """Two towns with their own channels (no bot user id yet), beside the default town on the app settings."""
    with app.app_context():
        furano = create_town("furano", "富良野市", actor="cli", channel_secret=A_SECRET, access_token=A_TOKEN).id
        biei = create_town("biei", "美瑛町", actor="cli", channel_secret=B_SECRET, access_token=B_TOKEN).id
    return {"furano": furano, "biei": biei}


def post(app, slug: str | None, evts: list[dict], *, secret: str, destination: str | None = None,
         drain: bool = True):
    """Post a webhook body to a town's /<slug>/callback (None: /callback), signed with secret."""
    body = body_of(evts, destination) if destination else body_of(evts)
    response = app.test_client().post(f"/{slug}/callback" if slug else "/callback", data=body,
                                      headers={"Content-Type": "application/json", "X-Line-Signature": sign(body, secret)})
    if drain:
        assert app.extensions["line_sender"].drain(10)
    return response


def bearer(record) -> str:
    return record.headers.get("authorization", "")


def test_each_town_replies_with_its_own_token_and_the_default_town_with_the_settings(app, towns, fake_line):
    assert post(app, "furano", [events.follow(user=RESIDENT)], secret=A_SECRET, destination=A_BOT).status_code == 200
    assert post(app, "biei", [events.follow(user=RESIDENT)], secret=B_SECRET, destination=B_BOT).status_code == 200
    assert post(app, None, [events.follow(user=RESIDENT)], secret=SECRET).status_code == 200
    assert [bearer(r) for r in fake_line.calls(REPLY)] == [f"Bearer {A_TOKEN}", f"Bearer {B_TOKEN}", f"Bearer {TOKEN}"]


def test_a_body_signed_with_another_towns_secret_is_400_and_logged_without_personal_data(app, towns, fake_line,
                                                                                          caplog):
    caplog.set_level(logging.INFO)
    response = post(app, "biei", [events.text("ごみの出し方", user=RESIDENT)], secret=A_SECRET, destination=A_BOT)
    assert response.status_code == 400
    assert fake_line.requests == []
    assert "webhook rejected for town biei: bad signature" in caplog.text
    assert RESIDENT not in caplog.text and "ごみ" not in caplog.text
    # The app settings' secret opens no town that has its own, and a town's secret does not open the default town.
    assert post(app, "furano", [events.follow()], secret=SECRET).status_code == 400
    assert post(app, None, [events.follow()], secret=A_SECRET).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Tenant.line_bot_user_id).where(Tenant.id == towns["biei"])) == ""


def test_the_first_verified_webhook_records_the_bot_and_another_destination_is_400(app, towns, fake_line, caplog):
    assert post(app, "furano", [events.follow(user=RESIDENT)], secret=A_SECRET, destination=A_BOT).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Tenant.line_bot_user_id).where(Tenant.id == towns["furano"])) == A_BOT
        with use_town(towns["furano"]):
            audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "town.bot_user_id")).all()
        assert [(a.actor, a.after) for a in audit] == [("system", {"bot_user_id": A_BOT})]
        with use_town(towns["biei"]):  # recorded in its own town's log only
            assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                     .where(AuditLog.action == "town.bot_user_id")) == 0
    caplog.set_level(logging.INFO)
    # Signed with the town's own secret but meant for another bot: refused, nothing recorded, nothing sent.
    response = post(app, "furano", [events.text("こんにちは", user=RESIDENT)], secret=A_SECRET, destination=B_BOT)
    assert response.status_code == 400
    assert "destination is not this town's bot" in caplog.text and RESIDENT not in caplog.text
    assert len(fake_line.calls(REPLY)) == 1
    with app.app_context():
        assert db.session.scalar(select(Tenant.line_bot_user_id).where(Tenant.id == towns["furano"])) == A_BOT
    # The right destination still passes, and does not record again.
    assert post(app, "furano", [events.follow(user=RESIDENT)], secret=A_SECRET, destination=A_BOT).status_code == 200
    with app.app_context(), use_town(towns["furano"]):
        assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "town.bot_user_id")) == 1


def test_a_bot_user_id_set_by_the_operator_is_checked_from_the_first_webhook(app, fake_line):
    with app.app_context():
        create_town("kamikawa", "上川町", actor="cli", channel_secret=A_SECRET, access_token=A_TOKEN,
                    bot_user_id=A_BOT)
    assert post(app, "kamikawa", [events.follow()], secret=A_SECRET, destination=B_BOT).status_code == 400
    assert post(app, "kamikawa", [events.follow()], secret=A_SECRET).status_code == 400  # U000…: not its bot
    assert post(app, "kamikawa", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200


def test_recording_the_bot_is_race_safe_the_first_one_wins(app, towns):
    """Two workers' first webhooks: the second UPDATE finds the id set and changes nothing (one audit row)."""
    with app.app_context():
        stale = town_by_slug("furano", fresh=True)  # both workers read the town before either recorded
        with use_town(towns["furano"]):
            first = channels.record_bot_user_id(stale, A_BOT)
            second = channels.record_bot_user_id(stale, B_BOT)
            assert channels.town_channel(first).bot_user_id == A_BOT
            assert channels.town_channel(second).bot_user_id == A_BOT
            assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                     .where(AuditLog.action == "town.bot_user_id")) == 1
    # The worker that lost answers the other bot's body 400 (its channel now names A's bot).
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=B_BOT).status_code == 400


def test_a_destination_that_is_no_bot_user_id_is_not_recorded(app, towns, fake_line):
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination="U1").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Tenant.line_bot_user_id).where(Tenant.id == towns["furano"])) == ""


def test_a_town_without_a_channel_is_503_with_a_clear_message(app, fake_line):
    with app.app_context():
        create_town("nochannel", "未設定町", actor="cli")
    response = post(app, "nochannel", [events.follow()], secret=SECRET)
    assert response.status_code == 503
    assert "flask towns set-channel" in response.get_json()["message"]
    assert fake_line.requests == []


def test_the_default_town_without_a_stored_channel_uses_the_settings_and_records_its_bot(app, fake_line):
    assert post(app, None, [events.follow(user=RESIDENT)], secret=SECRET, destination=A_BOT).status_code == 200
    assert bearer(fake_line.calls(REPLY)[0]) == f"Bearer {TOKEN}"
    with app.app_context():
        assert channels.uses_settings()
        assert channels.town_channel() == channels.Channel(SECRET, TOKEN, A_BOT)
        assert channels.town_gateway() is app.extensions["line_gateway"]
    assert post(app, None, [events.follow()], secret=SECRET, destination=B_BOT).status_code == 400
    # Given a channel of its own, the default town uses it instead of the settings.
    runner = app.test_cli_runner()
    result = runner.invoke(args=["towns", "set-channel", "default", "--line-channel-secret", B_SECRET,
                                 "--line-access-token", B_TOKEN])
    assert result.exit_code == 0, result.output
    assert post(app, None, [events.follow()], secret=SECRET, destination=A_BOT).status_code == 400
    assert post(app, None, [events.follow()], secret=B_SECRET, destination=A_BOT).status_code == 200
    assert bearer(fake_line.calls(REPLY)[-1]) == f"Bearer {B_TOKEN}"


def test_rotation_through_towns_set_channel_takes_effect_on_the_next_webhook(app, towns, fake_line):
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200
    result = app.test_cli_runner().invoke(args=["towns", "set-channel", "furano", "--line-channel-secret", "rotated-secret",
                                                "--line-access-token", "rotated-token"])
    assert result.exit_code == 0, result.output
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 400
    assert post(app, "furano", [events.follow()], secret="rotated-secret", destination=A_BOT).status_code == 200
    assert [bearer(r) for r in fake_line.calls(REPLY)] == [f"Bearer {A_TOKEN}", "Bearer rotated-token"]
    # Clearing the bot user id lets the town move to another bot; the next webhook records that one.
    result = app.test_cli_runner().invoke(args=["towns", "set-channel", "furano", "--line-bot-user-id", ""])
    assert result.exit_code == 0, result.output
    assert post(app, "furano", [events.follow()], secret="rotated-secret", destination=B_BOT).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Tenant.line_bot_user_id).where(Tenant.id == towns["furano"])) == B_BOT


def test_a_rotation_made_by_another_process_reaches_this_one(app, towns, fake_line):
    """Another worker rotated the credentials: no signal reaches this process, the changed row does."""
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200
    with app.app_context():  # what another process's set-channel leaves: a changed row, this process's caches intact
        db.session.execute(update(Tenant).where(Tenant.id == towns["furano"]).values(
            line_channel_secret=channels.seal("elsewhere-secret"), line_access_token=channels.seal("elsewhere-token")))
        db.session.commit()
    # A body signed with the new secret fails against the cached one, which makes this process read the town again.
    assert post(app, "furano", [events.follow()], secret="elsewhere-secret", destination=A_BOT).status_code == 200
    assert bearer(fake_line.calls(REPLY)[-1]) == "Bearer elsewhere-token"
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 400


def test_the_token_rotated_elsewhere_is_used_once_the_town_is_read_again(app, towns, fake_line):
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200
    with app.app_context():
        db.session.execute(update(Tenant).where(Tenant.id == towns["furano"]).values(
            line_access_token=channels.seal("elsewhere-token")))
        db.session.commit()
    app.config["TOWN_CACHE_SECONDS"] = 0  # the town directory's entry has expired (TOWN_CACHE_SECONDS, 5 s)
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200
    assert bearer(fake_line.calls(REPLY)[-1]) == "Bearer elsewhere-token"


def test_the_channel_is_decrypted_once_per_change_not_per_webhook(app, towns, fake_line, monkeypatch):
    opened: list[str] = []
    real = channels.unseal
    monkeypatch.setattr(channels, "unseal", lambda stored: opened.append(stored) or real(stored))
    for _ in range(3):
        assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200
    # The first webhook opened the channel, recorded the bot and opened it again under its new stamp; no more.
    assert len([s for s in opened if s]) == 4
    with app.app_context():
        assert town_caches("line_channel").peek(towns["furano"]).stored.access_token == A_TOKEN


def test_the_channel_cache_is_bounded_by_town_cache_towns(app, towns, fake_line):
    app.config["TOWN_CACHE_TOWNS"] = 1
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200
    assert post(app, "biei", [events.follow()], secret=B_SECRET, destination=B_BOT).status_code == 200
    with app.app_context():
        lru = town_caches("line_channel")
        assert lru.peek(towns["furano"]) is None and lru.peek(towns["biei"]) is not None
    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200
    assert [bearer(r) for r in fake_line.calls(REPLY)] == [f"Bearer {A_TOKEN}", f"Bearer {B_TOKEN}", f"Bearer {A_TOKEN}"]


def test_an_expired_reply_token_falls_back_to_a_push_with_the_towns_token(app, towns, fake_line):
    event = events.follow(user=RESIDENT)
    fake_line.expired_tokens.add(event["replyToken"])
    assert post(app, "biei", [event], secret=B_SECRET, destination=B_BOT).status_code == 200
    pushes = fake_line.calls(PUSH)
    assert len(pushes) == 1 and pushes[0].body["to"] == RESIDENT
    assert bearer(fake_line.calls(REPLY)[0]) == bearer(pushes[0]) == f"Bearer {B_TOKEN}"


def test_forged_bodies_read_the_town_again_at_most_once_a_second(app, towns, fake_line):
    """A bad signature makes the process read the town again (a rotation elsewhere), but a flood costs one query."""
    from sqlalchemy import event

    assert post(app, "furano", [events.follow()], secret=A_SECRET, destination=A_BOT).status_code == 200
    with app.app_context():
        engine = db.engine
    reads: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if "FROM towns" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    started = time.monotonic()
    try:
        for _ in range(20):
            assert post(app, "furano", [events.follow()], secret="forged", destination=A_BOT).status_code == 400
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert 1 <= len(reads) <= 1 + int(time.monotonic() - started), reads  # at most one a second, not one a body
    assert fake_line.calls(REPLY)[1:] == []
