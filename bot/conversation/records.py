"""What one conversation turn writes, in as few SQL statements as the database allows."""
from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ContextManager, Iterator

from sqlalchemy import JSON, DateTime, bindparam, delete, select, text

from bot.extensions import db
from bot.followers import FollowerState, touch_follower
from bot.core.version import current_version
from bot.core.tenancy import execute_core
from bot.models.tenancy import require_town_id
from bot.conversation.simulated import purge as purge_simulated
from bot.models import (Follower, InboxResolution, KnowledgeVersion, NoticeOptOut, ProcessedEvent, QuestionLog,
                        Subscription, TopicOffer, utcnow)
from bot.notices.subscriptions import offer_once

# Every webhook runs these. They are Core statements, not ORM units of work: under load the webhook spent
# more CPU in the ORM's flush bookkeeping than in matching the question. The upserts are written as text
# because SQLAlchemy cannot cache the compiled form of its dialect-specific ON CONFLICT constructs and
# compiled them again on every call; PostgreSQL and SQLite (3.35+) both accept this exact SQL.
_AT = bindparam("at", type_=DateTime(timezone=True))

_CLAIM = text(
    f"INSERT INTO {ProcessedEvent.__tablename__} (town_id, webhook_event_id, event_type, received_at) "
    "VALUES (:town, :event_id, :event_type, :at) ON CONFLICT (town_id, webhook_event_id) DO NOTHING RETURNING id"
).bindparams(_AT)

_LOG = QuestionLog.__table__.insert().returning(QuestionLog.__table__.c.id)

# On PostgreSQL a question's whole turn is this one statement, gated on the knowledge version the answer
# was matched against and on the claim: each round trip to the server cost the worker more CPU than the
# statement cost the server. ON CONFLICT settles the races the NOT EXISTS checks cannot see (all
# sub-statements read one snapshot).
_LOG_COLUMNS = ("text", "user_hash", "channel", "outcome", "entry_slug", "score", "latency_ms", "candidates",
                "safety_flag", "safety_reply")
_JSON_COLUMNS = ("candidates", "safety_reply")
_QUESTION_TURN = text(f"""
WITH current AS (
    SELECT COALESCE((SELECT version FROM {KnowledgeVersion.__tablename__} WHERE town_id = :town), 0) AS version
), fresh AS (
    SELECT 1 AS ok FROM current WHERE CAST(:version AS INTEGER) IS NULL OR current.version = :version
), claim AS (
    INSERT INTO {ProcessedEvent.__tablename__} (town_id, webhook_event_id, event_type, received_at)
    SELECT :town, :event_id, :event_type, :at FROM fresh WHERE CAST(:event_id AS VARCHAR) IS NOT NULL
    ON CONFLICT (town_id, webhook_event_id) DO NOTHING RETURNING id
), go AS (
    SELECT 1 AS ok FROM claim UNION ALL SELECT 1 FROM fresh WHERE CAST(:event_id AS VARCHAR) IS NULL
), follower AS (
    INSERT INTO {Follower.__tablename__} (town_id, line_user_id, status, first_seen, last_seen)
    SELECT :town, :user_id, 'active', :at, :at FROM go WHERE CAST(:user_id AS VARCHAR) IS NOT NULL
    ON CONFLICT (town_id, line_user_id) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen
    RETURNING id, status
), logged AS (
    INSERT INTO {QuestionLog.__tablename__} (town_id, created_at, {", ".join(_LOG_COLUMNS)})
    SELECT :town, :at, {", ".join(f"CAST(:{c} AS JSON)" if c in _JSON_COLUMNS else ":" + c for c in _LOG_COLUMNS)}
    FROM go RETURNING id
), offered AS (
    INSERT INTO {TopicOffer.__tablename__} (town_id, follower_id, topic, offered_at)
    SELECT :town, f.id, :topic, :at FROM follower AS f
    WHERE CAST(:topic AS VARCHAR) IS NOT NULL AND f.status = 'active'
      AND NOT EXISTS (SELECT 1 FROM {TopicOffer.__tablename__} AS t WHERE t.follower_id = f.id AND t.topic = :topic)
      AND NOT EXISTS (SELECT 1 FROM {Subscription.__tablename__} AS s WHERE s.follower_id = f.id AND s.topic = :topic)
      AND NOT EXISTS (SELECT 1 FROM {NoticeOptOut.__tablename__} AS o WHERE o.follower_id = f.id)
    ON CONFLICT (town_id, follower_id, topic) DO NOTHING RETURNING id
)
SELECT (SELECT id FROM logged) AS log_id, (SELECT id FROM follower) AS follower_id,
       (SELECT status FROM follower) AS follower_status, EXISTS (SELECT 1 FROM offered) AS offered,
       (SELECT version FROM current) AS version
""").bindparams(_AT, bindparam("candidates", type_=JSON), bindparam("safety_reply", type_=JSON(none_as_null=True)))


# SQLite has one writer at a time, and a writer that finds the lock taken sleeps in growing steps (up to
# 100 ms) before it looks again: sixteen threads taking turns that way stretched p99 to seconds. Writers
# queue instead: threads of one process on a lock, processes on an flock() of a file beside the database,
# which wakes the next waiter as soon as the lock is free.
_SQLITE_WRITER = threading.Lock()
_lock_files: dict[tuple[int, str], int] = {}  # by (pid, path): a descriptor inherited over fork shares its lock


