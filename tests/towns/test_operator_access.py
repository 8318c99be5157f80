"""Who may reach the operator console, and what it may reach: an access walk over every /operator/ route, CSRF on
every POST, escaping, and proof that its pages run with no current town (so they cannot read a town's data)."""
from __future__ import annotations

import pytest
from flask import g, template_rendered
from sqlalchemy import event, func, select

from bot.core.tenancy import current_town_id
from bot.extensions import db
from bot.models.operators import OperatorAudit
from bot.models.tenancy import Tenant, TownScoped
from tests.support.console import ADMIN, login, make_users
from tests.towns.conftest import OP_PASSWORD, OPERATOR, new_town, op_csrf, op_login

# Every operator route, as (endpoint, method): a new one must be added here and so walked, checked for CSRF, fuzzed.
ROUTES = {
    ("operator.login", "GET"), ("operator.login", "POST"), ("operator.logout", "POST"),
    ("operator.towns", "GET"), ("operator.town_new", "GET"), ("operator.town_new", "POST"),
    ("operator.town", "GET"), ("operator.town_suspend", "GET"), ("operator.town_suspend", "POST"),
    ("operator.town_resume", "GET"), ("operator.town_resume", "POST"), ("operator.town_channel", "POST"),
    ("operator.town_admin_create", "POST"), ("operator.audit", "GET"),
}
PUBLIC = {"operator.login"}


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/operator"):
            for method in ("GET", "POST"):
                if method in rule.methods:
                    yield rule, method, rule.build({a: "biei" for a in rule.arguments}, append_unknown=False)[1]


def test_the_walk_knows_every_operator_route_and_each_declares_its_access(operator_app):
    assert {(rule.endpoint, method) for rule, method, _url in _rules(operator_app)} == ROUTES
    for rule, _method, _url in _rules(operator_app):
        access = getattr(operator_app.view_functions[rule.endpoint], "access", None)
        assert access == ("public" if rule.endpoint in PUBLIC else "operator"), rule.endpoint


def test_anonymous_visitors_get_the_operators_login(operator_app):
    client = operator_app.test_client()
    new_town_for(operator_app)
    before = db_count(operator_app, OperatorAudit)
    for rule, method, url in _rules(operator_app):
        if rule.endpoint in PUBLIC:
            continue
        response = client.open(url, method=method, data={"email": "x@example.invalid"})
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].endswith("/operator/login"), (method, url)
    assert db_count(operator_app, OperatorAudit) == before  # nothing was done
    assert db_scalar(operator_app, select(Tenant.status).where(Tenant.slug == "biei")) == "active"


