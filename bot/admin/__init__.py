"""The staff console under /admin: entries, inbox, try-it, overview, import/export, users, audit."""
from __future__ import annotations

from flask import Flask

from bot.core.blueprint import bp


def init_app(app: Flask) -> None:
    """Register the console and its login handling on the app."""
    from bot.admin import auth  # noqa: F401  (user loader and unauthorized handler)
    from bot.admin.views import (  # noqa: F401
        audit, overview, readiness, richmenu, session, town, transfer, users,
    )
    from bot.admin.views import richmenu_publish  # noqa: F401
    from bot.extensions import login_manager
    from bot.forms import console as forms_console  # noqa: F401  (申込み)
    from bot.inbox import console as inbox_console  # noqa: F401  (受信箱)
    from bot.knowledge import console as knowledge_console  # noqa: F401  (回答・カテゴリ・試す)
    from bot.offices import console as offices_console  # noqa: F401  (担当課)
    from bot.shelters import console as shelters_console  # noqa: F401  (避難所)

    login_manager.login_view = "admin.login"
    login_manager.login_message = "ログインしてください。"
    login_manager.session_protection = "strong"
    app.register_blueprint(bp)


__all__ = ["bp", "init_app"]
