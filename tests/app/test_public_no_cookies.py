"""Public pages set no cookie, whatever their status (issue 19 A11): 200, 304, 400, 404, 405, 413, 429."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.extensions import db
from bot.models import Notice, utcnow
from bot.signage import facilities
from tests.support.console import ADMIN


@pytest.fixture
def web(app):
    app.config.update(PUBLIC_BASE_URL="https://bot.example.jp/", WTF_CSRF_ENABLED=True)
    return app


def _notice(app, title: str, status: str) -> int:
    with app.app_context():
        notice = Notice(title=title, body=f"{title}の本文です。", status=status, channels=["web", "signage"],
                        signage_facility_ids=[], created_by="author@example.jp", approved_by="approver@example.jp",
                        requested_at=utcnow() - timedelta(minutes=5), approved_at=utcnow() - timedelta(minutes=1),
                        display_until=utcnow() + timedelta(days=3))
        db.session.add(notice)
        db.session.commit()
        return notice.id


def _screen_key(app) -> str:
    with app.app_context():
        found = facilities.by_name("芦別市役所") or facilities.create("芦別市役所", "北1条東1丁目", by=ADMIN)
        _, key = facilities.add_screen(found, "1階ロビー", by=ADMIN)
        db.session.commit()
        return key


def _no_cookie(response, what: str) -> None:
    cookies = response.headers.getlist("Set-Cookie")
    assert not cookies, f"{what} ({response.status_code}) set a cookie: {cookies}"


def test_public_pages_set_no_cookie_whatever_their_status(web):
    live, draft = _notice(web, "公開中のお知らせ", "sent"), _notice(web, "下書きのお知らせ", "draft")
    key = _screen_key(web)
    seen: dict[str, set[int]] = {}

    def check(method: str, path: str, **kw) -> object:
        client = web.test_client()  # a fresh browser each time: no cookie to send back, none to receive
        response = client.open(path, method=method, **kw)
        assert response.status_code < 500, (path, response.status_code)
        _no_cookie(response, f"{method} {path}")
        seen.setdefault(path, set()).add(response.status_code)
        return response

    page = check("GET", f"/notices/{live}")
    check("GET", f"/notices/{live}", headers={"If-None-Match": page.headers.get("ETag", "")})
    check("GET", f"/notices/{draft}")  # a draft: the same 404 as any unknown notice
    check("GET", "/notices/99999999")
    check("GET", "/notices/abc")
    feed = check("GET", "/notices.atom")
    check("GET", "/notices.atom", headers={"If-None-Match": feed.headers.get("ETag", "")})
    check("GET", "/notices")
    check("POST", "/notices")  # 405
    # A screen's first visit trades its key for the signage_key cookie (the key stays out of logged URLs, issue 19
    # A8): that one device credential, scoped to /signage, is the only cookie a public door may set; no session.
    first = web.test_client().get(f"/signage/{key}")
    assert first.status_code == 303
    assert [c.split("=", 1)[0] for c in first.headers.getlist("Set-Cookie")] == ["signage_key"]
    assert "Path=/signage" in first.headers["Set-Cookie"] and "HttpOnly" in first.headers["Set-Cookie"]
    content = check("GET", f"/signage/{key}/content")
    check("GET", f"/signage/{key}/content", headers={"If-None-Match": content.headers.get("ETag", "")})
    check("GET", "/signage/unknown-key-" + "x" * 20)
    check("GET", "/signage/unknown-key-" + "x" * 20 + "/content")
    check("GET", "/forms/no-such-form")
    check("GET", "/forms/no-such-form/withdraw")
    check("POST", "/forms/no-such-form", data={"a": "b"})
    check("POST", "/forms/no-such-form", data="x" * (web.config["MAX_PUBLIC_FORM_BYTES"] + 10),
          content_type="application/x-www-form-urlencoded")  # 413
    board = check("GET", "/kpi")
    check("GET", "/kpi", headers={"If-None-Match": board.headers.get("ETag", "")})
    kpi_feed = check("GET", "/kpi.atom")
    check("GET", "/kpi.atom", headers={"If-None-Match": kpi_feed.headers.get("ETag", "")})
    check("POST", "/kpi")  # 405
    # 施設予約 without a LINE link: the page says to open it from LINE and sets no cookie (only a link sets one).
    check("GET", "/booking")
    check("GET", "/booking/no-such-facility")
    check("GET", "/booking/done/YAAAAAAA")
    check("GET", "/favicon.ico")
    check("GET", "/no/such/page")
    check("GET", "/callback")  # 405
    check("GET", "/healthz")
    statuses = set().union(*seen.values())
    assert {200, 304, 404, 405, 413} <= statuses, statuses


def test_public_error_pages_400_and_429_set_no_cookie(web):
    """A 400 (an abort with a Japanese message) and the forms' 429 page render a template without the session."""

    @web.get("/_test/bad")
    def _bad():
        from flask import abort

        abort(400)

    @web.get("/_test/busy")
    def _busy():
        from bot.forms.views import _too_many

        return _too_many()

    for path, status in (("/_test/bad", 400), ("/_test/busy", 429)):
        response = web.test_client().get(path)
        assert response.status_code == status
        _no_cookie(response, path)


def test_console_and_form_pages_still_carry_their_csrf_token(web, loaded_app):
    """The fix keeps CSRF where there is a form: the login page and the simulator still get their token."""
    for path in ("/admin/login", "/"):
        client = web.test_client()
        response = client.get(path)
        if response.status_code == 404:  # the simulator is off in production-like configs
            continue
        assert response.status_code == 200, path
        assert response.headers.getlist("Set-Cookie"), path
