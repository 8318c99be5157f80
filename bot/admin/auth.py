"""Who may see the console: the session loader (revocable, with time limits) and one requires(role) decorator."""
from __future__ import annotations

import hmac
import time
from functools import wraps
from dataclasses import dataclass
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_user

from bot.extensions import db, login_manager
from bot.models import User

F = TypeVar("F", bound=Callable)
# Seconds since the epoch, signed into the session cookie with the rest of it.
LOGGED_IN_AT, SEEN_AT = "staff_login_at", "staff_seen_at"
# Refresh the last-seen time at most this often, so the cookie does not change on every request.
SEEN_RESOLUTION = 60
ENDED_MESSAGES = {
    "revoked": "ログアウトしたか、パスワード・役割が変わったため、この画面のログインは終了しました。もう一度ログインしてください。",
    "idle": "しばらく操作がなかったため、ログアウトしました。もう一度ログインしてください。",
    "lifetime": "ログインしてから時間がたったため、ログアウトしました。もう一度ログインしてください。",
}
# Pages a user whose password was set by someone else may still open (to change it, or to leave).
PASSWORD_CHANGE_ENDPOINTS = {"admin.account", "admin.logout"}


def start_session(user: User) -> None:
    """Log a user in on a fresh session and start the clocks of the idle timeout and the absolute lifetime."""
    # Nothing from before the login survives it: a cookie or CSRF secret planted by someone else (session
    # fixation) is worthless afterwards. Flask-WTF keeps its secret in the session under "csrf_token" and
    # caches the signed token of this request in g; both go, and the next form gets a new one.
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login_user(user)
    now = int(time.time())
    session[LOGGED_IN_AT] = session[SEEN_AT] = now


def renew_session(user: User) -> None:
    """Keep the current session after the user's token changed; its clocks run on."""
    login_user(user)


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
    now = int(time.time())
    config = current_app.config
    if now - session.get(LOGGED_IN_AT, 0) > config["SESSION_MAX_HOURS"] * 3600:
        _end("lifetime")
        return None
    seen = session.get(SEEN_AT, 0)
    if now - seen > config["SESSION_IDLE_MINUTES"] * 60:
        _end("idle")
        return None
    if now - seen >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return user


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@login_manager.unauthorized_handler
def _unauthorized():
    # Scripts (live preview, fetch) get a status they can act on; people get the login page.
    if _wants_json():
        return jsonify(error="Unauthorized", message="ログインしてください。"), 401
    return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))


def _password_change_pending():
    """Send a user who still has a password set by someone else to the password-change page."""
    if not current_user.must_change_password or request.endpoint in PASSWORD_CHANGE_ENDPOINTS:
        return None
    message = "管理者が設定したパスワードのままです。続けるには、新しいパスワードに変更してください。"
    if _wants_json():
        return jsonify(error="Forbidden", message=message), 403
    flash(message, "error")
    return redirect(url_for("admin.account"))


@dataclass(frozen=True)
class Role:
    """Who may open a console view: a test on the signed-in user, and the permission the 403 page names."""

    name: str
    allows: Callable[[User], bool]
    missing: str | None = None  # g.forbidden_for: the 403 page says which permission is missing


ROLES = {
    # Any signed-in staff member (editor or admin).
    "staff": Role("staff", lambda user: True),
    "admin": Role("admin", lambda user: user.is_admin),
    # Admins and 申込み担当, who may see residents' personal data.
    "applications": Role("applications", lambda user: user.is_admin or user.handles_applications, "applications"),
}


def requires(role: str | Role) -> Callable[[F], F]:
    """Let only signed-in staff the role allows through: others get 403, anonymous users the login page.

    Every signed-in user whose password was set by someone else is sent to change it first. The wrapper's
    `access` names the role; the access walk (tests/test_admin_access.py) reads it for every /admin view.
    """
    rule = ROLES[role] if isinstance(role, str) else role

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            pending = _password_change_pending()
            if pending is not None:
                return pending
            if not rule.allows(current_user):
                if rule.missing:
                    g.forbidden_for = rule.missing
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = rule.name  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# The names the views use: thin aliases of requires().
staff_required = requires("staff")
admin_required = requires("admin")
applications_required = requires("applications")


def public(view: F) -> F:
    """Mark a console view as deliberately open (the login page)."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


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
