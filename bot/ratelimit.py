"""One limiter for every door: counters in the service's own database, shared by all workers and processes.

Each hit is one atomic statement, `INSERT … ON CONFLICT DO UPDATE SET count = count + 1 WHERE count < budget
RETURNING count` (SQLite ≥ 3.35 and PostgreSQL), on its own connection and transaction: two workers, two servers
or a restart all see the same count, and concurrent hits never both take the last place. A refused hit is not
counted. Windows are aligned to Unix time and weighted into a sliding window; a row outlives its window by one
window and is then deleted by a later hit.

Keys never hold an address or an e-mail in clear: the client is hashed with HMAC-SHA256 under SECRET_KEY.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.extensions import db
from bot.models import RateLimitCount


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits per `window` seconds for each client of one door."""

    door: str
    limit: int
    window: int

    def hit(self, client: str, now: float | None = None) -> bool:
        """Count one hit for client; return False when it goes over the limit."""
        return hit(self, client, now)


def key_for(door: str, client: str) -> str:
    """Return the stored key: the door in clear, the client as an HMAC under the app's secret."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(secret, f"{door}\x00{client}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{door[:30]}:{mac}"


def _insert(dialect: str):
    return (postgresql if dialect == "postgresql" else sqlite).insert(RateLimitCount)


def _window(limit: Limit, now: float) -> tuple[int, int]:
    window = max(1, int(limit.window))
    return window, int(now) // window * window


def _budget(connection, key: str, limit: Limit, now: float) -> int:
    """Return how many hits the current window may hold: the limit less the last window's still-recent share."""
    # A sliding window from two fixed ones: the last window's hits still count for the part of it that lies
    # within `window` seconds of now, so the count does not fall to zero at a window's edge.
    table = RateLimitCount.__table__
    window, start = _window(limit, now)
    previous = connection.execute(select(table.c.count).where(
        table.c.key == key, table.c.window_start == start - window)).scalar() or 0
    return limit.limit - math.ceil(previous * (window - (now - start)) / window)


def hit(limit: Limit, client: str, now: float | None = None) -> bool:
    """Count one hit for client at limit's door; return False (and count nothing) when it would go over."""
    now = time.time() if now is None else now
    window, start = _window(limit, now)
    key = key_for(limit.door, client)
    table = RateLimitCount.__table__
    with db.engine.begin() as connection:  # its own transaction: committed now, whatever the request does next
        budget = _budget(connection, key, limit, now)
        if budget <= 0:
            return False
        insert = _insert(connection.dialect.name).values(
            key=key, window_start=start, count=1, expires_at=datetime.fromtimestamp(start + 2 * window, timezone.utc))
        # One statement decides and counts: the row is locked (PostgreSQL) or the database is (SQLite) while
        # the WHERE reads the latest count, so concurrent hits can never both take the last place.
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start], set_={"count": table.c.count + 1},
            where=table.c.count < budget).returning(table.c.count)
        counted = connection.execute(statement).scalar()
        if counted == 1:
            # A new window: forget the windows that are over (an indexed range; usually a few rows).
            connection.execute(delete(table).where(table.c.expires_at < datetime.fromtimestamp(now, timezone.utc)))
    return counted is not None


def remaining(limit: Limit, client: str, now: float | None = None) -> int:
    """Return how many more hits client may make at the door now, without counting one."""
    now = time.time() if now is None else now
    _, start = _window(limit, now)
    key = key_for(limit.door, client)
    table = RateLimitCount.__table__
    with db.engine.connect() as connection:
        current = connection.execute(select(table.c.count).where(
            table.c.key == key, table.c.window_start == start)).scalar() or 0
        return max(0, _budget(connection, key, limit, now) - current)
