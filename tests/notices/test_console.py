"""The console's notice pages: compose with preview and count, approval by another admin, report."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditLog, Notice
from bot.notices import schedule
from bot.notices.delivery import Deliverer
from tests.support.console import ADMIN, EDITOR, login, make_users
from tests.notices.support import FAST, MULTICAST, PUSH, STAFF_UID, add_followers, add_test_recipient, approve_as

KIDS = "子育て・教育"


@pytest.fixture
def console(loaded_app):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True,
                              "WTF_CSRF_ENABLED": False})
    make_users(loaded_app)
    with loaded_app.app_context():
        add_followers(range(3), topics=(KIDS,))
        add_followers(range(10, 12))
    return loaded_app


def _client(app, who: str):
    client = app.test_client()
    login(client, who)
    return client


def _compose(client, **changes) -> int:
    data = {"title": "出産応援ギフトの申請受付", "body": "受付を始めました。", "audience": "topics", "topics": [KIDS],
            "timing": "now", "entry_slug": "childbirth-gifts", "url": "", **changes}
    response = client.post("/admin/notices/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_pages_need_a_login(console):
    anonymous = console.test_client()
    for path in ("/admin/notices/", "/admin/notices/new"):
        assert anonymous.get(path).status_code == 302
    assert anonymous.post("/admin/notices/preview", json={}, headers={"Accept": "application/json"}).status_code == 401


def test_preview_returns_the_bubble_and_live_count(console):
    client = _client(console, EDITOR)
    data = client.post("/admin/notices/preview", json={
        "title": "件名", "body": "本文", "audience": "topics", "topics": [KIDS], "entry_slug": "childbirth-gifts"}
    ).get_json()
    assert data["count"] == 3 and data["problems"] == {}
    assert data["message"]["contents"]["footer"]["contents"][0]["action"]["label"] == "くわしく"
    assert client.post("/admin/notices/preview", json={"audience": "all"}).get_json()["count"] == 5
    bad = client.post("/admin/notices/preview", json={"title": "t", "body": "b", "url": "ftp://x"}).get_json()
    assert "url" in bad["problems"]


def test_compose_request_approve_and_report(console, fake_line):
    editor = _client(console, EDITOR)
    notice_id = _compose(editor)
    page = editor.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "承認を依頼する" in page and "3人" in page
    assert editor.post(f"/admin/notices/{notice_id}/request").status_code == 302
    # An editor cannot approve, whoever wrote it.
    assert editor.post(f"/admin/notices/{notice_id}/approve").status_code == 403

    admin = _client(console, ADMIN)
    assert "承認して送信" in admin.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "承認しました" in approve_as(admin, notice_id).get_data(as_text=True)
    with console.app_context():
        notice = db.session.get(Notice, notice_id)
        assert (notice.status, notice.approved_by) == ("scheduled", ADMIN)
        schedule.release_due()
        Deliverer().drain(max_wait=5)
        actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"notice.create", "notice.request", "notice.approve"} <= actions
    assert len(fake_line.delivered()) == 3
    page = admin.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert '<td data-k="delivered">3</td>' in page and "送信済み" in page
    assert "出産応援ギフトの申請受付" in admin.get("/admin/notices/").get_data(as_text=True)


def test_an_admin_cannot_approve_their_own_notice(console, fake_line):
    admin = _client(console, ADMIN)
    notice_id = _compose(admin)
    admin.post(f"/admin/notices/{notice_id}/request")
    page = admin.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "承認して送信" not in page and "依頼した人は承認できません" in page
    response = admin.post(f"/admin/notices/{notice_id}/approve", data={"revision": "1"}, follow_redirects=True)
    assert "別の管理者が承認してください" in response.get_data(as_text=True)
    with console.app_context():
        assert db.session.get(Notice, notice_id).status == "pending_approval"


def test_compose_errors_are_shown_on_the_form(console):
    editor = _client(console, EDITOR)
    response = editor.post("/admin/notices/new", data={"title": "件名", "body": "本文", "audience": "topics",
                                                         "timing": "now", "url": "javascript:alert(1)"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "テーマを1つ以上選ぶか" in html
    response = editor.post("/admin/notices/new", data={"title": "件名", "body": "本文", "audience": "all",
                                                         "timing": "now", "url": "javascript:alert(1)"})
    assert "https:// で始まる URL" in response.get_data(as_text=True)


def test_scheduled_time_in_quiet_hours_says_it_waits_for_morning(console):
    console.config["NOTICE_QUIET_HOURS"] = "21:00-08:00"
    editor = _client(console, EDITOR)
    notice_id = _compose(editor, timing="at", send_at="2999-01-01T22:30")
    page = editor.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "2999-01-02 08:00" in page and "朝に送ります" in page


def test_test_send_goes_to_the_registered_staff_account(console, fake_line):
    recipient = add_test_recipient(console)
    editor = _client(console, EDITOR)
    notice_id = _compose(editor)
    page = editor.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "企画課 テスト端末" in page and STAFF_UID not in page  # a choice of names, not a box for an id
    response = editor.post(f"/admin/notices/{notice_id}/test", data={"recipient": recipient}, follow_redirects=True)
    assert "企画課 テスト端末 にテスト送信しました" in response.get_data(as_text=True)
    assert [c.body["to"] for c in fake_line.calls(PUSH)] == [STAFF_UID]
    assert fake_line.calls(MULTICAST) == []
