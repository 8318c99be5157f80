"""The plan's KPIs (総合戦略のKPI): the pack's nine KPIs, the actual values staff enter (audited, with their history),
the two counted live (the supporters' club, signage facilities), the public board /kpi with its Atom feed, the
console page, the overview card, the signage panel and the CSV for the 推進会議."""
from __future__ import annotations

from flask import Flask

from bot.kpi import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)


def init_app(app: Flask) -> None:
    """Add the public board and its feed, and the commands (the console page hangs on the console's blueprint)."""
    from bot.kpi.cli import kpi_cli
    from bot.kpi.views import bp

    app.register_blueprint(bp)  # /kpi and /kpi.atom: public, no login
    app.cli.add_command(kpi_cli)
