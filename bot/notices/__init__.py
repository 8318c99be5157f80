"""Notices to residents: topics, subscriptions, compose and approval, the outbox and its delivery worker."""
from __future__ import annotations

from flask import Flask
from bot.notices import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)


def init_app(app: Flask) -> None:
    """Add the console and the public pages (the notice settings come from bot/config.py)."""
    from bot.notices.views import bp as public_bp
    from bot.notices.console import bp

    app.register_blueprint(bp)
    app.register_blueprint(public_bp)  # /notices and /notices.atom: public, no login
