"""Every response carries its security headers (CSP, framing, sniffing; HSTS in production), and huge numbers are 404s."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from bot import create_app
from bot.core.security import CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY
from tests.support.console import ADMIN, admin_client, console, login, make_users  # noqa: F401  (fixtures)
from tests.conftest import base_config

HUGE = "99999999999999999999"  # more than a signed 64-bit integer holds
BEYOND_ID = 2**31  # one more than a PostgreSQL INTEGER id holds
PRODUCTION_KEY = "production-test-secret-key-0123456789abcdef"


def _urls(app):
    """Yield (method, url) for every rule in the URL map, every method it answers."""
    for rule in app.url_map.iter_rules():
        values = {}
        for arg in rule.arguments:
            values[arg] = 1 if isinstance(rule._converters[arg], IntegerConverter) else "app.css"
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def _assert_headers(response, where, hsts: bool = False):
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert (headers.get("Strict-Transport-Security") == STRICT_TRANSPORT_SECURITY) is hsts, where


def test_every_route_anonymous_and_logged_in(admin_client, console):
    anonymous = console.test_client()
    seen = 0
    for method, url in _urls(console):
        for who, client in (("anonymous", anonymous), ("admin", admin_client)):
            if url == "/admin/logout" and who == "admin":
                continue  # would end the session the rest of the walk needs
            response = client.open(url, method=method)
            assert response.status_code < 500, (who, method, url, response.status_code)
            _assert_headers(response, (who, method, url, response.status_code))
            seen += 1
    assert seen >= 70  # the walk really covered the map (about 40 rules, some with two methods)


def test_pages_outside_any_route(console):
    client = console.test_client()
    for method, url, status in (("GET", "/no/such/page", 404), ("GET", "/admin/no-such-page", 404),
                                ("GET", "/callback", 405), ("DELETE", "/admin/entries", 405),
                                ("PUT", "/", 405)):
        response = client.open(url, method=method)
        assert response.status_code == status, (method, url)
        _assert_headers(response, (method, url))


def test_webhook_json_gets_nosniff(app, webhook):
    for response in (webhook([]), webhook([], signature="bad")):
        assert response.is_json
        _assert_headers(response, response.status_code)


def test_console_keeps_no_store_and_public_pages_do_not_need_it(admin_client):
    assert admin_client.get("/admin/entries").headers["Cache-Control"] == "no-store"
    assert admin_client.get("/admin/notices/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in admin_client.get("/healthz").headers.get("Cache-Control", "")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_hsts_only_in_production(tmp_path, fake_line, sqlite_template, backend):
    uri = f"sqlite:///{sqlite_template}"
    production = create_app({**base_config(uri, fake_line), "APP_ENV": "production", "SECRET_KEY": PRODUCTION_KEY,
                             "PUBLIC_BASE_URL": "https://bot.example.jp/"})
    development = create_app({**base_config(uri, fake_line), "APP_ENV": "development"})
    try:
        for url in ("/healthz", "/no/such/page", "/admin/login", "/"):
            _assert_headers(production.test_client().get(url), ("production", url), hsts=True)
            _assert_headers(development.test_client().get(url), ("development", url), hsts=False)
    finally:
        for app in (production, development):
            app.extensions["line_sender"].close()


@pytest.mark.parametrize("url", [f"/admin/audit?page={HUGE}", f"/admin/entries/{HUGE}",
                                 f"/admin/notices/{HUGE}", f"/admin/entries/{HUGE}/history",
                                 f"/admin/notices/{HUGE}/edit", f"/admin/audit?page={2**63 // 50 + 1}",
                                 f"/admin/entries/{BEYOND_ID}", f"/admin/notices/{BEYOND_ID}"])
def test_numbers_too_big_for_the_database_are_404(admin_client, url):
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize("url", [f"/admin/entries/{HUGE}/archive", f"/admin/entries/1/rollback/{HUGE}",
                                 f"/admin/users/{HUGE}", f"/admin/notices/{HUGE}/approve"])
def test_posts_with_huge_ids_are_404(admin_client, url):
    assert admin_client.post(url).status_code == 404


def test_largest_id_is_still_a_plain_not_found(admin_client):
    # 2**31-1 fits every id column: the route matches, the lookup finds nothing, the view says 404 itself.
    assert admin_client.get(f"/admin/entries/{BEYOND_ID - 1}").status_code == 404
    assert admin_client.get(f"/admin/notices/{BEYOND_ID - 1}").status_code == 404
    assert admin_client.get(f"/admin/audit?page={2**63 // 50 - 1}").status_code == 200


@pytest.mark.parametrize("page", ["abc", "-3", "0", "", "１２", "²", "1e3"])
def test_nonsense_page_numbers_show_the_first_page(admin_client, page):
    response = admin_client.get(f"/admin/audit?page={page}")
    assert response.status_code == 200
    assert "1 / " in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/admin/audit?target=%00", "/admin/entries?q=a%00b", "/admin/try?q=%00",
                                 "/admin/entries/new?question=%00"])
def test_nul_in_a_query_string_is_a_clear_400(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 400
    assert "NUL 文字" in response.get_data(as_text=True)
    _assert_headers(response, url)


def test_nul_in_a_form_is_a_clear_400_and_nothing_is_saved(admin_client, console):
    from tests.support.console import csrf_token

    console.config["WTF_CSRF_ENABLED"] = True
    token = csrf_token(admin_client, "/admin/users")
    response = admin_client.post("/admin/users", data={"csrf_token": token, "email": "nul\x00@example.jp",
                                                       "role": "editor", "password": "long enough password"})
    assert response.status_code == 400 and "NUL 文字" in response.get_data(as_text=True)
    assert "nul" not in admin_client.get("/admin/users").get_data(as_text=True)
    console.config["WTF_CSRF_ENABLED"] = False


def test_the_webhook_is_left_to_its_own_checks(app):
    from tests.conftest import SECRET
    from tests.support.linesign import body_of, sign

    body = body_of([])
    response = app.test_client().post("/callback?x=%00", data=body, headers={
        "Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
    assert response.status_code == 200
