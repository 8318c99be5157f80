"""Per-staff-member budgets on the console's busy or expensive doors, on the one shared limiter (bot/core/ratelimit.py).

Budgets are generous (a clerk at work never meets them); they stop a script, a stuck key or a stolen session from
hammering the inbox, the knowledge import or the bulk exports. A refused request does nothing and stores nothing:
the limiter counts only what it lets through, and the view does not run.
"""
from __future__ import annotations

import logging
from functools import wraps
from typing import Callable, TypeVar

from flask import current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from bot.core import ratelimit

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable)

WINDOW = 3600
STEP = 60  # counted in one-minute steps: places come back a minute at a time, an hour after they were used
# door -> (setting, what staff were doing (Japanese), the page to go back to)
DOORS = {
    "console_inbox": ("INBOX_ACTIONS_PER_HOUR", "未回答の質問の操作", "admin.inbox"),
    "console_import": ("KNOWLEDGE_IMPORTS_PER_HOUR", "回答データの取り込み（確認と反映）", "admin.transfer_page"),
    "console_export": ("CONSOLE_EXPORTS_PER_HOUR", "一覧のダウンロード（CSV・zip）", "admin.overview"),
}


def limit_for(door: str) -> ratelimit.Limit:
    """Return the door's limit from its setting."""
    return ratelimit.Limit(door, int(current_app.config[DOORS[door][0]]), WINDOW, STEP)


def limited(door: str) -> Callable[[F], F]:
    """Count each request to the view against the logged-in staff member's hourly budget for the door.

    Put it under the access decorator (staff_required, admin_required…): only staff who may use the view count.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            limit = limit_for(door)
            if not ratelimit.hit(limit, f"user:{current_user.id}"):
                log.warning("console limit reached: door=%s user_id=%s", door, current_user.id)
                return refused(door, limit)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def refused(door: str, limit: ratelimit.Limit):
    """Answer 429 in Japanese: what was refused, the budget, and that nothing was changed."""
    _, what, back = DOORS[door]
    message = (f"{what}は、1人1時間に{limit.limit}回までです。何も変更していません。"
               "しばらく待ってから、もう一度お試しください。")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error="Too Many Requests", message=message), 429
    return render_template("admin/limited.html", message=message, back=url_for(back)), 429
