"""Digital signage in public facilities: screen keys, the kiosk page, its console pages and commands."""
from __future__ import annotations

from flask import Flask
from bot.signage import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)


def init_app(app: Flask) -> None:
    """Add the kiosk pages, the console pages and the commands (the settings come from bot/config.py)."""
    from bot.signage import console, views
    from bot.signage.cli import signage_cli
    from bot.signage.health import kpi

    app.register_blueprint(views.bp)
    app.register_blueprint(console.bp)
    app.add_template_global(kpi, "signage_kpi")
    app.cli.add_command(signage_cli)
