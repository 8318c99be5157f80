"""The console blueprint, shared by the view modules."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint

from bot.models.timeutil import console_time
from bot.core.security import add_security_headers

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.after_request
def console_headers(response):
    """Keep console pages out of every cache, on top of the app-wide security headers."""
    # Console pages show unpublished answers and personal-ish questions: keep them out of shared caches
    # and off the disk of the browser, even on the shared computers of a city office.
    response.headers.setdefault("Cache-Control", "no-store")
    return add_security_headers(response)


@bp.app_template_filter("local")
def local_time(value: datetime | None) -> str:
    """Show a stored time in the town's time zone (TOWN_TIMEZONE, Asia/Tokyo)."""
    return console_time(value)


@bp.errorhandler(403)
def _forbidden(error):
    """Tell an editor plainly that the page is for administrators."""
    from flask import render_template

    return render_template("admin/forbidden.html"), 403
