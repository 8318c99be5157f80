"""Forms defined in the pack: the public pages residents fill in, their LINE links and the stored applications."""
from __future__ import annotations

import os

from flask import Flask


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def init_app(app: Flask) -> None:
    """Register the public form pages and the forms' settings."""
    from bot.extensions import csrf
    from bot.forms.views import bp
    from bot.ratelimit import Limit

    # Defaults here, not in bot/config.py: the settings belong to this room; the environment still wins.
    for name, default in (("FORM_LINK_MAX_AGE", 3600), ("FORM_DRAFT_MAX_AGE", 2 * 3600),
                          ("FORM_WITHDRAW_MAX_AGE", 400 * 24 * 3600), ("FORM_SUBMITS_PER_WINDOW", 10),
                          ("FORM_POSTS_PER_WINDOW", 60), ("FORM_RATE_WINDOW_SECONDS", 600),
                          ("MAX_PUBLIC_FORM_BYTES", 256 * 1024)):
        app.config.setdefault(name, _int(name, default))
    window = app.config["FORM_RATE_WINDOW_SECONDS"]
    app.extensions["form_limits"] = {
        "submit": Limit("form_submit", app.config["FORM_SUBMITS_PER_WINDOW"], window),
        "post": Limit("form_post", app.config["FORM_POSTS_PER_WINDOW"], window),
    }
    app.register_blueprint(bp)
    # The views check the CSRF token themselves, so a stale one re-shows the form with the input kept.
    csrf.exempt(bp)
