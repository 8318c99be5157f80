"""The kiosk doors: /signage/<key> (the page) and /signage/<key>/content (its updates and heartbeat)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for

from bot.models import Screen, utcnow
from bot.core.security import add_security_headers
from bot.signage import content, health, keys

bp = Blueprint("signage", __name__, url_prefix="/signage")


@bp.after_request
def _kiosk_headers(response):
    """Keep the key's pages out of shared caches and search engines (the app-wide referrer policy is same-origin)."""
    response.headers.setdefault("Cache-Control", "no-cache, private")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return add_security_headers(response)


# The kiosk's key leaves the address bar (and every access log) after its first request: it becomes this cookie,
# sent only to /signage (of its town: /<slug>/signage), never to scripts, and kept across restarts of the kiosk's browser.
COOKIE = "signage_key"
COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers keep a cookie at most 400 days; each page load renews it


def _screen_or_404(key: str) -> Screen:
    screen = keys.live_screen(key)
    if screen is None:
        abort(404)  # the same plain 404 as any unknown path: nothing says whether a screen existed
    return screen


def _render(screen: Screen, content_url: str):
    now = utcnow()
    health.heartbeat(screen, now)
    data = content.payload(screen, now)
    return render_template("signage/screen.html", data=data, clock=content.clock_text(now),
                           content_url=content_url, etag=content.etag(data))


def _poll(screen: Screen):
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


def _remember(response, key: str):
    secure = request.is_secure or current_app.config.get("APP_ENV") == "production"
    response.set_cookie(COOKIE, key, max_age=COOKIE_MAX_AGE, path=request.script_root + bp.url_prefix, secure=secure, httponly=True,
                        samesite="Lax")
    return response


@bp.get("/")
def screen():
    """Show the kiosk page for the screen whose key the cookie holds (the clean address after the first visit)."""
    key = request.cookies.get(COOKIE, "")
    return _remember(current_app.make_response(_render(_screen_or_404(key), url_for("signage.screen_content"))), key)


@bp.get("/content")
def screen_content():
    """Return the cookie's screen content as JSON (304 when unchanged); the same request is its heartbeat."""
    return _poll(_screen_or_404(request.cookies.get(COOKIE, "")))


@bp.get("/<key>")
def page(key: str):
    """Trade the key in the address for a cookie and move to the clean address, so the key leaves the logs."""
    _screen_or_404(key)
    return _remember(redirect(url_for("signage.screen"), 303), key)


@bp.get("/<key>/content")
def poll(key: str):
    """Return the screen's content as JSON (304 when unchanged): kiosks that loaded the page before the cookie."""
    return _poll(_screen_or_404(key))
