"""Digital signage in public facilities: screen keys, the kiosk page, its console pages and commands."""
from __future__ import annotations

import os

from flask import Flask


def defaults_from_environment() -> dict:
    """Return the signage settings read from the environment."""
    env = os.environ.get
    return {
        # How often a screen asks for new content (and reports it is alive); a new notice shows within this.
        "SIGNAGE_POLL_SECONDS": int(env("SIGNAGE_POLL_SECONDS") or 10),
        # How long each notice stays on the screen before the next one.
        "SIGNAGE_ROTATE_SECONDS": int(env("SIGNAGE_ROTATE_SECONDS") or 12),
        # The QR code for notices without a link: the town's LINE account (https://line.me/R/ti/p/@…); empty: website.
        "LINE_ADD_FRIEND_URL": env("LINE_ADD_FRIEND_URL", ""),
    }


def init_app(app: Flask) -> None:
    """Add the signage settings (explicit values win), the kiosk pages, the console pages and the commands."""
    from bot.signage import console, views
    from bot.signage.cli import signage_cli
    from bot.signage.health import kpi

    for key, value in defaults_from_environment().items():
        app.config.setdefault(key, value)
    app.register_blueprint(views.bp)
    app.register_blueprint(console.bp)
    app.add_template_global(kpi, "signage_kpi")
    app.cli.add_command(signage_cli)
