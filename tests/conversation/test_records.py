"""The single-statement writes of a conversation turn, on both databases."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from bot import followers
from bot.conversation import records
from bot.extensions import db
from bot.models import Follower, ProcessedEvent, QuestionLog, TopicOffer
from bot.notices import subscriptions


def test_an_event_is_claimed_once(app):
    with app.app_context():
        assert records.claim_event("01EVENT", "message") is True
        db.session.commit()
        assert records.claim_event("01EVENT", "message") is False
        # A refused claim leaves the transaction usable: no IntegrityError, nothing to roll back.
        assert records.claim_event("01OTHER", "postback") is True
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2


def test_touching_a_follower_creates_then_refreshes_the_same_row(app):
    with app.app_context():
        first = followers.touch_follower("U1")
        db.session.commit()
        db.session.execute(Follower.__table__.update().values(status="unfollowed"))
        db.session.commit()
        again = followers.touch_follower("U1")
        db.session.commit()
        assert again == followers.FollowerState(first.id, "active")
        row = db.session.get(Follower, first.id)
        assert row.status == "active" and row.last_seen >= row.first_seen
        assert db.session.scalar(select(func.count()).select_from(Follower)) == 1


def test_question_log_insert_returns_its_id_with_defaults(app):
    with app.app_context():
        log_id = records.log_question(text="給食費", user_hash="h", channel="line", outcome="answer",
                                      entry_slug="school-lunch-free", score=0.9, candidates=[], latency_ms=3)
        db.session.commit()
        row = db.session.get(QuestionLog, log_id)
        assert row.text == "給食費" and row.created_at is not None and row.feedback is None


def test_a_topic_is_offered_once_and_never_to_subscribers_or_opted_out(app):
    with app.app_context():
        one, two, three = (followers.touch_follower(u) for u in ("U1", "U2", "U3"))
        assert subscriptions.offer_once(one, "kosodate") is True
        assert subscriptions.offer_once(one, "kosodate") is False
        subscriptions.subscribe(db.session.get(Follower, two.id), "kosodate")
        assert subscriptions.offer_once(two, "kosodate") is False
        subscriptions.set_general(db.session.get(Follower, three.id), False)
        assert subscriptions.offer_once(three, "kosodate") is False
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(TopicOffer)) == 1


def _question(**kw):
    log = dict(text="給食費", user_hash="h", channel="line", outcome="answer", entry_slug="school-lunch-free",
               score=0.9, candidates=[{"slug": "school-lunch-free", "score": 0.9}], latency_ms=3)
    return {**log, **kw}


def test_recording_a_question_claims_touches_logs_and_offers_once(app):
    with app.app_context():
        first = records.record_question(records.Claim("01Q1", "message"), "U1", "kosodate", version=None, **_question())
        db.session.commit()
        assert first.offered is True and first.follower.status == "active"
        row = db.session.get(QuestionLog, first.log_id)
        assert row.text == "給食費" and row.candidates == [{"slug": "school-lunch-free", "score": 0.9}]
        # The redelivery writes nothing: no second log row, no follower touch, no offer.
        assert records.record_question(records.Claim("01Q1", "message"), "U1", "kosodate", version=None, **_question()) is None
        db.session.rollback()
        again = records.record_question(records.Claim("01Q2", "message"), "U1", "kosodate", version=None, **_question())
        db.session.commit()
        assert again.offered is False and again.follower == first.follower and again.log_id != first.log_id
        assert db.session.scalar(select(func.count()).select_from(QuestionLog)) == 2
        assert db.session.scalar(select(func.count()).select_from(TopicOffer)) == 1
        # On PostgreSQL the turn ran in autocommit; the pooled connection must not stay that way.
        assert getattr(db.session.connection().connection.driver_connection, "autocommit", False) is False


def test_recording_a_question_never_offers_to_subscribers_or_opted_out_and_keeps_no_one_unknown(app):
    with app.app_context():
        two, three = followers.touch_follower("U2"), followers.touch_follower("U3")
        subscriptions.subscribe(db.session.get(Follower, two.id), "kosodate")
        subscriptions.set_general(db.session.get(Follower, three.id), False)
        db.session.commit()
        for n, user in enumerate(("U2", "U3")):
            record = records.record_question(records.Claim(f"01R{n}", "message"), user, "kosodate", version=None, **_question())
            assert record.offered is False
        # No user (the simulator, a group) and no event id (the simulator): logged, nobody kept.
        anonymous = records.record_question(None, None, "kosodate", version=None, **_question(channel="simulator"))
        db.session.commit()
        assert anonymous.follower is None and anonymous.offered is False
        assert db.session.get(QuestionLog, anonymous.log_id).channel == "simulator"
        assert db.session.scalar(select(func.count()).select_from(TopicOffer)) == 0
        assert db.session.scalar(select(func.count()).select_from(Follower)) == 2


def test_one_writer_queues_sqlite_writers_across_processes(app):
    """A second process waits for the first one's write turn instead of polling SQLite's lock."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    with app.app_context():
        if app.config["BACKEND"] != "sqlite":
            from contextlib import nullcontext

            assert isinstance(records.one_writer(), nullcontext)  # PostgreSQL locks rows, not the database
            return
        database = db.session.get_bind().url.database
        waiter = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); t = time.monotonic(); "
                  "fcntl.flock(fd, fcntl.LOCK_EX); print(round(time.monotonic() - t, 2))")
        with records.one_writer():
            lock_file = Path(database + ".writer-lock")
            assert lock_file.exists()
            other = subprocess.Popen([sys.executable, "-c", waiter, str(lock_file)], stdout=subprocess.PIPE, text=True)
            time.sleep(0.5)
            assert other.poll() is None, "the other process got the write turn while this one held it"
        waited = float(other.communicate(timeout=10)[0])
        assert waited >= 0.4


