"""Forms defined in the pack: the public pages residents fill in, their LINE links and the stored applications."""
from __future__ import annotations

from flask import Flask
from bot.forms import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)


def init_app(app: Flask) -> None:
    """Register the public form pages and their rate limits (the settings come from bot/config.py)."""
    from bot.extensions import csrf
    from bot.forms.views import bp
    from bot.core.ratelimit import Limit

    window = app.config["FORM_RATE_WINDOW_SECONDS"]
    app.extensions["form_limits"] = {
        "submit": Limit("form_submit", app.config["FORM_SUBMITS_PER_WINDOW"], window),
        "post": Limit("form_post", app.config["FORM_POSTS_PER_WINDOW"], window),
    }
    app.register_blueprint(bp)
    # The views check the CSRF token themselves, so a stale one re-shows the form with the input kept.
    csrf.exempt(bp)
