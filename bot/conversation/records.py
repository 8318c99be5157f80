"""What one conversation turn writes, each as a single SQL statement: event claims, followers, question logs."""
from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, ContextManager, Iterator

from sqlalchemy import DateTime, bindparam, text

from bot.extensions import db
from bot.models import Follower, ProcessedEvent, QuestionLog, utcnow

# Every webhook runs these. They are Core statements, not ORM units of work: under load the webhook spent
# more CPU in the ORM's flush bookkeeping than in matching the question. The upserts are written as text
# because SQLAlchemy cannot cache the compiled form of its dialect-specific ON CONFLICT constructs and
# compiled them again on every call; PostgreSQL and SQLite (3.35+) both accept this exact SQL.
_AT = bindparam("at", type_=DateTime(timezone=True))

_CLAIM = text(
    f"INSERT INTO {ProcessedEvent.__tablename__} (webhook_event_id, event_type, received_at) "
    "VALUES (:event_id, :event_type, :at) ON CONFLICT (webhook_event_id) DO NOTHING RETURNING id"
).bindparams(_AT)

_TOUCH = text(
    f"INSERT INTO {Follower.__tablename__} (line_user_id, status, first_seen, last_seen) "
    "VALUES (:user_id, :status, :at, :at) "
    "ON CONFLICT (line_user_id) DO UPDATE SET status = excluded.status, last_seen = excluded.last_seen "
    "RETURNING id, status"
).bindparams(_AT)

_LOG = QuestionLog.__table__.insert().returning(QuestionLog.__table__.c.id)


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
    connection = db.session.connection()
    return _sqlite_turn(connection.engine.url.database) if connection.dialect.name == "sqlite" else nullcontext()


@dataclass(frozen=True)
class FollowerState:
    """The follower row a turn touched: its id and status."""

    id: int
    status: str


def claim_event(event_id: str, event_type: str) -> bool:
    """Record a webhook event id; False when another request already claimed it."""
    # ON CONFLICT DO NOTHING instead of catching IntegrityError: a duplicate neither raises nor aborts the
    # transaction, and on PostgreSQL a concurrent duplicate waits for the first claim to commit or roll back.
    params = {"event_id": event_id, "event_type": event_type[:40], "at": utcnow()}
    return db.session.execute(_CLAIM, params).first() is not None


def touch_follower(user_id: str, status: str = "active") -> FollowerState:
    """Create or refresh a follower; writing to us again means they follow (or unblocked) the account."""
    row = db.session.execute(_TOUCH, {"user_id": user_id, "status": status, "at": utcnow()}).one()
    return FollowerState(row.id, row.status)


def log_question(**values: Any) -> int:
    """Insert one question-log row and return its id."""
    return db.session.execute(_LOG, {"created_at": utcnow(), **values}).scalar_one()
