"""One limiter for every door: counters in the service's own database, shared by all workers and processes.

Each hit is one atomic statement, `INSERT … ON CONFLICT DO UPDATE SET count = count + 1 WHERE count < budget
RETURNING count` (SQLite ≥ 3.35 and PostgreSQL), on its own connection and transaction: two workers, two servers
or a restart all see the same count, and concurrent hits never both take the last place. A refused hit is not
counted. Time is cut into steps aligned to Unix time (by default one step is the whole window); the steps that
reach back into the last `window` seconds are summed, the oldest weighted by how much of it still lies inside, so
the window slides. A row outlives its window by one step and is then deleted by a later hit.

Some doors count only what turns out badly (a login counts failures): `take` several limits at once, all or none,
before the work, and `give_back` what was taken when the work went well.

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
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.extensions import db
from bot.models import RateLimitCount
from bot.models.tenancy import current_town_id


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits per `window` seconds for each client of one door, counted in steps of `step` seconds."""

    door: str
    limit: int
    window: int
    step: int = 0  # 0: one step is the whole window (two fixed windows weighted); smaller: a finer sliding window

    def hit(self, client: str, now: float | None = None) -> bool:
        """Count one hit for client; return False when it goes over the limit."""
        return hit(self, client, now)


@dataclass(frozen=True)
class Taken:
    """The outcome of `take`: whether every hit was counted, where, and which hits took their door's last place."""

    ok: bool
    counted: tuple[tuple[str, int], ...] = ()  # (key, step start) of each counted hit, for `give_back`
    full: tuple[Limit, ...] = ()  # limits this hit filled: the next hit would be refused
    refused: Limit | None = None  # the first limit that refused (nothing was counted then)

    def __bool__(self) -> bool:
        return self.ok


def clock() -> float:
    """Return the time the limiter counts with (tests move it forward)."""
    return time.time()


def in_town(client: str) -> str:
    """Return the client as counted inside the current town (none: the platform's, e.g. the operator console).

    The table is the platform's: a client named by something a town owns (a staff e-mail, which two towns may both
    have) is counted per town, so one town's failures never pause another town's account. A client named by its
    address alone stays one budget across every town."""
    town_id = current_town_id()
    return client if town_id is None else f"town:{town_id}\x00{client}"


def key_for(door: str, client: str) -> str:
    """Return the stored key: the door in clear, the client as an HMAC under the app's secret."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(secret, f"{door}\x00{client}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{door[:30]}:{mac}"


def _insert(dialect: str):
    return (postgresql if dialect == "postgresql" else sqlite).insert(RateLimitCount)


def _step(limit: Limit, now: float) -> tuple[int, int, int]:
    """Return the window, the step and the start of the step now falls in (all whole seconds)."""
    window = max(1, int(limit.window))
    step = min(window, max(1, int(limit.step))) if limit.step else window
    return window, step, int(now) // step * step


def _budget(connection, key: str, limit: Limit, now: float) -> int:
    """Return how many hits the current step may hold: the limit less the earlier steps' still-recent share."""
    # A sliding window from fixed steps: an earlier step's hits count for the part of it that lies within
    # `window` seconds of now, so the count does not fall to zero at a step's edge.
    table = RateLimitCount.__table__
    window, step, start = _step(limit, now)
    rows = connection.execute(select(table.c.window_start, table.c.count).where(
        table.c.key == key, table.c.window_start < start, table.c.window_start > start - window - step)).all()
    edge = now - window
    share = sum(count * min(1.0, max(0.0, (begin + step - edge) / step)) for begin, count in rows)
    return limit.limit - math.ceil(share - 1e-9)


def _count(connection, key: str, limit: Limit, now: float) -> tuple[int, int] | None:
    """Count one hit in the current step unless it would go over; return (new count, places left), or None."""
    window, step, start = _step(limit, now)
    budget = _budget(connection, key, limit, now)
    if budget <= 0:
        return None
    table = RateLimitCount.__table__
    insert = _insert(connection.dialect.name).values(
        key=key, window_start=start, count=1, expires_at=datetime.fromtimestamp(start + window + step, timezone.utc))
    # One statement decides and counts: the row is locked (PostgreSQL) or the database is (SQLite) while
    # the WHERE reads the latest count, so concurrent hits can never both take the last place.
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key, table.c.window_start], set_={"count": table.c.count + 1},
        where=table.c.count < budget).returning(table.c.count)
    counted = connection.execute(statement).scalar()
    return None if counted is None else (counted, budget - counted)


class _Refused(Exception):
    def __init__(self, limit: Limit) -> None:
        self.limit = limit


def take(hits: list[tuple[Limit, str]], now: float | None = None) -> Taken:
    """Count one hit for each (limit, client) together, in one transaction: all of them, or none when one is full."""
    now = clock() if now is None else now
    keyed = sorted(((key_for(limit.door, client), limit) for limit, client in hits), key=lambda pair: pair[0])
    counted, full, new_step = [], [], False
    try:
        # Its own transaction, committed now whatever the request does next. The keys are taken in one order
        # (sorted), so two transactions on PostgreSQL never wait for each other's rows in a cycle.
        with db.engine.begin() as connection:
            for key, limit in keyed:
                result = _count(connection, key, limit, now)
                if result is None:
                    raise _Refused(limit)  # rolls back the hits already counted: a refused attempt counts nowhere
                counted.append((key, _step(limit, now)[2]))
                new_step = new_step or result[0] == 1
                if result[1] == 0:
                    full.append(limit)
    except _Refused as refused:
        return Taken(False, refused=refused.limit)
    if new_step:
        _purge(now)
    return Taken(True, tuple(counted), tuple(full))


def _purge(now: float) -> None:
    """Forget the steps that are over (an indexed range; usually a few rows), after the hits' own transaction."""
    table = RateLimitCount.__table__
    with db.engine.begin() as connection:
        connection.execute(delete(table).where(table.c.expires_at < datetime.fromtimestamp(now, timezone.utc)))


def give_back(taken: Taken) -> None:
    """Uncount the hits `take` counted, for work that turned out not to count (a login with the right password)."""
    table = RateLimitCount.__table__
    with db.engine.begin() as connection:
        for key, start in taken.counted:
            connection.execute(update(table).where(table.c.key == key, table.c.window_start == start,
                                                   table.c.count > 0).values(count=table.c.count - 1))


def hit(limit: Limit, client: str, now: float | None = None) -> bool:
    """Count one hit for client at limit's door; return False (and count nothing) when it would go over."""
    return take([(limit, client)], now).ok


def remaining(limit: Limit, client: str, now: float | None = None) -> int:
    """Return how many more hits client may make at the door now, without counting one."""
    now = clock() if now is None else now
    _, _, start = _step(limit, now)
    key = key_for(limit.door, client)
    table = RateLimitCount.__table__
    with db.engine.connect() as connection:
        current = connection.execute(select(table.c.count).where(
            table.c.key == key, table.c.window_start == start)).scalar() or 0
        return max(0, _budget(connection, key, limit, now) - current)
