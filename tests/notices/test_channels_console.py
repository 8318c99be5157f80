"""Channels and display period in the console: compose, validation in Japanese, approval page, audit, take-down."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import AuditLog, Facility, Notice, OutboxBatch
from bot.notices import schedule
from tests.support.console import ADMIN, EDITOR, login, make_users
from tests.notices.support import FAST, add_followers, approve_as


@pytest.fixture
def console(loaded_app):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True,
                              "WTF_CSRF_ENABLED": False})
    make_users(loaded_app)
    with loaded_app.app_context():
        add_followers(range(3))
        db.session.add_all([Facility(name="市民会館"), Facility(name="図書館")])
        db.session.commit()
    return loaded_app


def _client(app, who: str):
    client = app.test_client()
    login(client, who)
    return client


def _form(**changes) -> dict:
    return {"title": "図書館の臨時休館", "body": "12月28日から休館します。", "audience": "all", "timing": "now",
            "entry_slug": "", "url": "", "channels_shown": "1", "channels": ["line"], "screens": "all",
            "display_from": "", "display_until": "", **changes}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notice))


@pytest.mark.parametrize("changes, words", [
    ({"channels": []}, "一つ以上選んでください"),
    ({"channels": ["signage"]}, "終了日時を入力してください"),
    ({"channels": ["web"], "display_from": "2999-01-02T10:00", "display_until": "2999-01-01T10:00"}, "開始日時より後"),
    ({"channels": ["web"], "display_until": "2000-01-01T10:00"}, "過ぎています"),
    ({"channels": ["web"], "display_until": "あした"}, "年/月/日 時:分"),
    ({"channels": ["web"], "display_until": "0001-01-01T00:00"}, "2000年から2999年"),
    ({"channels": ["signage"], "screens": "chosen", "display_until": "2999-01-01T10:00"}, "施設を1つ以上"),
    ({"channels": ["signage"], "screens": "chosen", "facilities": ["999"], "display_until": "2999-01-01T10:00"},
     "登録されていない施設"),
    ({"channels": ["signage"], "screens": "chosen", "facilities": ["<x>"], "display_until": "2999-01-01T10:00"},
     "登録されていない施設"),
    ({"channels": ["fax"]}, "知らない配信先"),
])
def test_bad_channels_and_periods_are_refused_in_japanese(console, changes, words):
    client = _client(console, EDITOR)
    response = client.post("/admin/notices/new", data=_form(**changes))
    assert response.status_code == 200 and words in response.get_data(as_text=True)
    with console.app_context():
        assert _count() == 0


def test_compose_for_signage_and_web_then_one_approval(console, fake_line):
    editor, admin = _client(console, EDITOR), _client(console, ADMIN)
    page = editor.get("/admin/notices/new").get_data(as_text=True)
    for words in ("LINE（友だちに1回送ります）", "サイネージ（施設の画面）", "公開ページ", "すべての画面", "市民会館",
                  "表示の開始", "表示の終了"):
        assert words in page
    with console.app_context():
        hall = db.session.scalar(select(Facility.id).where(Facility.name == "市民会館"))
    response = editor.post("/admin/notices/new", data=_form(
        channels=["line", "signage", "web"], screens="chosen", facilities=[str(hall)],
        display_from="2026-12-01T09:00", display_until="2999-01-01T18:00"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    editor.post(f"/admin/notices/{notice_id}/request")
    detail = admin.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "LINE・サイネージ・公開ページ" in detail and "市民会館" in detail
    assert "2999-01-01 18:00" in detail or "2999/01/01 18:00" in detail
    approve_as(admin, notice_id)
    with console.app_context():
        notice = db.session.get(Notice, notice_id)
        assert notice.status == "scheduled" and notice.signage_facility_ids == [hall]
        created = db.session.scalar(select(AuditLog).where(AuditLog.action == "notice.create"))
        assert created.after["channels"] == ["line", "signage", "web"] and created.after["facilities"] == [hall]
        assert created.after["display_until"].startswith("2999-01-01T09:00")  # 18:00 in Tokyo
    listing = admin.get("/admin/notices/").get_data(as_text=True)
    assert "公開中" in listing
    assert "公開中" in admin.get(f"/admin/notices/{notice_id}").get_data(as_text=True)


def test_edit_audits_the_period_before_and_after(console):
    editor = _client(console, EDITOR)
    response = editor.post("/admin/notices/new", data=_form(channels=["web"], display_until="2999-01-01T10:00"))
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    editor.post(f"/admin/notices/{notice_id}/edit", data=_form(channels=["web", "line"],
                                                                 display_until="2999-02-01T10:00"))
    with console.app_context():
        edit = db.session.scalar(select(AuditLog).where(AuditLog.action == "notice.edit"))
        assert edit.before["channels"] == ["web"] and edit.after["channels"] == ["web", "line"]
        assert edit.before["display_until"].startswith("2999-01-01") and edit.after["display_until"].startswith("2999-02-01")
        assert edit.after["revision"] == 2
    audit_page = _client(console, ADMIN).get("/admin/audit").get_data(as_text=True)
    assert "配信先" in audit_page and "表示の終了" in audit_page


def test_a_web_only_notice_is_approved_once_and_sends_nothing(console, fake_line):
    editor, admin = _client(console, EDITOR), _client(console, ADMIN)
    response = editor.post("/admin/notices/new", data=_form(channels=["web"], display_until="2999-01-01T10:00",
                                                            timing="at", send_at="2999-01-01T08:00"))
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    editor.post(f"/admin/notices/{notice_id}/request")
    assert "表示期間のあいだ公開します" in approve_as(admin, notice_id).get_data(as_text=True)
    with console.app_context():
        assert db.session.get(Notice, notice_id).send_at is None  # the send time is LINE's
        schedule.release_due()
        assert db.session.scalar(select(func.count()).select_from(OutboxBatch)) == 0
        assert db.session.get(Notice, notice_id).status == "sent"
    assert fake_line.requests == []
    detail = admin.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "公開中" in detail and "LINE では送りません" in detail and "送信済み" not in detail


def test_take_down_from_the_console(console):
    editor, admin = _client(console, EDITOR), _client(console, ADMIN)
    response = editor.post("/admin/notices/new", data=_form(channels=["web"], display_until="2999-01-01T10:00"))
    notice_id = int(response.headers["Location"].rsplit("/", 1)[1])
    editor.post(f"/admin/notices/{notice_id}/request")
    approve_as(admin, notice_id)
    with console.app_context():
        schedule.release_due()
    detail = admin.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    assert "掲載を取り下げる" in detail
    assert admin.get(f"/notices/{notice_id}").status_code == 200
    done = admin.post(f"/admin/notices/{notice_id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "掲載を取り下げました" in done and "公開終了" in done
    assert admin.get(f"/notices/{notice_id}").status_code == 404
    with console.app_context():
        assert db.session.get(Notice, notice_id).status == "sent"
        assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "notice.unpublish")) == 1


def test_a_page_from_before_channels_still_saves_for_line(console):
    editor = _client(console, EDITOR)
    old = {k: v for k, v in _form().items() if k not in ("channels_shown", "channels")}
    response = editor.post("/admin/notices/new", data=old)
    assert response.status_code == 302
    with console.app_context():
        assert db.session.scalar(select(Notice.channels)) == ["line"]
