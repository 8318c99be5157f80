"""Build absolute links to this service for LINE messages, feeds, QR codes and signage.

Links point into the current town: a town other than the deployment's default (DEFAULT_TOWN) lives under
`/<slug>/` (see docs/towns.md, "Paths"), so `base_url()` ends in the town's prefix and `absolute("/forms/x")` is
`https://host/<slug>/forms/x`. The default town keeps its unprefixed paths, as a single-town deployment always had.
"""
from __future__ import annotations

from flask import current_app, has_request_context, request, url_for

from bot.core.tenancy import TOWN_ENVIRON, current_ref, default_slug


def site_url() -> str:
    """Return the deployment's public root URL, ending in a slash: PUBLIC_BASE_URL, else (development) the request's
    host. The platform's own pages (the operator console) and a town's webhook address are built on it.

    Production refuses to start without PUBLIC_BASE_URL (bot/config.py), so no link there follows the Host header.
    """
    configured = current_app.config.get("PUBLIC_BASE_URL", "")
    if configured:
        return configured.rstrip("/") + "/"
    if has_request_context() and current_app.config.get("APP_ENV") != "production":
        return request.host_url  # development only: after ProxyFix, the host and scheme the resident used
    return "http://127.0.0.1:5000/"


def town_prefix() -> str:
    """Return the current town's path prefix ("/<slug>"), or "" for the default town and outside any town.

    A request keeps the prefix it came by (the default town reached as /default/… stays there)."""
    ref = current_ref()
    if ref is None:
        return ""
    if has_request_context() and request.environ.get(TOWN_ENVIRON) == ref.slug:
        return "/" + ref.slug
    return "" if ref.slug == default_slug() else "/" + ref.slug


def base_url() -> str:
    """Return the current town's public base URL, ending in a slash (site_url() plus the town's prefix)."""
    prefix = town_prefix()
    return site_url() + (prefix.lstrip("/") + "/" if prefix else "")


def absolute(path: str, base: str | None = None) -> str:
    """Return a path of the town's (starting with /, no prefix) as an absolute URL on base, or on base_url()."""
    return (base or base_url()).rstrip("/") + "/" + path.lstrip("/")


def external_url(endpoint: str, **values) -> str:
    """Return url_for(endpoint, **values) as an absolute URL on base_url() (never on the Host header)."""
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root + "/"):
        path = path[len(root):]  # url_for's path carries the request's prefix; base_url() has the town's own
    return absolute(path)
