"""App-wide request hygiene: security headers on every response, and no NUL characters in form input."""
from __future__ import annotations

from flask import Flask, Response, abort, current_app, request

# Pages load scripts, styles and images from this site only (the simulator and the console ship their own
# files under /static); no plugins, no <base> rewriting, forms post back here, and nobody may frame us.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# A year, sub-domains included: browsers that once saw the site over https never try plain http again.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """Add the app-wide security headers, keeping any a view or blueprint set on purpose."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    # Only production is served over https (behind the proxy); a development browser must not learn HSTS
    # for 127.0.0.1 or localhost and then refuse every other local http service for a year.
    if current_app.config["APP_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def refuse_nul_characters() -> None:
    """Answer 400 to a query string or form carrying NUL, which no field needs and PostgreSQL cannot hold."""
    if request.blueprint == "line":
        return  # the webhook verifies its signature on the raw body before it reads anything
    fields = list(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += request.form.items(multi=True)
    # Stored or even compared, a NUL makes PostgreSQL refuse the statement: a 500 instead of an answer.
    if any("\x00" in name or "\x00" in value for name, value in fields):
        abort(400, "入力に使えない文字（NUL 文字）が含まれています。入力し直してください。")


def init_app(app: Flask) -> None:
    """Check form input and send the security headers with every response, error pages included."""
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