def test_a_towns_staff_session_does_not_open_the_operator_console(operator_app):
    make_users(operator_app)
    new_town_for(operator_app)
    staff = operator_app.test_client()
    assert login(staff, ADMIN).status_code == 302
    assert staff.get("/admin/").status_code == 200
    for rule, method, url in _rules(operator_app):
        if rule.endpoint in PUBLIC:
            continue
        response = staff.open(url, method=method, data={"email": "x@example.invalid"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/operator/login"), url


def test_an_operator_session_opens_no_towns_console(op_client, operator_app):
    new_town(op_client)
    for path in ("/admin/", "/admin/users", "/admin/audit", "/biei/admin/", "/biei/admin/users", "/default/admin/"):
        response = op_client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"], path
    # The operator's cookie lives under /operator/ only, under a name of its own.
    cookie = op_client.get_cookie("operator_session", path="/operator/")
    assert cookie.path == "/operator/" and cookie.http_only and cookie.same_site == "Lax"
    assert op_client.get_cookie("session", path="/") is None


def test_the_operator_console_is_no_towns_page(op_client):
    new_town(op_client)
    for path in ("/biei/operator/", "/biei/operator/login", "/default/operator/towns/biei"):
        assert op_client.get(path).status_code == 404, path


def test_every_operator_post_refuses_a_missing_csrf_token(operator_app):
    operator_app.config["WTF_CSRF_ENABLED"] = True
    new_town_for(operator_app)
    client = operator_app.test_client()
    token = op_csrf(client)
    assert op_login(client, csrf_token=token).status_code == 302
    before = db_count(operator_app, OperatorAudit)
    for rule, method, url in _rules(operator_app):
        if method != "POST":
            continue
        response = client.post(url, data={"email": OPERATOR, "password": OP_PASSWORD, "slug": "furano",
                                           "name": "富良野市", "line_channel_secret": "s", "line_access_token": "t"})
        assert response.status_code in (302, 400), url
        if response.status_code == 302:  # the forms that flash and go back
            assert "有効期限" in client.get(response.headers["Location"]).get_data(as_text=True), url
    assert db_count(operator_app, OperatorAudit) == before  # nothing done, nobody logged in or out
    with operator_app.app_context():
        assert db.session.scalar(select(Tenant.status).where(Tenant.slug == "biei")) == "active"
        assert db.session.scalar(select(Tenant.id).where(Tenant.slug == "furano")) is None
    assert client.get("/operator/").status_code == 200  # still logged in


def test_a_town_name_with_markup_is_shown_as_text(op_client, operator_app):
    name = "<script>alert(1)</script>町"
    assert new_town(op_client, name=name).status_code == 302
    op_client.post("/operator/towns/biei/admins", data={"email": "a@biei.example.invalid"})
    for path in ("/operator/", "/operator/towns/biei", "/operator/towns/biei/suspend", "/operator/audit"):
        html = op_client.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html, path


def test_every_operator_page_runs_with_no_current_town(op_client, operator_app, no_default_town):
    """Each page renders with no town bound: a query on any town's table would raise NoTownSelected. The only
    reads of town tables are the first-admin action's own, inside that one town."""
    rendered: list[tuple[str, int | None]] = []
    town_queries: list[tuple[str, int | None]] = []

    def on_render(_app, template, context, **_extra):
        rendered.append((template.name, current_town_id()))

    def on_execute(state):
        if any(issubclass(m.class_, TownScoped) for m in state.all_mappers):
            from flask import request

            town_queries.append((request.endpoint, current_town_id()))

    new_town(op_client)
    biei = db_scalar(operator_app, select(Tenant.id).where(Tenant.slug == "biei"))
    template_rendered.connect(on_render, operator_app)
    event.listen(db.session, "do_orm_execute", on_execute)
    try:
        for path in ("/operator/", "/operator/towns/new", "/operator/towns/biei", "/operator/towns/biei/suspend",
                     "/operator/towns/biei/resume", "/operator/audit"):
            assert op_client.get(path).status_code == 200, path
        assert new_town(op_client, slug="furano", name="富良野市").status_code == 302
        assert new_town(op_client, slug="bad slug").status_code == 400
        assert op_client.post("/operator/towns/biei/suspend").status_code == 302
        assert op_client.post("/operator/towns/biei/resume").status_code == 302
        assert op_client.post("/operator/towns/biei/channel", data={"line_access_token": "t2"}).status_code == 302
        assert op_client.post("/operator/towns/biei/admins", data={"email": "a@biei.example.invalid"}).status_code == 200
        assert op_client.post("/operator/towns/biei/admins", data={"email": "bad"}).status_code == 400
        assert op_client.get("/operator/login").status_code == 302
    finally:
        template_rendered.disconnect(on_render, operator_app)
        event.remove(db.session, "do_orm_execute", on_execute)
    assert rendered and all(town is None for _name, town in rendered), rendered
    assert {q for q in town_queries} <= {("operator.town_admin_create", biei)}, town_queries
    assert ("operator.town_admin_create", biei) in town_queries


def new_town_for(app) -> None:
    with app.app_context():
        from bot.towns.store import create_town

        create_town("biei", "美瑛町", actor="test", channel_secret="s", access_token="t")


def db_count(app, model) -> int:
    return db_scalar(app, select(func.count()).select_from(model))


def db_scalar(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def test_operator_pages_are_not_cached_or_framed(op_client):
    for path in ("/operator/login", "/operator/"):
        response = op_client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
