"""Request body limits per door: the webhook, console forms and the import upload each have their own."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, request

View = TypeVar("View", bound=Callable)
# Every door that does not name its own limit: console forms, the simulator, public pages.
DEFAULT_SETTING = "MAX_FORM_BYTES"


def body_limit(setting: str) -> Callable[[View], View]:
    """Give a view its own request body limit, read from the named setting."""
    def decorate(view: View) -> View:
        view.body_limit_setting = setting  # type: ignore[attr-defined]
        return view
    return decorate


def init_app(app: Flask) -> None:
    """Set each request's body limit from its view before anything reads the body."""
    app.config["MAX_CONTENT_LENGTH"] = app.config[DEFAULT_SETTING]

    def apply_limit() -> None:
        view = app.view_functions.get(request.endpoint or "")
        setting = getattr(view, "body_limit_setting", None)
        if setting:
            request.max_content_length = app.config[setting]

    # First of all hooks: CSRF protection reads the form, and with it the body.
    app.before_request_funcs.setdefault(None, []).insert(0, apply_limit)


def limit_text(size: int | None) -> str:
    """Return a body limit as staff read it (20MB, 500KB)."""
    if not size:
        return "制限なし"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f}MB"
    return f"{max(1, size // 1024)}KB"
