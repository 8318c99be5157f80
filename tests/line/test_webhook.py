"""POST /callback through the real SDK to the fake LINE API."""
from __future__ import annotations

import json
import logging

from sqlalchemy import func, select, text

from bot.extensions import db
from bot.models import Follower, ProcessedEvent, QuestionLog
from tests.support import events
from tests.conftest import SECRET, shared_path
from tests.support.linesign import body_of, sign

REPLY = "/v2/bot/message/reply"


def _reply_body(fake_line, n: int = 0) -> dict:
    return fake_line.calls(REPLY)[n].body


def test_question_is_answered_with_the_right_entry(loaded_app, webhook, fake_line):
    response = webhook([events.text("給食費ってタダになるの？")])
    assert response.status_code == 200
    calls = fake_line.calls(REPLY)
    assert len(calls) == 1
    assert calls[0].headers["authorization"] == "Bearer test-access-token"
    message = calls[0].body["messages"][0]
    assert message["type"] == "flex"
    assert "給食" in message["altText"]
    flat = json.dumps(message, ensure_ascii=False)
    assert "出典：" in flat and "72頁" in flat
    assert "詳しく見る" in flat
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert row.outcome == "answer" and row.entry_slug == "school-lunch-free"
        assert row.user_hash and events.USER not in row.user_hash


def test_bad_signature_is_400_and_nothing_is_sent(loaded_app, webhook, fake_line):
    response = webhook([events.text("給食費")], signature="bm90LXRoZS1zaWduYXR1cmU=")
    assert response.status_code == 400
    assert fake_line.requests == []


def test_missing_signature_is_400(loaded_app, webhook):
    assert webhook([events.text("給食費")], signature=False).status_code == 400


def test_signature_with_another_secret_is_400(loaded_app, webhook):
    assert webhook([events.text("給食費")], secret="someone-elses-secret").status_code == 400


def test_malformed_bodies_are_400_not_500(app, webhook):
    for raw in (b"{not json", b"[]", b'{"destination": "U1"}', b'{"events": "nope"}', b"\xff\xfe\xfa",
                b'{"events": [42]}'):
        response = webhook(raw=raw, signature=sign(raw, SECRET))
        assert response.status_code == 400, raw
        assert response.get_json()["error"] == "Bad Request"


def test_console_verify_with_no_events_is_200(app, webhook, fake_line):
    assert webhook([]).status_code == 200
    assert fake_line.requests == []


def test_official_sample_body_with_28_events_is_200(loaded_app, webhook, fake_line):
    raw = shared_path("line-samples", "webhook.json").read_bytes()
    payload = json.loads(raw)
    assert len(payload["events"]) == 28
    response = webhook(raw=raw, signature=sign(raw, SECRET))
    assert response.status_code == 200
    # Every sample event shares one webhookEventId: the first answerable one is handled, the rest deduped.
    with loaded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
    assert len(fake_line.calls(REPLY)) == 1


def test_sample_events_with_their_own_ids_get_sensible_replies(loaded_app, webhook, fake_line):
    payload = json.loads(shared_path("line-samples", "webhook.json").read_bytes())
    for i, event in enumerate(payload["events"]):
        event["webhookEventId"] = f"sample-{i:02d}"
    raw = json.dumps(payload).encode()
    assert webhook(raw=raw, signature=sign(raw, SECRET)).status_code == 200
    # Answered: text x4 (user, group, room, redelivered), media x7 (image x2, video, audio, location,
    # sticker, file), follow, join, postback x4 = 17. Not: unfollow, leave, beacon x2, accountLink,
    # memberJoined/Left, unsend, videoPlayComplete, messageEdited, the undefined type.
    assert len(fake_line.calls(REPLY)) == 17
    with loaded_app.app_context():
        # Group and room questions are answered but leave no user trace.
        rows = db.session.scalars(select(QuestionLog)).all()
        assert len(rows) == 4
        assert sum(1 for r in rows if r.user_hash == "") == 2


