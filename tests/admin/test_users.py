"""Accounts for a clerk: editor by default, readable generated passwords shown once, changed at first login."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from bot.staff import accounts
from bot.extensions import db
from bot.models import AuditLog, User
from tests.support.console import ADMIN, EDITOR, PASSWORD, admin_client, console, login  # noqa: F401  (fixtures)

LOOK_ALIKES = set("0Oo1Il|")
NEWCOMER = "newcomer@example.invalid"
OWN_PASSWORD = "my own secret phrase"


def _generated(page: str) -> str:
    match = re.search(r'<code id="generated-password" class="secret">([^<]+)</code>', page)
    assert match, "no generated password on the page"
    return html.unescape(match.group(1))


def _create(admin_client, **data) -> str:
    response = admin_client.post("/admin/users", data={"email": NEWCOMER, "role": "editor", **data})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_new_user_is_an_editor_unless_chosen_otherwise(admin_client):
    page = admin_client.get("/admin/users").get_data(as_text=True)
    add_form = page[page.index("ユーザーを追加"):]
    selected = re.findall(r'<option selected value="(\w+)">', add_form)
    assert selected == ["editor"]


def test_generated_passwords_leave_out_characters_that_look_alike():
    seen = set()
    for _ in range(300):
        password = accounts.generate_password()
        assert re.fullmatch(r"[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}", password), password
        assert not LOOK_ALIKES & set(password), password
        seen |= set(password)
    # Still drawn from the whole alphabet, not a handful of letters.
    assert len(seen - {"-"}) >= 50


def test_a_generated_password_is_shown_once_in_a_box_with_a_copy_button(admin_client):
    page = _create(admin_client)
    password = _generated(page)
    assert not LOOK_ALIKES & set(password)
    assert 'data-copy="generated-password" hidden' in page  # JavaScript shows the button; without it, select by hand
    assert '<script src="/static/copy.js"></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline scripts break the console's CSP"
    assert "'unsafe-inline'" not in admin_client.get("/admin/users").headers["Content-Security-Policy"]
    assert password not in admin_client.get("/admin/users").get_data(as_text=True)
    assert admin_client.get("/static/copy.js").status_code == 200


def _first_login(console, password: str):
    client = console.test_client()
    response = login(client, NEWCOMER, password)
    assert response.status_code == 302
    return client, response


def test_a_generated_password_must_be_changed_before_the_console_can_be_used(console, admin_client):
    password = _generated(_create(admin_client))
    client, response = _first_login(console, password)
    assert response.location == "/admin/account"
    page = client.get("/admin/account").get_data(as_text=True)
    assert "はじめに、パスワードを自分だけが知っているものに変更してください" in page
    for path in ("/admin/", "/admin/entries", "/admin/inbox", "/admin/notices/"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.location == "/admin/account", path
    preview = client.post("/admin/entries/preview", json={"title": "x"}, headers={"Accept": "application/json"})
    assert preview.status_code == 403 and "パスワード" in preview.get_json()["message"]
    # The same password again is refused; a mistyped confirmation too.
    same = client.post("/admin/account", data={"current": password, "new": password, "confirm": password})
    assert "今と同じパスワードは使えません" in same.get_data(as_text=True)
    typo = client.post("/admin/account", data={"current": password, "new": OWN_PASSWORD, "confirm": OWN_PASSWORD + "x"})
    assert "同じものを入力してください" in typo.get_data(as_text=True)
    done = client.post("/admin/account", data={"current": password, "new": OWN_PASSWORD, "confirm": OWN_PASSWORD})
    assert done.status_code == 302
    assert client.get("/admin/").status_code == 200
    with console.app_context():
        assert not db.session.scalar(select(User).where(User.email == NEWCOMER)).must_change_password


def test_a_password_typed_by_the_admin_must_be_changed_too(console, admin_client):
    page = _create(admin_client, password="chosen by the admin")
    assert 'id="generated-password"' not in page
    _, response = _first_login(console, "chosen by the admin")
    assert response.location == "/admin/account"


def test_an_admin_resets_a_password_which_ends_sessions_and_must_be_changed(console, admin_client):
    editor = console.test_client()
    assert login(editor, EDITOR).status_code == 302
    with console.app_context():
        editor_id = db.session.scalar(select(User.id).where(User.email == EDITOR))
    response = admin_client.post(f"/admin/users/{editor_id}/password")
    assert response.status_code == 200
    password = _generated(response.get_data(as_text=True))
    assert editor.get("/admin/").status_code == 302  # logged out everywhere
    assert login(console.test_client(), EDITOR, PASSWORD).status_code == 401  # the old password is gone
    fresh = console.test_client()
    assert login(fresh, EDITOR, password).location == "/admin/account"
    assert fresh.get("/admin/entries").location == "/admin/account"
    with console.app_context():
        assert "user.password_reset" in db.session.scalars(select(AuditLog.action)).all()


def test_an_admin_cannot_reset_their_own_password_from_the_list(console, admin_client):
    with console.app_context():
        me = db.session.scalar(select(User.id).where(User.email == ADMIN))
    response = admin_client.post(f"/admin/users/{me}/password", follow_redirects=True)
    assert "「アカウント」の画面で変更してください" in response.get_data(as_text=True)
    assert login(console.test_client(), ADMIN).status_code == 302


def test_resetting_an_unknown_user_is_a_404(admin_client):
    assert admin_client.post("/admin/users/9999/password").status_code == 404


def test_only_a_test_app_may_choose_a_cheaper_password_hash(app):
    from bot.models import User

    user = User(email="hash@example.invalid")
    with app.app_context():
        user.set_password("a-long-enough-password")
    assert user.password_hash.startswith("pbkdf2:sha256:1000$")
    app.testing = False  # as in production: the setting is ignored and scrypt is used
    try:
        with app.app_context():
            user.set_password("a-long-enough-password")
        assert user.password_hash.startswith("scrypt:")
    finally:
        app.testing = True
