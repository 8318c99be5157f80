"""Request body limits per door: the webhook, console forms and the import upload each have their own."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

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
        _refuse_long_chunked_body()

    # First of all hooks: CSRF protection reads the form, and with it the body.
    app.before_request_funcs.setdefault(None, []).insert(0, apply_limit)


def _refuse_long_chunked_body() -> None:
    """Answer 413 to a chunked body (no Content-Length) that reaches the limit, rather than cutting it short."""
    # Werkzeug reads a chunked body only up to max_content_length and stops there without an error, so a
    # view would get a truncated body (the webhook then failed its signature check with 400). Reading it
    # here, cached for the form parser and the views, shows whether it reached the limit.
    if request.content_length is not None or "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    if request.max_content_length is None:
        return
    request.get_data(cache=True)
    stream = request.stream
    if getattr(stream, "is_exhausted", False):
        raise RequestEntityTooLarge()


def limit_text(size: int | None) -> str:
    """Return a body limit as staff read it (20MB, 500KB)."""
    if not size:
        return "制限なし"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f}MB"
    return f"{max(1, size // 1024)}KB"
