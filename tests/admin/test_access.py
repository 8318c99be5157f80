"""Who may reach the console: every route guarded, roles, open redirects, CSRF, cookies, throttling."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditLog, Entry
from tests.support.console import (  # noqa: F401  (fixtures)
    ADMIN, EDITOR, PASSWORD, admin_client, console, csrf_token, editor_client, login, make_users,
)
from tests.support.ratelimit import limiter_clock  # noqa: F401  (fixture)

METHODS = ("GET", "POST")
# Known admin-only pages: if the decorator stopped marking them, the walk below would prove nothing.
EXPECTED_ADMIN_ONLY = {"admin.users", "admin.user_update", "admin.user_reset_password", "admin.user_grant_confirm", "admin.user_grant_refuse", "admin.audit_log",
                       "admin.import_preview", "admin.import_apply", "admin.category_list", "admin.category_add",
                       "admin.category_rename", "admin.category_up", "admin.category_down",
                       "notices.recipients", "notices.recipient_delete", "admin.form_retention", "admin.form_edit",
                       "admin.user_applications", "admin.user_bookings", "admin.booking_retention", "admin.town_settings", "admin.town_reset",
                       "admin.user_chat", "admin.chat_settings",
                       "admin.menu_publish_page", "admin.menu_publish", "admin.disaster_mode",
                       "signage_admin.facility_add", "signage_admin.facility_edit", "signage_admin.facility_delete",
                       "signage_admin.screen_add", "signage_admin.screen_rekey", "signage_admin.screen_retire"}
# The KPI board (issue 23 §2): admins and editors alike enter actuals, withdraw them and download the CSV. Every
# entry names its source and is audited, and a withdrawn one stays in the history, so no second person is needed.
EXPECTED_STAFF_KPI = {"admin.kpi_list", "admin.kpi_detail", "admin.kpi_withdraw", "admin.kpi_export"}
# Pages with residents' personal data: admins and 申込み担当 only.
EXPECTED_APPLICATIONS_ONLY = {"admin.application_detail", "admin.application_export", "admin.application_delete",
                              "admin.form_settings"}
# 施設予約 (issue 23 §1): every staff member sees the calendar without names; who booked (names, phone numbers),
# taking, changing and exporting bookings and closures: admins and 施設予約担当 only.
EXPECTED_STAFF_BOOKING = {"admin.booking_home", "admin.booking_calendar"}
# How long bookings keep the residents' personal data (a town setting): admins only.
EXPECTED_ADMIN_BOOKING = {"admin.booking_retention"}
EXPECTED_BOOKINGS_ONLY = {"admin.booking_new", "admin.booking_detail", "admin.booking_cancel", "admin.booking_closures",
                          "admin.booking_closure_remove", "admin.booking_export"}
# Residents' chats (オンライン窓口, issue 22): admins and 窓口担当 only.
EXPECTED_CHAT_ONLY = {"admin.chat_list", "admin.chat_list_part", "admin.chat_view", "admin.chat_messages_part",
                      "admin.chat_reply", "admin.chat_resend", "admin.chat_assign", "admin.chat_memo", "admin.chat_end",
                      "admin.chat_photo", "admin.chat_switch", "admin.chat_templates", "admin.chat_template_delete"}


def _admin_rules(app):
    for rule in app.url_map.iter_rules():
        # A blueprint's static files (CSS, JS) are public by nature and cannot carry a decorator.
        if rule.rule.startswith("/admin") and not rule.endpoint.endswith(".static"):
            yield rule


def _url(rule) -> str:
    # Any value will do: the guard must refuse before the view looks anything up.
    values = {arg: 1 if rule._converters[arg].__class__.__name__ == "IntegerConverter" else "x"
              for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _requests(app):
    for rule in _admin_rules(app):
        view = app.view_functions[rule.endpoint]
        for method in METHODS:
            if method in rule.methods:
                yield rule, view, method, _url(rule)


def test_every_admin_view_declares_its_access(console):
    undeclared = [rule.endpoint for rule in _admin_rules(console)
                  if getattr(console.view_functions[rule.endpoint], "access", None)
                  not in ("public", "staff", "applications", "bookings", "chat", "admin")]
    assert undeclared == []
    personal = {r.endpoint for r in _admin_rules(console) if console.view_functions[r.endpoint].access == "applications"}
    assert personal == EXPECTED_APPLICATIONS_ONLY
    chats = {r.endpoint for r in _admin_rules(console) if console.view_functions[r.endpoint].access == "chat"}
    assert chats == EXPECTED_CHAT_ONLY
    admin_only = {r.endpoint for r in _admin_rules(console) if console.view_functions[r.endpoint].access == "admin"}
    assert EXPECTED_ADMIN_ONLY <= admin_only
    public = {r.endpoint for r in _admin_rules(console) if console.view_functions[r.endpoint].access == "public"}
    assert public == {"admin.login"}
    kpi = {r.endpoint: console.view_functions[r.endpoint].access for r in _admin_rules(console) if ".kpi_" in r.endpoint}
    assert kpi == {endpoint: "staff" for endpoint in EXPECTED_STAFF_KPI}
    booking = {r.endpoint: console.view_functions[r.endpoint].access for r in _admin_rules(console)
               if ".booking_" in r.endpoint}
    assert booking == {**{e: "staff" for e in EXPECTED_STAFF_BOOKING}, **{e: "bookings" for e in EXPECTED_BOOKINGS_ONLY},
                       **{e: "admin" for e in EXPECTED_ADMIN_BOOKING}}


def test_every_admin_route_refuses_anonymous(console):
    client = console.test_client()
    checked = 0
    for rule, view, method, url in _requests(console):
        if view.access == "public":
            continue
        response = client.open(url, method=method)
        assert response.status_code in (302, 401), (method, url, response.status_code)
        if response.status_code == 302:
            assert response.location.startswith("/admin/login"), (method, url, response.location)
        as_json = client.open(url, method=method, headers={"Accept": "application/json"})
        assert as_json.status_code == 401, (method, url)
        checked += 1
    assert checked >= 20


def test_admin_only_routes_refuse_an_editor(console, editor_client):
    checked = 0
    for rule, view, method, url in _requests(console):
        if rule.endpoint == "admin.logout":
            continue  # ends the session; tested on its own
        response = editor_client.open(url, method=method)
        if view.access in ("admin", "applications", "bookings", "chat"):
            assert response.status_code == 403, (method, url)
            checked += 1
        else:
            assert response.status_code not in (401, 403), (method, url, response.status_code)
            assert not (response.status_code == 302 and "/admin/login" in response.location), (method, url)
    assert checked >= len(EXPECTED_ADMIN_ONLY)


# Each extra permission opens its own pages and no other's: (the user flag, the role, the pages it must reach).
HANDLERS = [("handles_applications", "applications", EXPECTED_APPLICATIONS_ONLY),
            ("handles_bookings", "bookings", EXPECTED_BOOKINGS_ONLY),
            ("handles_chat", "chat", EXPECTED_CHAT_ONLY)]


@pytest.mark.parametrize("flag,role,expected", HANDLERS, ids=[h[1] for h in HANDLERS])
def test_a_handler_reaches_its_own_pages_but_no_admin_page_nor_another_handlers(console, editor_client, flag, role,
                                                                                 expected):
    from bot.models import User

    with console.app_context():
        user = db.session.scalar(select(User).where(User.email == EDITOR))
        setattr(user, flag, True)
        db.session.commit()
    refused = {"admin"} | {other for _, other, _ in HANDLERS if other != role}
    checked = 0
    for rule, view, method, url in _requests(console):
        if rule.endpoint == "admin.logout":
            continue
        response = editor_client.open(url, method=method)
        if view.access in refused:
            assert response.status_code == 403, (method, url)
        else:
            assert response.status_code not in (401, 403), (method, url, response.status_code)
            checked += view.access == role
    assert checked >= len(expected)


def test_admin_reaches_admin_pages(admin_client):
    assert admin_client.get("/admin/users").status_code == 200
    assert admin_client.get("/admin/audit").status_code == 200


@pytest.mark.parametrize("target", [
    "https://evil.example/admin", "//evil.example/admin", "/\\evil.example", "javascript:alert(1)",
    "/simulator", "http:/admin", " //evil.example", "/admin/\r\nX", "/admin/\nSet-Cookie: x=1",
])
def test_login_never_redirects_off_the_console(console, target):
    client = console.test_client()
    response = login(client, ADMIN, next=target)
    assert response.status_code == 302
    assert response.location == "/admin/"


def test_a_next_with_a_nul_is_refused_before_login(console):
    # NUL never reaches a view (bot/core/security.py answers 400 in Japanese), so it cannot reach a redirect either.
    response = login(console.test_client(), ADMIN, next="/admin\x00")
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


def test_a_next_with_a_line_break_is_ignored_when_already_logged_in(admin_client):
    response = admin_client.get("/admin/login", query_string={"next": "/admin/\r\nX"})
    assert response.status_code == 302 and response.location == "/admin/"


def test_production_refuses_a_short_secret_key(monkeypatch):
    from bot import create_app

    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(RuntimeError, match="32バイト以上"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 31})
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32,
                       "PUBLIC_BASE_URL": "https://bot.example.jp/"}).config["APP_ENV"] == "production"
    monkeypatch.setenv("APP_ENV", "development")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "short"})


def test_login_follows_a_console_next(console):
    client = console.test_client()
    response = client.get("/admin/entries?status=draft")
    assert response.status_code == 302
    nxt = response.location.split("next=", 1)[1]
    from urllib.parse import unquote

    assert login(client, EDITOR, next=unquote(nxt)).location == "/admin/entries?status=draft"


def test_wrong_password_is_refused_and_logout_ends_the_session(console):
    client = console.test_client()
    assert login(client, ADMIN, "wrong password").status_code == 401
    assert client.get("/admin/").status_code == 302
    assert login(client, ADMIN).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.post("/admin/logout").status_code == 302
    assert client.get("/admin/").status_code == 302
    with console.app_context():
        actions = db.session.scalars(select(AuditLog.action)).all()
        assert "login" in actions and "logout" in actions


def test_session_cookie_is_httponly_and_samesite(console):
    client = console.test_client()
    response = login(client, ADMIN)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_in_production(console):
    console.config["SESSION_COOKIE_SECURE"] = True
    client = console.test_client()
    assert "Secure" in login(client, ADMIN).headers["Set-Cookie"]


def test_login_is_throttled_after_repeated_failures(console, limiter_clock):
    client = console.test_client()
    for _ in range(5):
        assert login(client, ADMIN, "guess").status_code == 401
    locked = login(client, ADMIN)  # even the right password
    assert locked.status_code == 429
    assert "しばらくログインできません" in locked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    # Another account on the same address is not locked by these five.
    assert login(console.test_client(), EDITOR).status_code == 302
    limiter_clock.forward(14 * 60)
    assert login(client, ADMIN).status_code == 429  # about a quarter hour, counted in one-minute steps
    limiter_clock.forward(2 * 60)
    assert login(client, ADMIN).status_code == 302


def test_login_is_throttled_per_address(console):
    client = console.test_client()
    for n in range(20):
        login(client, f"nobody{n}@example.invalid", "guess")
    assert login(client, EDITOR).status_code == 429


def test_forms_without_a_csrf_token_are_rejected(loaded_app):
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    make_users(loaded_app)
    client = loaded_app.test_client()
    assert login(client, ADMIN).status_code == 400  # no token
    token = csrf_token(client)
    assert login(client, ADMIN, csrf_token=token).status_code == 302
    with loaded_app.app_context():
        e = db.session.scalar(select(Entry).where(Entry.slug == "school-lunch-free"))
        before = (e.answer, e.lock_version)
        data = {"title": e.title, "answer": "CSRFで書き換え", "lock_version": e.lock_version, "status": e.status}
    assert client.post(f"/admin/entries/{e.id}", data=data).status_code == 400
    assert client.post(f"/admin/entries/{e.id}", data={**data, "csrf_token": "forged"}).status_code == 400
    assert client.post("/admin/entries/preview", json={"title": "x"}).status_code == 400
    assert client.post("/admin/logout").status_code == 400
    with loaded_app.app_context():
        e = db.session.scalar(select(Entry).where(Entry.slug == "school-lunch-free"))
        assert (e.answer, e.lock_version) == before
    # With the token (header for scripts) the same requests go through.
    token = csrf_token(client, f"/admin/entries/{e.id}")
    assert client.post("/admin/entries/preview", json={"title": "x"}, headers={"X-CSRFToken": token}).status_code == 200


def test_console_pages_are_not_cached_or_framed(admin_client):
    response = admin_client.get("/admin/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