def test_redelivered_event_is_answered_once(loaded_app, webhook, fake_line):
    event = events.text("コンビニで住民票とれる？")
    assert webhook([event]).status_code == 200
    event["deliveryContext"]["isRedelivery"] = True
    assert webhook([event]).status_code == 200
    assert webhook([event, event]).status_code == 200
    assert len(fake_line.calls(REPLY)) == 1
    with loaded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuestionLog)) == 1


def test_line_errors_on_reply_never_become_500(loaded_app, webhook, fake_line, caplog):
    for status in (429, 500, 503):
        fake_line.inject(REPLY, status=status, headers={"x-line-request-id": f"req-{status}"})
        assert webhook([events.text("マイナンバーカード")]).status_code == 200
    assert "req-429" in caplog.text and "req-500" in caplog.text
    assert len(fake_line.calls(REPLY)) == 3


def test_reply_timeout_returns_within_budget(loaded_app, webhook, fake_line):
    import time

    fake_line.inject(REPLY, status=200, delay=2.0)
    started = time.perf_counter()
    assert webhook([events.text("母子手帳アプリ")]).status_code == 200
    assert time.perf_counter() - started < 1.5  # LINE_API_TIMEOUT is 0.5 s in tests


def test_expired_reply_token_falls_back_to_push_once(loaded_app, webhook, fake_line):
    event = events.text("ゼロカーボン")
    fake_line.expired_tokens.add(event["replyToken"])
    assert webhook([event]).status_code == 200
    pushes = fake_line.calls("/v2/bot/message/push")
    assert len(pushes) == 1
    assert pushes[0].body["to"] == events.USER
    assert pushes[0].retry_key


def test_huge_message_is_answered_and_logged_clipped(loaded_app, webhook, fake_line):
    response = webhook([events.text("給食費について" + "あ" * 6000)])
    assert response.status_code == 200
    messages = _reply_body(fake_line)["messages"]
    assert len(messages) <= 5
    assert "最初の500文字" in messages[0]["text"]
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert len(row.text) <= 1000


def test_empty_message_gets_help(loaded_app, webhook, fake_line):
    assert webhook([events.text("   ")]).status_code == 200
    assert "使い方" in _reply_body(fake_line)["messages"][0]["text"]


def test_body_over_the_limit_is_413(app, webhook):
    app.config["MAX_WEBHOOK_BYTES"] = 10_000
    raw = json.dumps({"destination": "U1", "events": [events.text("あ" * 20_000)]}).encode()
    assert webhook(raw=raw, signature=sign(raw, SECRET)).status_code == 413


def test_missing_line_settings_is_503_with_a_clear_message(app, webhook):
    app.config["LINE_CHANNEL_SECRET"] = ""
    response = webhook([events.text("給食費")])
    assert response.status_code == 503
    assert "LINE_CHANNEL_SECRET" in response.get_json()["message"]


def test_follow_greets_and_unfollow_deactivates(loaded_app, webhook, fake_line):
    assert webhook([events.follow()]).status_code == 200
    welcome = _reply_body(fake_line)["messages"][0]
    assert "友だち追加" in welcome["text"]
    assert 1 <= len(welcome["quickReply"]["items"]) <= 13
    with loaded_app.app_context():
        assert db.session.scalar(select(Follower.status)) == "active"
    assert webhook([events.unfollow()]).status_code == 200
    with loaded_app.app_context():
        assert db.session.scalar(select(Follower.status)) == "unfollowed"


def test_unknown_event_type_is_ignored(loaded_app, webhook, fake_line, caplog):
    event = events.text("x")
    event["type"] = "somethingNew"
    del event["message"]
    assert webhook([event]).status_code == 200
    assert fake_line.requests == []


