"""The console blueprint, shared by the view modules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint

# Japan has no daylight saving time; a fixed offset avoids needing tzdata on slim images.
JST = timezone(timedelta(hours=9), "JST")

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.after_request
def console_headers(response):
    """Add the console's caching, framing and script protections to a response."""
    # Console pages show unpublished answers and personal-ish questions: keep them out of shared caches.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
    return response


@bp.app_template_filter("local")
def local_time(value: datetime | None) -> str:
    """Show a stored time in Japan time (SQLite hands back naive UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M")


@bp.errorhandler(403)
def _forbidden(error):
    """Tell an editor plainly that the page is for administrators."""
    from flask import render_template

    return render_template("admin/forbidden.html"), 403
