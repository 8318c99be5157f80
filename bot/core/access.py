"""Who may open a staff view: one requires(role) decorator, used by the console shell and every feature's console.

It asks only the signed-in user (Flask-Login) and the user model, so every feature's `console.py` may use it
without importing the console door (bot.admin).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable, TypeVar

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_login import current_user

from bot.extensions import login_manager
from bot.models import User

F = TypeVar("F", bound=Callable)
# Pages a user whose password was set by someone else may still open (to change it, or to leave).
PASSWORD_CHANGE_ENDPOINTS = {"admin.account", "admin.logout"}


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _password_change_pending():
    """Send a user who still has a password set by someone else to the password-change page."""
    if not current_user.must_change_password or request.endpoint in PASSWORD_CHANGE_ENDPOINTS:
        return None
    message = "管理者が設定したパスワードのままです。続けるには、新しいパスワードに変更してください。"
    if wants_json():
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
    # Admins and 施設予約担当, who may see who booked a facility (names, phone numbers).
    "bookings": Role("bookings", lambda user: user.is_admin or user.handles_bookings, "bookings"),
    # Admins and 窓口担当, who read and answer residents' chats (オンライン窓口).
    "chat": Role("chat", lambda user: user.is_admin or user.handles_chat, "chat"),
}


def requires(role: str | Role) -> Callable[[F], F]:
    """Let only signed-in staff the role allows through: others get 403, anonymous users the login page.

    Every signed-in user whose password was set by someone else is sent to change it first. The wrapper's
    `access` names the role; the access walk (tests/admin/test_access.py) reads it for every /admin view.
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
bookings_required = requires("bookings")
chat_required = requires("chat")


def public(view: F) -> F:
    """Mark a console view as deliberately open (the login page)."""
    view.access = "public"  # type: ignore[attr-defined]
    return view
