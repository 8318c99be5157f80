"""The operator console (運用者, issue 21): towns, suspending, LINE credentials, first admins, all audited."""
from __future__ import annotations

import time

from sqlalchemy import select

from bot.core.tenancy import use_town
from bot.extensions import db
from bot.line.channels import stored_channel
from bot.models import AuditLog, User
from bot.models.operators import OperatorAudit
from bot.models.tenancy import Tenant
from tests.support.console import PASSWORD, login
from tests.towns.conftest import OPERATOR, new_town, op_login


def _town(app, slug: str) -> Tenant:
    with app.app_context():
        town = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        db.session.expunge(town)
        return town


def _operator_rows(app) -> list[tuple[str, str, str, object]]:
    with app.app_context():
        return [(r.operator, r.action, r.town_slug, r.detail)
                for r in db.session.scalars(select(OperatorAudit).order_by(OperatorAudit.id))]


def test_the_towns_list_shows_each_town_with_its_webhook(op_client, operator_app):
    html = op_client.get("/operator/").get_data(as_text=True)
    assert "町の一覧" in html and "default" in html and "/default/callback" in html
    assert new_town(op_client).status_code == 302
    html = op_client.get("/operator/").get_data(as_text=True)
    assert "美瑛町" in html and "http://localhost/biei/callback" in html and "設定済み" in html


def test_creating_a_town_stores_its_channel_encrypted_and_audits_without_secrets(op_client, operator_app):
    response = new_town(op_client, line_bot_user_id="U" + "a" * 32)
    assert response.status_code == 302 and response.headers["Location"].endswith("/operator/towns/biei")
    town = _town(operator_app, "biei")
    assert town.name == "美瑛町" and town.status == "active" and town.line_bot_user_id == "U" + "a" * 32
    assert "biei-secret" not in town.line_channel_secret  # sealed at rest
    with operator_app.app_context():
        channel = stored_channel(town.id)
        assert (channel.secret, channel.access_token) == ("biei-secret", "biei-token")
        with use_town(town.id):
            row = db.session.scalar(select(AuditLog).where(AuditLog.action == "town.create"))
            assert row.actor == f"運用者（{OPERATOR}）"
    rows = _operator_rows(operator_app)
    assert (OPERATOR, "town.create", "biei") in [r[:3] for r in rows]
    assert "biei-secret" not in repr(rows) and "biei-token" not in repr(rows)


def test_a_town_can_start_from_the_bundled_pack(op_client, operator_app):
    assert new_town(op_client, pack="bundled").status_code == 302
    town = _town(operator_app, "biei")
    with operator_app.app_context(), use_town(town.id):
        from bot.models import Entry

        assert db.session.scalar(select(Entry.id).limit(1)) is not None


def test_bad_town_input_gets_a_japanese_error_and_creates_nothing(op_client, operator_app):
    cases = {
        "Biei": ("slug", "半角の英小文字"),
        "admin": ("slug", "このサービスのパスに使われている"),
        "operator": ("slug", "このサービスのパスに使われている"),
        "default": ("slug", "すでにあります"),
    }
    for slug, (_field, message) in cases.items():
        response = new_town(op_client, slug=slug)
        assert response.status_code == 400 and message in response.get_data(as_text=True), slug
    response = new_town(op_client, line_bot_user_id="Uxyz")
    assert response.status_code == 400 and "ボットのユーザーID" in response.get_data(as_text=True)
    response = new_town(op_client, line_channel_secret=" spaced ")
    assert response.status_code == 400 and "使えない文字" in response.get_data(as_text=True)
    response = new_town(op_client, line_access_token="")
    assert response.status_code == 400 and "入力してください" in response.get_data(as_text=True)
    response = new_town(op_client, pack="/etc")  # only the bundled pack or none: never a path typed in
    assert response.status_code == 400 and "biei-secret" not in response.get_data(as_text=True)
    with operator_app.app_context():
        assert db.session.scalar(select(Tenant.id).where(Tenant.slug == "biei")) is None


