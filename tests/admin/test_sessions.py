"""Staff sessions end when they must: logout (for good), a password change, a disable, a role change, time."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.admin.auth import LOGGED_IN_AT, SEEN_AT
from bot.extensions import db
from bot.models import AuditLog, User
from tests.support.console import (  # noqa: F401  (fixtures)
    ADMIN, EDITOR, PASSWORD, admin_client, console, csrf_token, editor_client, login,
)

NEW_PASSWORD = "a brand new passphrase"


def _logged_in(console, email: str):
    client = console.test_client()
    assert login(client, email).status_code == 302
    return client


def _reaches_console(client) -> bool:
    response = client.get("/admin/")
    if response.status_code == 302:
        assert response.location.startswith("/admin/login"), response.location
        return False
    assert response.status_code == 200
    return True


def _login_page_message(client) -> str:
    response = client.get("/admin/", follow_redirects=True)
    assert response.request.path == "/admin/login"
    return response.get_data(as_text=True)


def _user(console, email: str) -> User:
    with console.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def _actions(console) -> list[str]:
    with console.app_context():
        return db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()


def test_a_copied_cookie_stops_working_after_logout(console):
    client = _logged_in(console, EDITOR)
    copied = client.get_cookie("session").value
    assert client.post("/admin/logout").status_code == 302
    assert not _reaches_console(client)
    # The copy, replayed by whoever took it, is refused too: the logout ended it on the server.
    thief = console.test_client()
    thief.set_cookie("session", copied)
    assert not _reaches_console(thief)
    assert "ログアウトしたか" in _login_page_message(thief)


def test_logout_ends_the_users_other_sessions_too(console):
    office, tablet = _logged_in(console, EDITOR), _logged_in(console, EDITOR)
    other_user = _logged_in(console, ADMIN)
    office.post("/admin/logout")
    assert not _reaches_console(tablet)
    assert _reaches_console(other_user)
    assert "logout" in _actions(console)


def test_a_password_change_keeps_this_session_and_ends_the_others(console):
    a, b = _logged_in(console, EDITOR), _logged_in(console, EDITOR)
    response = a.post("/admin/account", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert _reaches_console(a)
    assert not _reaches_console(b)
    assert "user.password" in _actions(console)
    assert login(console.test_client(), EDITOR, NEW_PASSWORD).status_code == 302


def test_ending_other_sessions_keeps_this_one(console):
    here, forgotten = _logged_in(console, EDITOR), _logged_in(console, EDITOR)
    assert here.post("/admin/account/sessions").status_code == 302
    assert _reaches_console(here)
    assert not _reaches_console(forgotten)
    assert "user.sessions_ended" in _actions(console)


def test_disabling_a_user_ends_their_sessions_and_enabling_does_not_revive_them(console, admin_client):
    editor = _logged_in(console, EDITOR)
    user_id = _user(console, EDITOR).id
    assert admin_client.post(f"/admin/users/{user_id}", data={"role": "editor"}).status_code == 302  # unchecked
    assert not _user(console, EDITOR).active
    assert not _reaches_console(editor)
    admin_client.post(f"/admin/users/{user_id}", data={"role": "editor", "active": "y"})
    assert _user(console, EDITOR).active
    assert not _reaches_console(editor)
    assert login(console.test_client(), EDITOR).status_code == 302
    assert _actions(console).count("user.sessions_ended") == 2


def test_a_role_change_ends_the_users_sessions(console, admin_client):
    editor = _logged_in(console, EDITOR)
    user_id = _user(console, EDITOR).id
    admin_client.post(f"/admin/users/{user_id}", data={"role": "admin", "active": "y"})
    assert _user(console, EDITOR).role == "admin"
    assert not _reaches_console(editor)
    # Saving the same role and state again changes nothing, so nobody is logged out.
    promoted = _logged_in(console, EDITOR)
    admin_client.post(f"/admin/users/{user_id}", data={"role": "admin", "active": "y"})
    assert _reaches_console(promoted)


def test_an_admin_changing_their_own_role_keeps_this_session(console, admin_client):
    _ = _logged_in(console, EDITOR)
    other_admin = _user(console, EDITOR).id
    admin_client.post(f"/admin/users/{other_admin}", data={"role": "admin", "active": "y"})
    me = _user(console, ADMIN).id
    admin_client.post(f"/admin/users/{me}", data={"role": "editor", "active": "y"})
    assert _reaches_console(admin_client)
    assert admin_client.get("/admin/users").status_code == 403  # now an editor


def test_a_session_without_the_token_is_refused(console):
    # The cookie shape before sessions were revocable: only the user id. Signed with the right key, still refused.
    client = _logged_in(console, ADMIN)
    with client.session_transaction() as s:
        s["_user_id"] = s["_user_id"].split(":")[0]
    assert not _reaches_console(client)


def test_an_idle_session_ends_with_a_message(console):
    client = _logged_in(console, EDITOR)
    with client.session_transaction() as s:
        s[SEEN_AT] -= 59 * 60
    assert _reaches_console(client)  # 59 minutes idle: still in, and the clock starts again
    with client.session_transaction() as s:
        assert s[SEEN_AT] > s[LOGGED_IN_AT] - 60
        s[SEEN_AT] -= 61 * 60
    assert "しばらく操作がなかったため" in _login_page_message(client)
    assert not _reaches_console(client)


def test_a_session_ends_after_its_lifetime_even_when_busy(console):
    client = _logged_in(console, EDITOR)
    with client.session_transaction() as s:
        s[LOGGED_IN_AT] -= 10 * 3600 + 60
    assert "ログインしてから時間がたったため" in _login_page_message(client)
    assert not _reaches_console(client)


def test_session_limits_are_settings(console):
    console.config["SESSION_IDLE_MINUTES"] = 5
    client = _logged_in(console, EDITOR)
    with client.session_transaction() as s:
        s[SEEN_AT] -= 6 * 60
    assert not _reaches_console(client)


def test_an_expired_session_asks_scripts_to_log_in_again(console):
    client = _logged_in(console, EDITOR)
    with client.session_transaction() as s:
        s[SEEN_AT] -= 2 * 3600
    response = client.post("/admin/entries/preview", json={"title": "x"}, headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert re.search("ログイン", response.get_json()["message"])


def _session_of(app, client) -> dict:
    """Decode the client's session cookie with the app's own serializer."""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(client.get_cookie("session").value)


def test_login_rotates_the_session_and_its_csrf_secret(console):
    """Issue 19 A9: a cookie and a CSRF token planted before login are worthless after it."""
    console.config["WTF_CSRF_ENABLED"] = True
    victim = console.test_client()
    planted_token = csrf_token(victim)  # the attacker fetched this page and planted its cookie in the victim's browser
    planted_cookie = victim.get_cookie("session").value
    planted_secret = _session_of(console, victim)["csrf_token"]
    assert login(victim, EDITOR, csrf_token=planted_token).status_code == 302  # the victim logs in with it
    after = _session_of(console, victim)
    assert after.get("csrf_token") != planted_secret and victim.get_cookie("session").value != planted_cookie
    # A forged post with the token the attacker knows is refused, so nothing is changed in the victim's name.
    forged = victim.post("/admin/account/sessions", data={"csrf_token": planted_token})
    assert forged.status_code == 400
    assert "user.sessions_ended" not in _actions(console)
    # The page's fresh token works, so the victim's own forms still do.
    fresh = csrf_token(victim, "/admin/account")
    assert fresh != planted_token
    assert victim.post("/admin/account/sessions", data={"csrf_token": fresh}).status_code == 302
    # The planted cookie, replayed by the attacker, is still a stranger's: it opens no console page.
    attacker = console.test_client()
    attacker.set_cookie("session", planted_cookie)
    assert not _reaches_console(attacker)