@contextmanager
def _sqlite_turn(database: str | None) -> Iterator[None]:
    with _SQLITE_WRITER:
        if not database or database == ":memory:":
            yield
            return
        key = (os.getpid(), database)
        fd = _lock_files.get(key)
        if fd is None:
            fd = _lock_files[key] = os.open(database + ".writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def one_writer() -> ContextManager:
    """Return a lock that lets one writer at a time into a SQLite database (a no-op on other databases)."""
    # Take a pooled connection before queueing, never while holding the turn: the writers queued behind
    # the holder each hold a connection, so a holder that asked the pool only then could wait for ever.
    if db.session.get_bind().dialect.name != "sqlite":
        return nullcontext()
    return _sqlite_turn(db.session.connection().engine.url.database)


class KnowledgeMoved(Exception):
    """The knowledge changed after a question was matched: match it again against the new version."""

    def __init__(self, version: int) -> None:
        super().__init__(f"knowledge is now at version {version}")
        self.version = version


@dataclass(frozen=True)
class Claim:
    """A webhook event to record as handled, so that its redelivery is skipped."""

    event_id: str
    event_type: str


@dataclass(frozen=True)
class QuestionRecord:
    """What recording a question wrote: its log row, the asker's follower row, and a first topic offer."""

    log_id: int
    follower: FollowerState | None
    offered: bool


def claim_event(event_id: str, event_type: str) -> bool:
    """Record a webhook event id; False when another request already claimed it."""
    # ON CONFLICT DO NOTHING instead of catching IntegrityError: a duplicate neither raises nor aborts the
    # transaction, and on PostgreSQL a concurrent duplicate waits for the first claim to commit or roll back.
    params = {"town": require_town_id(), "event_id": event_id, "event_type": event_type[:40], "at": utcnow()}
    return execute_core(_CLAIM, params).first() is not None


def record_standby(event_id: str, event_type: str) -> None:
    """Record a standby event (another channel answers the resident) as handled, in its own transaction."""
    with one_writer():
        claim_event(event_id, event_type)
        db.session.commit()


@dataclass(frozen=True)
class Purged:
    """What a retention purge deleted."""

    questions: int
    events: int
    residents: int


def purge_before(cutoff: datetime) -> Purged:
    """Delete question logs, webhook dedupe records and simulated residents older than a moment; commit."""
    # What staff did with a purged question goes with it (SQLite enforces no ON DELETE CASCADE): a 確認済み note
    # about a crisis message must not outlive the message.
    db.session.execute(delete(InboxResolution).where(InboxResolution.question_id.in_(
        select(QuestionLog.id).where(QuestionLog.created_at < cutoff))))
    questions = db.session.execute(delete(QuestionLog).where(QuestionLog.created_at < cutoff)).rowcount
    # Dedupe records only matter while LINE may redeliver; a day is plenty but they follow the same rule.
    events = db.session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)).rowcount
    residents = purge_simulated(cutoff)  # the simulator's and `ask --user`'s, with their settings
    db.session.commit()
    return Purged(questions, events, residents)


def log_question(**values: Any) -> int:
    """Insert one question-log row and return its id."""
    return execute_core(_LOG, {"created_at": utcnow(), **values}).scalar_one()


def record_question(claim: Claim | None, user_id: str | None, topic: str | None, *, version: int | None,
                    **log: Any) -> QuestionRecord | None:
    """Claim the event, touch the asker, log the question and offer the topic once; None when already claimed."""
    # Raises KnowledgeMoved, having written nothing, when the knowledge is no longer at `version`.
    if db.session.get_bind().dialect.name != "postgresql":
        return _record_step_by_step(claim, user_id, topic, version, log)
    # One transaction, not autocommit: row-level security reads the town from SET LOCAL, which lasts one transaction.
    params = {"town": require_town_id(), "event_id": claim.event_id if claim else None, "event_type": claim.event_type[:40] if claim else "",
              "user_id": user_id, "topic": topic, "version": version, "at": utcnow(),
              "safety_flag": None, "safety_reply": None, **log}
    row = execute_core(_QUESTION_TURN, params).one()
    if row.log_id is None:
        if version is not None and row.version != version:
            raise KnowledgeMoved(row.version)
        return None
    follower = FollowerState(row.follower_id, row.follower_status) if row.follower_id else None
    return QuestionRecord(row.log_id, follower, bool(row.offered))


def _record_step_by_step(claim: Claim | None, user_id: str | None, topic: str | None, version: int | None,
                         log: dict[str, Any]) -> QuestionRecord | None:
    # SQLite cannot write from a WITH clause, and its statements cost no round trip: one after another.
    if version is not None and (moved := current_version()) != version:
        raise KnowledgeMoved(moved)
    if claim and not claim_event(claim.event_id, claim.event_type):
        return None
    follower = touch_follower(user_id) if user_id else None
    log_id = log_question(**log)
    offered = bool(topic and follower and follower.status == "active" and offer_once(follower, topic))
    return QuestionRecord(log_id, follower, offered)
