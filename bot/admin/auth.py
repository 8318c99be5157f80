"""Who may see the console: the login loader and the staff/admin decorators."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import abort, jsonify, redirect, request, url_for
from flask_login import current_user

from bot.extensions import db, login_manager
from bot.models import User

F = TypeVar("F", bound=Callable)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except ValueError:
        return None


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@login_manager.unauthorized_handler
def _unauthorized():
    # Scripts (live preview, fetch) get a status they can act on; people get the login page.
    if _wants_json():
        return jsonify(error="Unauthorized", message="ログインしてください。"), 401
    return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))


def staff_required(view: F) -> F:
    """Let any logged-in staff member (editor or admin) through; others go to the login page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapper.access = "staff"  # read by the URL-map test: every /admin view must declare its access
    return wrapper  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Let only admins through; an editor gets 403 and anonymous users the login page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapper.access = "admin"
    return wrapper  # type: ignore[return-value]


def public(view: F) -> F:
    """Mark a console view as deliberately open (the login page)."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def safe_next(target: str | None, default: str) -> str:
    """Return target if it is a path inside the console, else default (no open redirect)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    # Browsers treat "\" like "/", so "/\evil.example" would leave the site.
    if parts.scheme or parts.netloc or "\\" in target or not target.startswith("/admin") or target.startswith("//"):
        return default
    return target
