"""Booking public facilities from LINE (施設予約): the facilities and their units from the pack (facilities.yaml,
shipped empty), the resident's pages opened through a signed link, 「予約の確認」「予約の取消」 in LINE, the
reminder the day before (exactly once), and the staff's calendar, phone and counter bookings, closures and CSV."""
from __future__ import annotations

from flask import Flask

from bot.booking import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)


def init_app(app: Flask) -> None:
    """Add the resident's pages and the commands (the console pages hang on the console's blueprint)."""
    from bot.booking.cli import booking_cli
    from bot.booking.views import bp

    app.register_blueprint(bp)  # /booking…: opened from LINE through a signed link, no login
    app.cli.add_command(booking_cli)
