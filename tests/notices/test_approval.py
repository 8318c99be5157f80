"""The two-person rule in the console: who may approve, send back, withdraw; stale pages and puppet admins."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.staff.accounts import create_user
from bot.extensions import db
from bot.models import AuditLog, Notice, RoleGrant, User
from tests.support.console import ADMIN, EDITOR, PASSWORD, login, make_users
from tests.notices.support import ADMIN2, FAST, add_admin2, add_followers, approve_as, revision_on

PUPPET = "puppet@example.invalid"
EDITOR2 = "editor2@example.invalid"


@pytest.fixture
def console(loaded_app):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True,
                              "WTF_CSRF_ENABLED": False})
    make_users(loaded_app)  # admin and editor, both made on the command line
    add_admin2(loaded_app)
    with loaded_app.app_context():
        create_user(EDITOR2, "editor", PASSWORD, actor="cli")
        add_followers(range(4))
    return loaded_app


def _client(app, who: str):
    with app.app_context():
        # An account made in the console must change its first password; these tests start after that.
        db.session.execute(update(User).where(User.email == who).values(must_change_password=False))
        db.session.commit()
    client = app.test_client()
    assert login(client, who).status_code == 302
    return client


def _compose(client, **changes) -> int:
    data = {"title": "子育て応援の説明会", "body": "3月に説明会を開きます。", "audience": "all", "timing": "now",
            "entry_slug": "", "url": "", **changes}
    response = client.post("/admin/notices/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _edit(client, notice_id: int, **changes):
    data = {"title": "子育て応援の説明会", "body": "3月に説明会を開きます。", "audience": "all", "timing": "now",
            "entry_slug": "", "url": "", **changes}
    response = client.post(f"/admin/notices/{notice_id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _notice(app, notice_id: int) -> Notice:
    with app.app_context():
        notice = db.session.get(Notice, notice_id)
        db.session.expunge(notice)
        return notice


def _flash(response) -> str:
    return response.get_data(as_text=True)


# -- 1. whoever changed the content cannot approve it ------------------------------------------------

def test_an_admin_who_rewrote_the_draft_cannot_approve_it(console):
    editor, admin = _client(console, EDITOR), _client(console, ADMIN)
    notice_id = _compose(editor)
    _edit(admin, notice_id, body="管理者が書き換えた本文です。")
    assert editor.post(f"/admin/notices/{notice_id}/request").status_code == 302
    assert _notice(console, notice_id).editors == [EDITOR, ADMIN]

    page = admin.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "承認して送信" not in page and "作成・編集・依頼した人は承認できません" in page
    response = approve_as(admin, notice_id, revision=_notice(console, notice_id).revision)
    assert "承認できません" in _flash(response)
    assert _notice(console, notice_id).status == "pending_approval"

    # Someone who had no hand in it may.
    assert "承認しました" in _flash(approve_as(_client(console, ADMIN2), notice_id))
    assert (_notice(console, notice_id).status, _notice(console, notice_id).approved_by) == ("scheduled", ADMIN2)


# -- 2. an approval names the content its approver saw -------------------------------------------------

def test_an_approval_from_a_page_opened_before_the_content_changed_is_refused(console):
    admin, admin2 = _client(console, ADMIN), _client(console, ADMIN2)
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    old_page = admin2.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    seen = revision_on(old_page)

    assert "取り下げました" in _flash(admin.post(f"/admin/notices/{notice_id}/withdraw", follow_redirects=True))
    _edit(admin, notice_id, body="差し替えた本文です。", url="https://example.jp/other")
    admin.post(f"/admin/notices/{notice_id}/request")

    response = admin2.post(f"/admin/notices/{notice_id}/approve", data={"revision": str(seen)},
                           follow_redirects=True)
    assert "内容が変わりました" in _flash(response)
    assert _notice(console, notice_id).status == "pending_approval"
    # A post without any revision (a page from before this rule) is refused the same way.
    response = admin2.post(f"/admin/notices/{notice_id}/approve", data={}, follow_redirects=True)
    assert "内容が変わりました" in _flash(response)
    assert _notice(console, notice_id).status == "pending_approval"

    # Having looked at the new content, the same approver may approve it.
    assert "承認しました" in _flash(approve_as(admin2, notice_id))
    notice = _notice(console, notice_id)
    assert (notice.status, notice.body, notice.revision) == ("scheduled", "差し替えた本文です。", seen + 1)


def test_the_approval_is_audited_with_the_revision(console):
    editor, admin = _client(console, EDITOR), _client(console, ADMIN)
    notice_id = _compose(editor)
    editor.post(f"/admin/notices/{notice_id}/request")
    approve_as(admin, notice_id)
    with console.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "notice.approve"))
        assert (row.actor, row.target_id, row.after) == (ADMIN, str(notice_id), {"revision": 1})


# -- 3. an admin made by the author is not a second person ---------------------------------------------

def test_an_admin_the_author_created_in_the_console_cannot_approve(console):
    admin = _client(console, ADMIN)
    made = admin.post("/admin/users", data={"email": PUPPET, "role": "admin", "password": PASSWORD})
    assert made.status_code == 200 and "作成しました" in made.get_data(as_text=True)
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")

    puppet = _client(console, PUPPET)
    page = puppet.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "承認して送信" not in page and "作った（または管理者にした）アカウント" in page
    assert "作った（または管理者にした）アカウント" in _flash(approve_as(puppet, notice_id, revision=1))
    assert _notice(console, notice_id).status == "pending_approval"
    # Nor may the puppet send it back.
    assert "差し戻せません" in _flash(puppet.post(f"/admin/notices/{notice_id}/send-back", follow_redirects=True))

    # An admin made on the command line (server access) may approve.
    assert "承認しました" in _flash(approve_as(_client(console, ADMIN2), notice_id))


def test_an_admin_whose_password_the_author_reset_cannot_approve(console):
    admin = _client(console, ADMIN)
    with console.app_context():
        admin2_id = db.session.scalar(select(User.id).where(User.email == ADMIN2))
    # The author issues ADMIN2 a new password, so the author could log in as ADMIN2 until it is changed.
    reset = admin.post(f"/admin/users/{admin2_id}/password")
    assert reset.status_code in (200, 302)
    with console.app_context():
        assert db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == admin2_id)) is not None
        db.session.get(User, admin2_id).must_change_password = False  # as if the new password had been changed
        db.session.get(User, admin2_id).set_password(PASSWORD)
        db.session.commit()
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    assert "作った（または管理者にした）アカウント" in _flash(approve_as(_client(console, ADMIN2), notice_id, revision=1))
    assert _notice(console, notice_id).status == "pending_approval"


def test_an_editor_the_author_promoted_or_a_puppet_made_cannot_approve(console):
    admin = _client(console, ADMIN)
    with console.app_context():
        editor2 = db.session.scalar(select(User).where(User.email == EDITOR2))
        editor2_id = editor2.id
    # Promoted in the console by the author: the author knows nothing of the password, but chose the approver.
    admin.post(f"/admin/users/{editor2_id}", data={"role": "admin", "active": "y"})
    # And an admin made by that promoted account: still the author's chain.
    promoted = _client(console, EDITOR2)
    promoted.post("/admin/users", data={"email": PUPPET, "role": "admin", "password": PASSWORD})
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    for who in (EDITOR2, PUPPET):
        assert "作った（または管理者にした）" in _flash(approve_as(_client(console, who), notice_id, revision=1))
    assert _notice(console, notice_id).status == "pending_approval"
    with console.app_context():
        grants = db.session.execute(select(RoleGrant.role, RoleGrant.granted_by).where(
            RoleGrant.user_id == editor2_id)).all()
        admin_id = db.session.scalar(select(User.id).where(User.email == ADMIN))
    assert sorted(grants, key=str) == sorted([("editor", None), ("admin", admin_id)], key=str)


def test_the_overview_lists_every_admin_grant_for_admins_only(console):
    admin = _client(console, ADMIN)
    admin.post("/admin/users", data={"email": PUPPET, "role": "admin", "password": PASSWORD})
    page = admin.get("/admin/").get_data(as_text=True)
    section = page.split('id="admin-grants"', 1)[1].split("</section>", 1)[0]
    rows = [r for r in section.split("<tr>")[2:]]
    assert any(PUPPET in r and ADMIN in r and "管理画面" in r for r in rows)
    assert any(ADMIN2 in r and "コマンド（サーバー）" in r for r in rows)
    assert not any(EDITOR in r for r in rows)  # editors were never granted admin
    assert 'id="admin-grants"' not in _client(console, EDITOR).get("/admin/").get_data(as_text=True)


# -- 4. who may send back and who may withdraw ---------------------------------------------------------

def test_only_an_approver_may_send_a_notice_back(console):
    editor, admin = _client(console, EDITOR), _client(console, ADMIN)
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    assert editor.post(f"/admin/notices/{notice_id}/send-back").status_code == 403
    response = admin.post(f"/admin/notices/{notice_id}/send-back", follow_redirects=True)
    assert "差し戻せません" in _flash(response)
    assert _notice(console, notice_id).status == "pending_approval"

    response = _client(console, ADMIN2).post(f"/admin/notices/{notice_id}/send-back", follow_redirects=True)
    assert "下書きに戻しました" in _flash(response)
    assert _notice(console, notice_id).status == "draft"


def test_only_the_author_or_requester_may_withdraw(console):
    editor = _client(console, EDITOR)
    notice_id = _compose(editor)
    editor.post(f"/admin/notices/{notice_id}/request")
    for other in (EDITOR2, ADMIN2):
        client = _client(console, other)
        assert "依頼を取り下げる" not in client.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
        response = client.post(f"/admin/notices/{notice_id}/withdraw", follow_redirects=True)
        assert "取り下げられるのは、作成した人か承認を依頼した人だけです" in _flash(response)
        assert _notice(console, notice_id).status == "pending_approval"

    assert "依頼を取り下げる" in editor.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "取り下げました" in _flash(editor.post(f"/admin/notices/{notice_id}/withdraw", follow_redirects=True))
    assert _notice(console, notice_id).status == "draft"
    with console.app_context():
        assert db.session.scalar(select(AuditLog.actor).where(AuditLog.action == "notice.withdraw")) == EDITOR


def test_the_notice_pages_show_no_status_codes(console):
    editor = _client(console, EDITOR)
    notice_id = _compose(editor)
    editor.post(f"/admin/notices/{notice_id}/request")
    for path in ("/admin/notices/", f"/admin/notices/{notice_id}"):
        html = editor.get(path).get_data(as_text=True)
        visible = html.replace('class="badge pending_approval"', "")
        assert "pending_approval" not in visible and "承認待ち" in html


# -- 5. issue 19 B1: a second admin confirms an admin grant; then the new admin approves independently -------

NEWADMIN = "newadmin@example.invalid"


def _grant_id(app, email: str) -> int:
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        return db.session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user_id, RoleGrant.role == "admin")
                                 .order_by(RoleGrant.id.desc()))


def _decide(client, grant_id: int, decision: str) -> str:
    return _flash(client.post(f"/admin/users/grants/{grant_id}/{decision}", follow_redirects=True))


def test_the_normal_path_a_confirmed_admin_approves_its_makers_notice(console):
    """Admin A creates admin B in the console, admin C (made on the command line) confirms: B approves A."""
    admin = _client(console, ADMIN)
    assert "作成しました" in admin.post("/admin/users", data={"email": NEWADMIN, "role": "admin",
                                                         "password": PASSWORD}).get_data(as_text=True)
    grant_id = _grant_id(console, NEWADMIN)
    # The new admin's row waits on the accounts page, with the way explained where admins are created.
    page = admin.get("/admin/users").get_data(as_text=True)
    waiting = page.split('id="grant-confirm"', 1)[1].split("</section>", 1)[0]
    assert NEWADMIN in waiting and "自分が付けた権限は、自分では確認できません" in waiting
    assert "管理者を追加するとき" in page.split('id="admin-create-help"', 1)[1]
    # The maker cannot confirm their own grant.
    assert "自分が付けた権限は、自分では確認できません" in _decide(admin, grant_id, "confirm")
    # Nor can the new admin confirm itself.
    assert "自分への権限付与は" in _decide(_client(console, NEWADMIN), grant_id, "confirm")

    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    assert "作った（または管理者にした）" in _flash(approve_as(_client(console, NEWADMIN), notice_id, revision=1))

    other = _client(console, ADMIN2)
    page = other.get("/admin/users").get_data(as_text=True)
    assert f'action="/admin/users/grants/{grant_id}/confirm"' in page
    assert "権限を確認しました" in _decide(other, grant_id, "confirm")
    assert NEWADMIN not in other.get("/admin/users").get_data(as_text=True).split(
        'id="grant-confirm"', 1)[1].split("</section>", 1)[0]
    assert "承認しました" in _flash(approve_as(_client(console, NEWADMIN), notice_id))
    assert _notice(console, notice_id).approved_by == NEWADMIN
    with console.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.grant_confirm"))
        assert row.actor == ADMIN2 and NEWADMIN in row.summary and ADMIN in row.summary
        assert row.after == {"grant": grant_id, "granted_by": ADMIN}
        grant = db.session.get(RoleGrant, grant_id)
        assert (grant.decision, grant.decided_by) == ("confirmed", ADMIN2) and grant.decided_at is not None
    # The overview's record says who confirmed.
    assert "確認：" + ADMIN2 in admin.get("/admin/").get_data(as_text=True)


def test_nobody_confirms_the_puppet_stays_blocked_and_a_second_puppet_cannot_confirm(console):
    """A creates B and C; C (also A's) cannot confirm B; unconfirmed, B cannot approve A's notice."""
    admin = _client(console, ADMIN)
    admin.post("/admin/users", data={"email": NEWADMIN, "role": "admin", "password": PASSWORD})
    admin.post("/admin/users", data={"email": PUPPET, "role": "admin", "password": PASSWORD})
    grant_id = _grant_id(console, NEWADMIN)
    puppet = _client(console, PUPPET)
    assert "この権限付与に関わった人" in _decide(puppet, grant_id, "confirm")
    assert "この権限付与に関わった人" in _decide(puppet, grant_id, "refuse")
    # A admin made by B cannot be confirmed by A either: A is in its chain.
    newadmin = _client(console, NEWADMIN)
    newadmin.post("/admin/users", data={"email": "third@example.invalid", "role": "admin", "password": PASSWORD})
    assert "この権限付与に関わった人" in _decide(admin, _grant_id(console, "third@example.invalid"), "confirm")
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    for who in (NEWADMIN, PUPPET, "third@example.invalid"):
        assert "作った（または管理者にした）" in _flash(approve_as(_client(console, who), notice_id, revision=1))
    assert _notice(console, notice_id).status == "pending_approval"
    with console.app_context():
        assert db.session.scalar(select(RoleGrant.decision).where(RoleGrant.id == grant_id)) is None
        assert not db.session.scalars(select(AuditLog).where(AuditLog.action.like("user.grant_%"))).all()


def test_a_refused_grant_makes_the_account_an_editor_and_is_audited(console):
    admin = _client(console, ADMIN)
    admin.post("/admin/users", data={"email": NEWADMIN, "role": "admin", "password": PASSWORD})
    grant_id = _grant_id(console, NEWADMIN)
    assert "拒否しました" in _decide(_client(console, ADMIN2), grant_id, "refuse")
    assert "確認待ちではありません" in _decide(_client(console, ADMIN2), grant_id, "confirm")
    with console.app_context():
        user = db.session.scalar(select(User).where(User.email == NEWADMIN))
        assert user.role == "editor"
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.grant_refuse"))
        assert (row.actor, row.target_id, row.before) == (ADMIN2, str(user.id), {"role": "admin"})


def test_a_password_reset_is_confirmed_like_a_grant(console):
    """An admin whose password another admin reset waits for a third admin, then approves the resetter."""
    admin = _client(console, ADMIN)
    with console.app_context():
        admin2_id = db.session.scalar(select(User.id).where(User.email == ADMIN2))
    admin.post(f"/admin/users/{admin2_id}/password")
    grant_id = _grant_id(console, ADMIN2)
    with console.app_context():
        db.session.get(User, admin2_id).set_password(PASSWORD)
        create_user("third@example.invalid", "admin", PASSWORD, actor="cli")
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    assert "作った（または管理者にした）" in _flash(approve_as(_client(console, ADMIN2), notice_id, revision=1))
    assert "権限を確認しました" in _decide(_client(console, "third@example.invalid"), grant_id, "confirm")
    assert "承認しました" in _flash(approve_as(_client(console, ADMIN2), notice_id))


def test_a_lone_admin_is_told_the_way_and_the_command_line_confirms(console):
    with console.app_context():
        db.session.execute(update(User).where(User.email == ADMIN2).values(role="editor"))
        db.session.commit()
    admin = _client(console, ADMIN)
    admin.post("/admin/users", data={"email": NEWADMIN, "role": "admin", "password": PASSWORD})
    # While ADMIN is the only active admin, the accounts page says what to do.
    with console.app_context():
        db.session.execute(update(User).where(User.email == NEWADMIN).values(active=False))
        db.session.commit()
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "管理者があなたひとりのとき" in page and "users confirm-grant" in page and "users create" in page
    with console.app_context():
        db.session.execute(update(User).where(User.email == NEWADMIN).values(active=True))
        db.session.commit()
    result = console.test_cli_runner().invoke(args=["users", "confirm-grant", NEWADMIN])
    assert result.exit_code == 0, result.output
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    assert "承認しました" in _flash(approve_as(_client(console, NEWADMIN), notice_id))
    with console.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.grant_confirm"))
        assert row.actor == "cli"
    again = console.test_cli_runner().invoke(args=["users", "confirm-grant", NEWADMIN])
    assert again.exit_code != 0 and "no admin grant waiting" in again.output
