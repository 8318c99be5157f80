"""The staff console under /admin: entries, inbox, try-it, overview, import/export, users, audit."""
from __future__ import annotations

from flask import Flask

from bot.admin import labels as _labels  # noqa: F401  (registers the console's own Japanese names)
from bot.core.blueprint import bp


def init_app(app: Flask) -> None:
    """Register the console and its login handling on the app."""
    from bot.admin import auth  # noqa: F401  (user loader and unauthorized handler)
    from bot.core.labels import actor_label
    from bot.admin.views import (  # noqa: F401
        audit, overview, readiness, session,
    )
    from bot.extensions import login_manager
    from bot.forms import console as forms_console  # noqa: F401  (申込み)
    from bot.richmenu import console as richmenu_console  # noqa: F401  (リッチメニュー)
    from bot.inbox import console as inbox_console  # noqa: F401  (受信箱)
    from bot.knowledge import console as knowledge_console  # noqa: F401  (回答・カテゴリ・試す)
    from bot.offices import console as offices_console  # noqa: F401  (担当課)
    from bot.shelters import console as shelters_console  # noqa: F401  (避難所)
    from bot.town import console as town_console  # noqa: F401  (町の設定)
    from bot.staff import console as staff_console  # noqa: F401  (ユーザー)
    from bot.pack import console as pack_console  # noqa: F401  (取り込み・書き出し)
    from bot.kpi import console as kpi_console  # noqa: F401  (KPI)
    from bot.booking import console as booking_console  # noqa: F401  (施設予約)
    from bot.chat import console as chat_console  # noqa: F401  (窓口: オンライン窓口)

    # Who did something, as staff read it: a template global, so a feature's console need not import the labels.
    app.add_template_global(actor_label, "actor_label")

    login_manager.login_view = "admin.login"
    login_manager.login_message = "ログインしてください。"
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]
