"""The kiosk doors: /signage/<key> (the page) and /signage/<key>/content (its updates and heartbeat)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from bot.models import Screen, utcnow
from bot.security import add_security_headers
from bot.signage import content, health, keys

bp = Blueprint("signage", __name__, url_prefix="/signage")


@bp.after_request
def _kiosk_headers(response):
    """Keep the key's pages out of shared caches and search engines (the app-wide referrer policy is same-origin)."""
    response.headers.setdefault("Cache-Control", "no-cache, private")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return add_security_headers(response)


def _screen_or_404(key: str) -> Screen:
    screen = keys.live_screen(key)
    if screen is None:
        abort(404)  # the same plain 404 as any unknown path: nothing says whether a screen existed
    return screen


@bp.get("/<key>")
def page(key: str):
    """Show the kiosk page, rendered with the current notices so it works before its script runs."""
    screen = _screen_or_404(key)
    now = utcnow()
    health.heartbeat(screen, now)
    data = content.payload(screen, now)
    return render_template("signage/screen.html", data=data, clock=content.clock_text(now),
                           content_url=request.path + "/content", etag=content.etag(data))


@bp.get("/<key>/content")
def poll(key: str):
    """Return the screen's content as JSON (304 when unchanged); the same request is its heartbeat."""
    screen = _screen_or_404(key)
    now = utcnow()
    health.heartbeat(screen, now)
    data = content.payload(screen, now)
    tag = content.etag(data)
    if request.if_none_match.contains(tag):
        response = current_app.response_class(status=304)
    else:
        response = jsonify(data)
    response.set_etag(tag)
    return response