def test_suspend_asks_first_then_stops_the_town_and_resume_brings_it_back(op_client, operator_app):
    new_town(op_client)
    page = op_client.get("/operator/towns/biei/suspend")
    assert page.status_code == 200 and "停止しますか" in page.get_data(as_text=True)
    assert _town(operator_app, "biei").status == "active"  # asking changed nothing
    assert op_client.post("/operator/towns/biei/suspend").status_code == 302
    assert _town(operator_app, "biei").status == "suspended"
    assert operator_app.test_client().get("/biei/admin/login").status_code == 503
    assert "停止中" in op_client.get("/operator/").get_data(as_text=True)
    assert "再開しますか" in op_client.get("/operator/towns/biei/resume").get_data(as_text=True)
    assert op_client.post("/operator/towns/biei/resume").status_code == 302
    assert operator_app.test_client().get("/biei/admin/login").status_code == 200
    actions = [r[1:3] for r in _operator_rows(operator_app)]
    assert ("town.suspend", "biei") in actions and ("town.resume", "biei") in actions


def test_rotating_credentials_keeps_what_is_left_blank(op_client, operator_app):
    new_town(op_client)
    response = op_client.post("/operator/towns/biei/channel", data={"line_access_token": "new-token"})
    assert response.status_code == 302
    with operator_app.app_context():
        channel = stored_channel(_town(operator_app, "biei").id)
        assert (channel.secret, channel.access_token) == ("biei-secret", "new-token")
    response = op_client.post("/operator/towns/biei/channel", data={})
    assert response.status_code == 400 and "1つ以上入力" in response.get_data(as_text=True)
    response = op_client.post("/operator/towns/biei/channel", data={"line_bot_user_id": "nope"})
    assert response.status_code == 400 and "ボットのユーザーID" in response.get_data(as_text=True)
    rows = [r for r in _operator_rows(operator_app) if r[1] == "town.channel"]
    assert len(rows) == 1 and rows[0][3] == {"changed": ["access_token"]} and "new-token" not in repr(rows)