def test_database_down_is_503_and_redelivery_answers_once(loaded_app, webhook, fake_line, caplog):
    from bot import create_app
    from tests.conftest import base_config
    from tests.support.linesign import body_of

    unreachable = {
        "sqlite": "sqlite:////nonexistent-directory/bot.sqlite3",
        "postgresql": "postgresql+psycopg://postgres@127.0.0.1:9/bot",
    }[loaded_app.config["BACKEND"]]
    down = create_app(base_config(unreachable, fake_line))
    event = events.text("産後ケア")
    raw = body_of([event])
    response = down.test_client().post("/callback", data=raw, headers={"X-Line-Signature": sign(raw, SECRET)})
    assert response.status_code == 503
    assert "database is unavailable" in response.get_json()["message"]
    assert "database unavailable" in caplog.text
    assert fake_line.calls(REPLY) == []
    # The database is back: LINE redelivers, more than once, and the resident gets one answer.
    assert webhook([event]).status_code == 200
    assert webhook([event]).status_code == 200
    assert len(fake_line.calls(REPLY)) == 1


def test_exhausted_connection_pool_is_503_and_redelivery_answers_once(loaded_app, webhook, fake_line, caplog):
    from bot import create_app
    from tests.conftest import base_config
    from tests.support.linesign import body_of

    busy = create_app({**base_config(loaded_app.config["SQLALCHEMY_DATABASE_URI"], fake_line),
                       "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2}})
    event = events.text("産後ケア")
    raw = body_of([event])
    try:
        with busy.app_context(), db.engine.connect():  # another request holds the only connection
            response = busy.test_client().post("/callback", data=raw,
                                               headers={"X-Line-Signature": sign(raw, SECRET)})
    finally:
        busy.extensions["line_sender"].close()
        with busy.app_context():
            db.engine.dispose()
    assert response.status_code == 503
    assert "database unavailable" in caplog.text
    assert fake_line.calls(REPLY) == []
    assert webhook([event]).status_code == 200
    assert len(fake_line.calls(REPLY)) == 1


def _cut_connections(uri: str) -> int:
    """Terminate every other session the app's role has on the test database, as a PostgreSQL restart or failover
    would. Only that role's: a superuser's session (a fixture granting or cleaning up as the owner at that moment)
    may not be terminated by the app's role, and asking failed the test now and then."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(uri, poolclass=NullPool)
    with engine.connect() as conn:
        cut = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                "AND usename = current_user")).scalar()
        conn.commit()
    engine.dispose()
    return cut


def test_idle_connections_cut_by_a_database_restart_are_replaced_or_redelivered(loaded_app, fake_line, caplog):
    import time

    from bot import create_app
    from tests.conftest import base_config
    from tests.support.linesign import body_of

    uri = loaded_app.config["SQLALCHEMY_DATABASE_URI"]
    if loaded_app.config["BACKEND"] == "sqlite":
        # A file has no connection to lose: nothing pings it.
        with loaded_app.app_context():
            assert len(db.engine.pool.dispatch.checkout) == 0
        return

    def post(app, event):
        raw = body_of([event])
        return app.test_client().post("/callback", data=raw, headers={"X-Line-Signature": sign(raw, SECRET)})

    def app_pinging_after(seconds: float):
        return create_app({**base_config(uri, fake_line), "DB_PING_IDLE_SECONDS": seconds})

    pinging, trusting = app_pinging_after(0.1), app_pinging_after(3600)
    event = events.text("コンビニで住民票")
    try:
        # Idle past the limit: the checkout ping finds the dead connection and the pool opens a new one.
        assert post(pinging, events.text("産後ケア")).status_code == 200
        assert _cut_connections(uri) >= 1
        time.sleep(0.2)
        assert post(pinging, events.text("給食費")).status_code == 200
        # Used moments ago: not pinged, so the cut shows as a 503, and LINE's redelivery is answered once.
        assert post(trusting, events.text("産後ケア")).status_code == 200
        _cut_connections(uri)
        assert post(trusting, event).status_code == 503
        assert "database unavailable" in caplog.text
        assert post(trusting, event).status_code == 200
        assert post(trusting, event).status_code == 200
    finally:
        for app in (pinging, trusting, loaded_app):  # the fixture's own pooled connections were cut too
            app.extensions["line_sender"].drain(10)
            app.extensions["line_sender"].close()
            with app.app_context():
                db.engine.dispose()
    tokens = [call.body["replyToken"] for call in fake_line.calls(REPLY)]
    assert tokens.count(event["replyToken"]) == 1 and len(tokens) == 4  # 503'd once, answered once


def test_standby_events_are_deduped_but_not_answered(loaded_app, webhook, fake_line):
    # Another channel is active for this chat (a staff chat or a module): LINE says so with mode "standby".
    question, tap = events.text("給食費ってタダになるの？"), events.postback("a=menu")
    for event in (question, tap):
        event["mode"] = "standby"
        assert webhook([event]).status_code == 200
        assert webhook([event]).status_code == 200  # redelivered
    assert fake_line.calls(REPLY) == [] and fake_line.calls("/v2/bot/message/push") == []
    with loaded_app.app_context():
        claimed = set(db.session.scalars(select(ProcessedEvent.webhook_event_id)))
        assert claimed == {question["webhookEventId"], tap["webhookEventId"]}
        assert db.session.scalar(select(QuestionLog)) is None
    assert webhook([events.text("給食費ってタダになるの？")]).status_code == 200  # active again: answered
    assert len(fake_line.calls(REPLY)) == 1
    leaving = events.unfollow()
    leaving["mode"] = "standby"
    assert webhook([leaving]).status_code == 200  # blocking the account still ends the follow
    with loaded_app.app_context():
        assert db.session.scalar(select(Follower.status)) == "unfollowed"


def test_question_with_nul_characters_is_answered_and_stored_without_them(loaded_app, webhook, fake_line):
    assert webhook([events.text("給食費って\u0000タダになるの？\u0000")]).status_code == 200
    assert _reply_body(fake_line)["messages"][0]["type"] == "flex"
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert (row.text, row.entry_slug) == ("給食費ってタダになるの？", "school-lunch-free")


def test_lone_surrogates_from_json_escapes_are_dropped_and_answered(loaded_app, webhook, fake_line):
    event = events.text("給食費ってタダになるの？SURROGATE")
    raw = body_of([event]).replace(b"SURROGATE", b"\\ud800")  # JSON decodes this escape to a lone surrogate
    assert webhook(raw=raw, signature=sign(raw, SECRET)).status_code == 200
    assert _reply_body(fake_line)["messages"][0]["type"] == "flex"
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog.text)) == "給食費ってタダになるの？"


def _as_owner(app, statement: str) -> None:
    """Change a table as its owner: on PostgreSQL the app's role may not (DATABASE_MIGRATION_URL may)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    owner = app.config.get("DATABASE_MIGRATION_URL")
    if not owner:  # SQLite: one file, no roles
        with app.app_context():
            db.session.execute(text(statement))
            db.session.commit()
        return
    engine = create_engine(owner, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def test_a_failing_statement_logs_neither_the_user_id_nor_the_question(loaded_app, webhook, fake_line, caplog):
    question = "給食費について担当の方と相談したいです"
    table = QuestionLog.__tablename__
    caplog.set_level(logging.DEBUG)  # every logger, SQLAlchemy's engine and pool included
    _as_owner(loaded_app, f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        # SQLite calls a missing table an OperationalError (503, LINE redelivers), PostgreSQL a ProgrammingError.
        assert webhook([events.text(question)]).status_code in (200, 503)
    finally:
        _as_owner(loaded_app, f"ALTER TABLE {table}_away RENAME TO {table}")
    failures = [r for r in caplog.records if r.name == "bot.line.webhook" and r.levelno == logging.ERROR]
    assert failures and "Error" in failures[0].getMessage()  # the failure did happen, and was logged
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert events.USER not in logged
    assert question not in logged and "担当の方と相談" not in logged


def test_the_engine_hides_statement_parameters_on_every_backend(app):
    with app.app_context():
        assert db.engine.hide_parameters is True
