"""Check pooled PostgreSQL connections that sat idle, instead of pinging on every checkout."""
from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection before use only when it has been idle in the pool for idle_seconds or more."""
    # pool_pre_ping costs a round trip per checkout, and under load that was half of a question's round trips
    # to PostgreSQL. A connection handed back moments ago was working moments ago; one that sat idle may have
    # been cut by a restart, a failover or a proxy's idle timeout. A connection that breaks while busy fails
    # its request with a 503 (LINE redelivers), and SQLAlchemy then replaces the whole pool.

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out (or opens) another.
            raise exc.DisconnectionError(f"idle connection is gone: {error}") from error