def test_recording_against_a_moved_knowledge_version_writes_nothing(loaded_app):
    from bot.core.version import bump_version, current_version

    with loaded_app.app_context():
        version = current_version()
        bump_version()
        db.session.commit()
        try:
            records.record_question(records.Claim("01M1", "message"), "U1", "kosodate", version=version, **_question())
        except records.KnowledgeMoved as moved:
            assert moved.version == version + 1
        else:
            raise AssertionError("a question matched against an old version was recorded")
        db.session.rollback()
        for table in (ProcessedEvent, QuestionLog, Follower, TopicOffer):
            assert db.session.scalar(select(func.count()).select_from(table)) == 0, table.__tablename__
        # At the current version, the same event records normally.
        assert records.record_question(records.Claim("01M1", "message"), "U1", None, version=version + 1,
                                       **_question()) is not None


def test_a_question_costs_the_town_and_one_statement_on_postgresql(loaded_app, webhook, fake_line):
    """Guard the webhook's hot path: round trips to PostgreSQL cost more CPU than the statements themselves."""
    from sqlalchemy import event

    from tests.support import events

    webhook([events.text("産後ケアを使いたい", user="U" + "1" * 32)])  # builds this process's index
    statements: list[str] = []
    with loaded_app.app_context():
        engine = db.engine

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0] if "set_config('app.town_id'" not in statement else "SET TOWN")

    event.listen(engine, "before_cursor_execute", seen)
    try:
        webhook([events.text("給食費ってタダになるの？", user="U" + "2" * 32)])  # a new follower, offered a topic
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    reply = fake_line.calls("/v2/bot/message/reply")[-1].body
    assert "このテーマのお知らせを受け取る" in json.dumps(reply, ensure_ascii=False)  # the offer went out too
    if loaded_app.config["BACKEND"] == "postgresql":
        # The town for row-level security (SET LOCAL, one transaction), then the whole turn in one statement:
        # no version check or COMMIT of its own (psycopg's BEGIN and COMMIT are not cursor statements).
        assert statements == ["SET TOWN", "WITH"], statements
    else:
        # SQLite: the version check, claim, follower, log, offer check and offer, in process, no round trips.
        assert statements == ["SELECT", "INSERT", "INSERT", "INSERT", "SELECT", "INSERT"], statements
