"""Test sends: only to staff recipients admins registered, only before approval, rate-limited, audited, in Japanese."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.extensions import db
from bot.line.client import LineGateway
from bot.models import AuditLog, Notice
from bot.models import TestRecipient as Recipient  # a "Test…" name would look like a test class to pytest
from tests.support.console import ADMIN, EDITOR, login, make_users
from tests.conftest import TOKEN
from tests.notices.support import FAST, PUSH, STAFF_UID, add_test_recipient

OTHER_UID = "U" + "d" * 32


@pytest.fixture
def console(loaded_app):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True,
                              "WTF_CSRF_ENABLED": False, "NOTICE_TEST_SENDS_PER_HOUR": 3})
    make_users(loaded_app)
    return loaded_app


def _client(app, who: str):
    client = app.test_client()
    assert login(client, who).status_code == 302
    return client


def _compose(client) -> int:
    response = client.post("/admin/notices/new", data={"title": "説明会", "body": "開きます。", "audience": "all",
                                                       "timing": "now"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _test_send(client, notice_id: int, **data) -> str:
    return client.post(f"/admin/notices/{notice_id}/test", data=data, follow_redirects=True).get_data(as_text=True)


def _audited(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


# -- the recipients page ------------------------------------------------------------------------------

def test_admins_register_and_remove_test_recipients_and_it_is_audited(console):
    admin = _client(console, ADMIN)
    page = admin.post("/admin/notices/test-recipients", data={"name": "広報係 佐藤", "line_user_id": STAFF_UID},
                      follow_redirects=True).get_data(as_text=True)
    assert "テスト送信先に登録しました" in page and "広報係 佐藤" in page and STAFF_UID in page
    again = admin.post("/admin/notices/test-recipients", data={"name": "別名", "line_user_id": STAFF_UID})
    assert again.status_code == 200 and "すでに登録されています" in again.get_data(as_text=True)
    bad = admin.post("/admin/notices/test-recipients", data={"name": "広報係 鈴木", "line_user_id": "U123"})
    assert bad.status_code == 200 and "U で始まり" in bad.get_data(as_text=True)
    long = admin.post("/admin/notices/test-recipients", data={"name": "広報係" * 30, "line_user_id": STAFF_UID})
    assert long.status_code == 200 and "80 文字を超えることはできません" in long.get_data(as_text=True)
    with console.app_context():
        recipient_id = db.session.scalar(select(Recipient.id))
        added = _audited("notice.test_recipient.add")
        assert [(a.actor, a.summary) for a in added] == [(ADMIN, "テスト送信先「広報係 佐藤」を登録")]
        assert STAFF_UID not in added[0].summary
    removed = admin.post(f"/admin/notices/test-recipients/{recipient_id}/delete", follow_redirects=True)
    assert "テスト送信先から外しました" in removed.get_data(as_text=True)
    with console.app_context():
        assert db.session.scalar(select(func.count(Recipient.id))) == 0
        assert len(_audited("notice.test_recipient.remove")) == 1


def test_the_recipients_page_is_for_admins_only(console):
    editor = _client(console, EDITOR)
    assert editor.get("/admin/notices/test-recipients").status_code == 403
    assert editor.post("/admin/notices/test-recipients", data={"name": "私", "line_user_id": OTHER_UID}
                       ).status_code == 403
    recipient = add_test_recipient(console)
    assert editor.post(f"/admin/notices/test-recipients/{recipient}/delete").status_code == 403
    with console.app_context():
        assert db.session.scalar(select(func.count(Recipient.id))) == 1


# -- who and what can be test-sent ----------------------------------------------------------------------

def test_a_free_typed_or_unknown_recipient_is_refused(console, fake_line):
    add_test_recipient(console)
    editor = _client(console, EDITOR)
    notice_id = _compose(editor)
    assert "送り先を選んでください" in _test_send(editor, notice_id, test_user_id=OTHER_UID)
    assert "登録されていません" in _test_send(editor, notice_id, recipient="999")
    assert fake_line.calls(PUSH) == []


def test_only_drafts_and_waiting_notices_can_be_test_sent(console, fake_line):
    recipient = add_test_recipient(console)
    editor = _client(console, EDITOR)
    waiting = _compose(editor)
    editor.post(f"/admin/notices/{waiting}/request")
    assert "にテスト送信しました" in _test_send(editor, waiting, recipient=recipient)

    cancelled = _compose(editor)
    editor.post(f"/admin/notices/{cancelled}/cancel")
    page = editor.get(f"/admin/notices/{cancelled}").get_data(as_text=True)
    assert "テスト送信</button>" not in page
    assert "下書きと承認待ちのお知らせだけです" in _test_send(editor, cancelled, recipient=recipient)
    with console.app_context():
        scheduled = db.session.get(Notice, waiting)
        scheduled.status = "scheduled"
        db.session.commit()
    assert "下書きと承認待ちのお知らせだけです" in _test_send(editor, waiting, recipient=recipient)
    assert len(fake_line.calls(PUSH)) == 1


def test_test_sends_are_limited_per_staff_member_per_hour_and_audited(console, fake_line):
    recipient = add_test_recipient(console)
    editor, admin = _client(console, EDITOR), _client(console, ADMIN)
    notice_id = _compose(editor)
    for _ in range(3):
        assert "にテスト送信しました" in _test_send(editor, notice_id, recipient=recipient)
    assert "1時間に3回までです" in _test_send(editor, notice_id, recipient=recipient)
    assert len(fake_line.calls(PUSH)) == 3
    # The limit is each person's own.
    assert "にテスト送信しました" in _test_send(admin, notice_id, recipient=recipient)
    with console.app_context():
        rows = _audited("notice.test_send")
        assert [r.actor for r in rows] == [EDITOR] * 3 + [ADMIN]
        assert rows[0].after == {"recipient": recipient, "ok": True, "status": 200}
        assert all(STAFF_UID not in (r.summary or "") for r in rows)


# -- LINE not connected or not reachable ----------------------------------------------------------------

def test_without_a_line_token_the_test_send_says_line_is_not_connected(console, fake_line):
    recipient = add_test_recipient(console)
    console.extensions["line_gateway"] = LineGateway("", fake_line.url, 0.5)
    editor = _client(console, EDITOR)
    page = _test_send(editor, _compose(editor), recipient=recipient)
    assert "LINE との接続がまだ設定されていません" in page
    assert fake_line.calls(PUSH) == []


def test_when_line_cannot_be_reached_the_reason_is_logged_and_staff_read_japanese(console, caplog):
    recipient = add_test_recipient(console)
    # A name no resolver knows: the NameResolutionError staff saw in English.
    console.extensions["line_gateway"] = LineGateway(TOKEN, "http://line-api.invalid", 0.5)
    editor = _client(console, EDITOR)
    notice_id = _compose(editor)
    with caplog.at_level(logging.WARNING):
        page = _test_send(editor, notice_id, recipient=recipient)
    assert "LINE につながりませんでした" in page
    assert "Error" not in page.split('<main', 1)[1] and "line-api.invalid" not in page
    assert "NameResolutionError" in caplog.text or "NewConnectionError" in caplog.text
    assert f"test send of notice {notice_id} failed: status=None" in caplog.text
    with console.app_context():
        assert _audited("notice.test_send")[0].after == {"recipient": recipient, "ok": False, "status": None}
