"""The town machinery's cost on every message (issue 21): what the webhook's path skips, and that skipping it
weakens nothing (the ORM hook still filters every ORM statement; PostgreSQL's policies still apply)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from bot.core.tenancy import TownLRU, execute_core, use_town
from bot.extensions import db
from bot.models import Entry, Follower
from bot.models.tenancy import DEFAULT_TOWN_ID
from tests.support import events


def test_a_questions_core_statements_do_not_go_through_the_orm_execute_path(loaded_app, webhook):
    """Each Core statement through db.session.execute() builds an ORMExecuteState and calls the town hook, which
    leaves it alone: the webhook's own statements (claim, follower, version, log, topic offer) skip that."""
    states = []

    def seen(state):
        states.append((state.is_orm_statement, str(state.statement)))

    event.listen(Session, "do_orm_execute", seen)
    try:
        for question in ("給食費は無料ですか", "ごみの出し方を教えて"):
            assert webhook([events.text(question)]).status_code == 200
    finally:
        event.remove(Session, "do_orm_execute", seen)
    with loaded_app.app_context():
        assert db.session.scalar(select(Follower.id)) is not None  # the question did touch the follower
    assert [s for s in states if not s[0]] == []
    # Finding the request's town (the town directory, read afresh for this app's first request) is Core too.
    assert not [s for s in states if "WHERE towns.slug" in s[1]]


def test_execute_core_refuses_orm_statements(app):
    with app.app_context(), use_town(DEFAULT_TOWN_ID):
        for statement in (select(Entry), select(Entry.id), select(Entry.__table__.c.id).select_from(Entry)):
            with pytest.raises(TypeError):
                execute_core(statement)
        # A Core statement on a town table runs as it is (it names its town itself).
        table = Entry.__table__
        assert execute_core(select(table.c.id).where(table.c.town_id == DEFAULT_TOWN_ID).limit(1)).all() is not None


def test_execute_core_runs_in_the_sessions_transaction_with_the_town_set(app):
    """Same connection and transaction as db.session: a row the session flushed is visible, and on PostgreSQL the
    transaction carries the current town for the row-level policies (set when execute_core begins it too)."""
    with app.app_context():
        with use_town(DEFAULT_TOWN_ID):
            db.session.add(Follower(line_user_id="U" + "7" * 32, status="active"))
            db.session.flush()
            found = execute_core(text("SELECT count(*) FROM followers WHERE line_user_id = :u"),
                                 {"u": "U" + "7" * 32}).scalar()
            assert found == 1
            db.session.rollback()
        if app.config["BACKEND"] == "postgresql":
            with use_town(DEFAULT_TOWN_ID):
                town = execute_core(text("SELECT current_setting('app.town_id', true)")).scalar()
            db.session.rollback()
            assert town == str(DEFAULT_TOWN_ID)


def test_a_town_cache_hit_takes_no_lock():
    """Every message reads several per-town caches: a hit must not wait for the lock (a miss still does)."""
    lru = TownLRU(2)
    made = []
    first = lru.get(1, lambda: made.append(1) or "one")
    got = []
    with lru.lock:  # another thread filling a cache, say
        reader = threading.Thread(target=lambda: got.append(lru.get(1, lambda: made.append(2) or "other")))
        reader.start()
        reader.join(2)
        assert got == [first] and not reader.is_alive()
        # A miss waits for the lock, so that two threads never both make a town's object.
        writer = threading.Thread(target=lambda: got.append(lru.get(3, lambda: made.append(3) or "three")))
        writer.start()
        writer.join(0.2)
        assert writer.is_alive()
    writer.join(2)
    assert got == ["one", "three"] and made == [1, 3]
    assert list(lru.items) == [1, 3]  # bounded, least recently used first


def test_a_town_cache_hit_keeps_the_least_recently_used_order():
    lru = TownLRU(2)
    lru.get(1, lambda: "one")
    lru.get(2, lambda: "two")
    lru.get(1, lambda: "unused")  # a hit: town 1 becomes the most recent
    lru.get(3, lambda: "three")  # drops town 2, the least recently used
    assert list(lru.items) == [1, 3]


def test_a_town_cache_is_kept_per_town_and_needs_a_town(app, no_default_town):
    from bot.core.tenancy import NoTownSelected, town_cache
    from bot.towns.store import create_town

    with app.app_context():
        other = create_town("biei", "美瑛町", actor="test", channel_secret="s", access_token="t").id
        with use_town(DEFAULT_TOWN_ID):
            mine = town_cache("test_kind", dict)
            assert town_cache("test_kind", dict) is mine
        with use_town(other):
            theirs = town_cache("test_kind", dict)
        assert theirs is not mine
        with use_town(DEFAULT_TOWN_ID):
            assert town_cache("test_kind", dict, app) is mine
        with pytest.raises(NoTownSelected):
            town_cache("test_kind", dict)  # outside any town: fails closed
        db.session.rollback()
