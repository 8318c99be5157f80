"""A console session's two clocks, kept in the signed session cookie: the idle timeout and the absolute lifetime
(SESSION_IDLE_MINUTES, SESSION_MAX_HOURS). The staff console and the operator console both keep them."""
from __future__ import annotations

import time

from flask import current_app, g, session

# Refresh the last-seen time at most this often, so the cookie does not change on every request.
SEEN_RESOLUTION = 60


def fresh_session() -> None:
    """Drop everything from before a login (a planted cookie or CSRF secret: session fixation)."""
    # Flask-WTF keeps its secret in the session under "csrf_token" and caches the signed token of this request
    # in g; both go, and the next form gets a new one.
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def start_clocks(logged_in_at: str, seen_at: str) -> None:
    """Start both clocks now (at a login)."""
    session[logged_in_at] = session[seen_at] = int(time.time())


def time_is_up(logged_in_at: str, seen_at: str) -> str | None:
    """Return "lifetime" or "idle" when the session has run out, else note that it was seen and return None."""
    now, config = int(time.time()), current_app.config
    if now - session.get(logged_in_at, 0) > config["SESSION_MAX_HOURS"] * 3600:
        return "lifetime"
    seen = session.get(seen_at, 0)
    if now - seen > config["SESSION_IDLE_MINUTES"] * 60:
        return "idle"
    if now - seen >= SEEN_RESOLUTION:
        session[seen_at] = now
    return None
