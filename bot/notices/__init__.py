"""Notices to residents: topics, subscriptions, compose and approval, the outbox and its delivery worker."""
from __future__ import annotations

from flask import Flask

from bot.notices.settings import defaults_from_environment


def init_app(app: Flask) -> None:
    """Add the notice settings (test or explicitly configured values win), the console and the public pages."""
    from bot.notices.pages import bp as public_bp
    from bot.notices.views import bp

    for key, value in defaults_from_environment().items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)  # /notices and /notices.atom: public, no login