def test_first_admin_gets_a_one_time_password_and_must_change_it(op_client, operator_app):
    new_town(op_client)
    response = op_client.post("/operator/towns/biei/admins", data={"email": "Chief@Biei.example.invalid"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "chief@biei.example.invalid" in html and "初期パスワード" in html
    password = html.split('id="generated-password" class="secret">')[1].split("<")[0]
    assert len(password) == 19
    town = _town(operator_app, "biei")
    with operator_app.app_context(), use_town(town.id):
        user = db.session.scalar(select(User))
        assert (user.email, user.role, user.must_change_password) == ("chief@biei.example.invalid", "admin", True)
    # The operator's record names the town and the role, never the admin's e-mail or password.
    rows = [r for r in _operator_rows(operator_app) if r[1] == "town.first_admin"]
    assert rows == [(OPERATOR, "town.first_admin", "biei", {"role": "admin", "must_change_password": True})]
    staff = operator_app.test_client()
    response = staff.post("/biei/admin/login", data={"email": "chief@biei.example.invalid", "password": password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/biei/admin/account")
    # Once the town's admin has logged in, the town manages its own accounts: the operator cannot add one.
    response = op_client.post("/operator/towns/biei/admins", data={"email": "second@biei.example.invalid"})
    assert response.status_code == 400 and "すでにログインしています" in response.get_data(as_text=True)
    with operator_app.app_context(), use_town(town.id):
        assert db.session.scalar(select(User.id).where(User.email == "second@biei.example.invalid")) is None
    assert len([r for r in _operator_rows(operator_app) if r[1] == "town.first_admin"]) == 1


def test_a_bad_or_duplicate_admin_email_gets_a_japanese_error(op_client, operator_app):
    new_town(op_client)
    response = op_client.post("/operator/towns/biei/admins", data={"email": "not an e-mail"})
    assert response.status_code == 400 and "メールアドレスの形式" in response.get_data(as_text=True)
    assert op_client.post("/operator/towns/biei/admins", data={"email": "a@biei.example.invalid"}).status_code == 200
    response = op_client.post("/operator/towns/biei/admins", data={"email": "a@biei.example.invalid"})
    assert response.status_code == 400 and "すでにあります" in response.get_data(as_text=True)
    assert len([r for r in _operator_rows(operator_app) if r[1] == "town.first_admin"]) == 1


def test_unknown_towns_are_404(op_client):
    for path in ("/operator/towns/nowhere", "/operator/towns/nowhere/suspend"):
        assert op_client.get(path).status_code == 404
    for path in ("/operator/towns/nowhere/channel", "/operator/towns/nowhere/admins",
                 "/operator/towns/nowhere/suspend", "/operator/towns/nowhere/resume"):
        assert op_client.post(path, data={"email": "a@b.example.invalid"}).status_code == 404


def test_every_action_leaves_an_operator_audit_row(op_client, operator_app):
    new_town(op_client)
    op_client.post("/operator/towns/biei/suspend")
    op_client.post("/operator/towns/biei/resume")
    op_client.post("/operator/towns/biei/channel", data={"line_channel_secret": "rotated"})
    op_client.post("/operator/towns/biei/admins", data={"email": "a@biei.example.invalid"})
    op_client.post("/operator/logout")
    actions = [r[1] for r in _operator_rows(operator_app)]
    assert actions == ["operator.create", "operator.login", "town.create", "town.suspend", "town.resume",
                       "town.channel", "town.first_admin", "operator.logout"]
    html = operator_app.test_client()
    op_login(html)
    page = html.get("/operator/audit").get_data(as_text=True)
    assert "町を作成（運用者）" in page and "町の最初の管理者を作成（運用者）" in page
    assert "a@biei.example.invalid" not in page and "rotated" not in page


def test_logout_ends_the_session_even_for_a_copied_cookie(operator_app):
    client = operator_app.test_client()
    op_login(client)
    cookie = client.get_cookie("operator_session", path="/operator/")
    assert cookie is not None and cookie.path == "/operator/"
    thief = operator_app.test_client()
    thief.set_cookie("operator_session", cookie.value, path="/operator/")
    assert thief.get("/operator/").status_code == 200
    client.post("/operator/logout")
    assert thief.get("/operator/").status_code == 302


def test_idle_and_old_sessions_end(op_client, operator_app):
    from tests.towns.conftest import op_login as again

    with op_client.session_transaction("/operator/") as session:
        session["operator_seen_at"] = int(time.time()) - operator_app.config["SESSION_IDLE_MINUTES"] * 60 - 5
    response = op_client.get("/operator/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/operator/login")
    assert "しばらく操作がなかった" in op_client.get("/operator/login").get_data(as_text=True)
    again(op_client)
    with op_client.session_transaction("/operator/") as session:
        session["operator_login_at"] = int(time.time()) - operator_app.config["SESSION_MAX_HOURS"] * 3600 - 5
    assert op_client.get("/operator/").status_code == 302
    assert "時間がたった" in op_client.get("/operator/login").get_data(as_text=True)


def test_wrong_passwords_are_refused_then_throttled(operator_app):
    client = operator_app.test_client()
    for _ in range(5):
        response = op_login(client, password="wrong password!")
        assert response.status_code == 401 and "違います" in response.get_data(as_text=True)
    response = op_login(client)  # even the right password, while paused
    assert response.status_code == 429 and "しばらくログインできません" in response.get_data(as_text=True)
    assert "operator.lockout" in [r[1] for r in _operator_rows(operator_app)]


def test_a_town_admin_with_the_operators_email_is_not_an_operator(operator_app):
    with operator_app.app_context():
        from bot.staff.accounts import create_user

        create_user(OPERATOR, "admin", PASSWORD)
    client = operator_app.test_client()
    assert op_login(client, password=PASSWORD).status_code == 401
    assert login(client, OPERATOR).status_code == 302  # the town's admin, in the town's console only
    assert client.get("/operator/").status_code == 302


def test_the_console_works_while_the_default_town_is_suspended(op_client, operator_app):
    """The operator's pages belong to no town: suspending the town unprefixed paths serve does not lock them out."""
    assert op_client.post("/operator/towns/default/suspend").status_code == 302
    assert operator_app.test_client().get("/admin/login").status_code == 503
    assert op_client.get("/operator/").status_code == 200
    assert op_client.get("/operator/towns/default").status_code == 200
    response = op_client.get("/operator")  # the redirect to the console is no town's either
    assert response.status_code == 308 and response.headers["Location"].endswith("/operator/")
    assert op_client.get("/operator/no-such-page").status_code == 404
    assert op_client.post("/operator/towns/default/resume").status_code == 302
    assert operator_app.test_client().get("/admin/login").status_code == 200
