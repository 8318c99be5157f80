"""Who is signed in to the console: the session loader (revocable, with time limits) and the login redirects.

Who may open which view is bot.core.access.requires(role)."""
from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import flash, jsonify, redirect, request, session, url_for
from flask_login import login_user

from bot.extensions import db, login_manager
from bot.core.access import wants_json
from bot.core.sessionclock import fresh_session, start_clocks, time_is_up
from bot.models import User

# Seconds since the epoch, signed into the session cookie with the rest of it.
LOGGED_IN_AT, SEEN_AT = "staff_login_at", "staff_seen_at"
ENDED_MESSAGES = {
    "revoked": "ログアウトしたか、パスワード・役割が変わったため、この画面のログインは終了しました。もう一度ログインしてください。",
    "idle": "しばらく操作がなかったため、ログアウトしました。もう一度ログインしてください。",
    "lifetime": "ログインしてから時間がたったため、ログアウトしました。もう一度ログインしてください。",
}


def start_session(user: User) -> None:
    """Log a user in on a fresh session and start the clocks of the idle timeout and the absolute lifetime."""
    # Nothing from before the login survives it: a cookie or CSRF secret planted by someone else (session
    # fixation) is worthless afterwards.
    fresh_session()
    login_user(user)
    start_clocks(LOGGED_IN_AT, SEEN_AT)


def _end(reason: str) -> None:
    for key in ("_user_id", "_fresh", "_id", LOGGED_IN_AT, SEEN_AT):
        session.pop(key, None)
    flash(ENDED_MESSAGES[reason], "error")


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    user_id, _, token = session_id.partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        user = None
    # Constant-time comparison; a cookie from before a logout, password or role change carries an old token.
    current = user.session_token if user is not None else ""
    if not (token and current and hmac.compare_digest(token.encode(), current.encode())) or not user.active:
        _end("revoked")
        return None
    ended = time_is_up(LOGGED_IN_AT, SEEN_AT)
    if ended:
        _end(ended)
        return None
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    # Scripts (live preview, fetch) get a status they can act on; people get the login page.
    if wants_json():
        return jsonify(error="Unauthorized", message="ログインしてください。"), 401
    return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))


def next_url(target: str | None, default: str) -> str:
    """Return where to go after logging in: a safe `next` path under this town's prefix, else default (a URL)."""
    target = safe_next(target, "")
    return request.script_root + target if target else default


def safe_next(target: str | None, default: str) -> str:
    """Return target if it is a path inside the console, else default (no open redirect)."""
    if not target:
        return default
    target = target.strip()
    # A line break or other control character would make the Location header invalid (and could split it).
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    # Browsers treat "\" like "/", so "/\evil.example" would leave the site.
    if parts.scheme or parts.netloc or "\\" in target or not target.startswith("/admin") or target.startswith("//"):
        return default
    return target
