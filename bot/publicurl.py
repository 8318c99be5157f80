"""Build absolute links to this service for LINE messages, feeds and signage."""
from __future__ import annotations

from flask import current_app, has_request_context, request


def base_url() -> str:
    """Return the service's public base URL, ending in a slash: PUBLIC_BASE_URL, else (development) the request's host.

    Production refuses to start without PUBLIC_BASE_URL (bot/config.py), so no link there follows the Host header.
    """
    configured = current_app.config.get("PUBLIC_BASE_URL", "")
    if configured:
        return configured.rstrip("/") + "/"
    if has_request_context() and current_app.config.get("APP_ENV") != "production":
        return request.host_url  # development only: after ProxyFix, the host and scheme the resident used
    return "http://127.0.0.1:5000/"


def absolute(path: str, base: str | None = None) -> str:
    """Return path (starting with /) as an absolute URL on base, or on base_url()."""
    return (base or base_url()).rstrip("/") + "/" + path.lstrip("/")
