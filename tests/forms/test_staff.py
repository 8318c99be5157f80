"""Staff's 申込み: who sees personal data, the list, status and memo, export, deletion, retention, settings, editor."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.core.tenancy import keyed
from bot.extensions import db
from bot.forms.retention import purge
from bot.models import AuditLog, FormSetting, FormSubmission, FormVersion, User
from tests.support.console import (  # noqa: F401  (fixtures)
    ADMIN, EDITOR, PASSWORD, admin_client, console, editor_client, login,
)
from tests.forms.staff_support import DEFINITION, SLUG, make_version, submit

HANDLER = "handler@example.invalid"
PERSONAL = ("芦別 花子", "あしべつ はなこ", "hanako@example.invalid", "世田谷区")


@pytest.fixture
def records(console):
    """Three applications: two new (web, LINE), one cancelled; returns their ids by receipt number."""
    with console.app_context():
        v = make_version()
        a = submit(v, "S-AAAA-1111")
        b = submit(v, "S-BBBB-2222", channel="line", line_user_id="U" + "1" * 32, name="札幌 太郎",
                   kana="さっぽろ たろう", email="taro@example.invalid", prefecture="北海道", relation=["以前住んでいた"],
                   created=datetime.now(timezone.utc) - timedelta(days=40))
        c = submit(v, "S-CCCC-3333", status="cancelled", name="取消 次郎", kana="とりけし じろう",
                   withdrawn=datetime.now(timezone.utc))
        return {"a": a.id, "b": b.id, "c": c.id}


@pytest.fixture
def handler_client(console):
    from bot.staff.accounts import create_user

    with console.app_context():
        user = create_user(HANDLER, "editor", PASSWORD)
        user.handles_applications = True
        db.session.commit()
    client = console.test_client()
    assert login(client, HANDLER).status_code == 302
    return client


def _audit(app, action: str) -> list[AuditLog]:
    with app.app_context():
        return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _no_personal_data(rows: list[AuditLog]) -> None:
    for row in rows:
        text = json.dumps([row.summary, row.before, row.after, row.target_id], ensure_ascii=False)
        for value in (*PERSONAL, "札幌 太郎", "取消 次郎", "電話で"):
            assert value not in text, (row.action, value)


def test_an_editor_sees_counts_but_no_names(console, records, editor_client):
    page = editor_client.get("/admin/applications").get_data(as_text=True)
    assert "新規" in page and "取消" in page and "2件" in page  # two new
    for value in ("芦別 花子", "札幌 太郎", "S-AAAA-1111"):
        assert value not in page
    assert "申込み担当" in page
    assert editor_client.get(f"/admin/applications/{records['a']}").status_code == 403
    assert editor_client.get("/admin/applications/export.csv").status_code == 403
    assert editor_client.post(f"/admin/applications/{records['a']}/delete", data={"receipt": "S-AAAA-1111"}).status_code == 403
    forbidden = editor_client.get(f"/admin/applications/{records['a']}").get_data(as_text=True)
    assert "申込み担当" in forbidden
    assert _audit(console, "application.view") == [] and _audit(console, "application.list") == []


def test_a_handler_sees_the_list_and_each_view_is_audited(console, records, handler_client):
    page = handler_client.get("/admin/applications").get_data(as_text=True)
    assert "芦別 花子" in page and "札幌 太郎" in page and "S-AAAA-1111" in page
    assert len(_audit(console, "application.list")) == 1
    detail = handler_client.get(f"/admin/applications/{records['a']}").get_data(as_text=True)
    # Labels from the form version the resident answered; multi-selects joined with 、.
    assert "芦別とのご縁" in detail and "芦別出身、ふるさと納税" in detail and "hanako@example.invalid" in detail
    views = _audit(console, "application.view")
    assert [(v.actor, v.target_id) for v in views] == [(HANDLER, "S-AAAA-1111")]
    _no_personal_data(views)


@pytest.mark.parametrize("query, expected", [
    ({"q": "アシベツ"}, {"S-AAAA-1111"}),            # katakana finds the hiragana ふりがな
    ({"q": "札幌"}, {"S-BBBB-2222"}),
    ({"q": "s-cccc"}, {"S-CCCC-3333"}),              # receipt numbers in any case
    ({"status": "cancelled"}, {"S-CCCC-3333"}),
    ({"channel": "line"}, {"S-BBBB-2222"}),
    ({"since": (datetime.now(timezone.utc) - timedelta(days=7)).date().isoformat()}, {"S-AAAA-1111", "S-CCCC-3333"}),
    ({"until": (datetime.now(timezone.utc) - timedelta(days=30)).date().isoformat()}, {"S-BBBB-2222"}),
    ({"form": "other-form"}, set()),
    ({"status": "nonsense", "since": "2026-02-30"}, {"S-AAAA-1111", "S-BBBB-2222", "S-CCCC-3333"}),
])
def test_search_and_filters(console, records, admin_client, query, expected):
    page = admin_client.post("/admin/applications", data=query).get_data(as_text=True)
    shown = {r for r in ("S-AAAA-1111", "S-BBBB-2222", "S-CCCC-3333") if r in page}
    assert shown == expected
    if "q" not in query:  # a link may still carry the other filters in its query string
        page = admin_client.get("/admin/applications", query_string=query).get_data(as_text=True)
        assert {r for r in ("S-AAAA-1111", "S-BBBB-2222", "S-CCCC-3333") if r in page} == expected


def test_a_searched_name_never_goes_into_a_url(console, records, admin_client):
    """Issue 19 A8: the search is posted; a name in the query string is ignored, so no page or link makes one."""
    import re

    with console.app_context():
        v = make_version()
        for n in range(55):
            submit(v, f"S-P{n:03d}", name="札幌 三郎")
    page = admin_client.post("/admin/applications", data={"q": "札幌", "status": "new"}).get_data(as_text=True)
    assert "2 / 2" not in page and "1 / 2" in page and 'value="札幌"' in page
    assert re.search(r'<form method="post" action="/admin/applications"[^>]*role="search"', page)
    hrefs = re.findall(r'(?:href|action)="([^"]*)"', page)
    assert not [h for h in hrefs if "札幌" in h or "%E6%9C%AD" in h.upper() or "q=" in h], hrefs
    # The next page and the export carry the search in posted hidden fields.
    assert page.count('<input type="hidden" name="q" value="札幌">') == 2
    second = admin_client.post("/admin/applications", data={"q": "札幌", "status": "new", "page": "2"})
    assert "2 / 2" in second.get_data(as_text=True)
    everything = admin_client.get("/admin/applications?q=" + "札幌").get_data(as_text=True)
    assert "58件" in everything and 'value="札幌"' not in everything  # ignored in a URL (56 match it)
    export = admin_client.post("/admin/applications/export.csv", data={"q": "札幌"}).data.decode("utf-8-sig")
    assert export.count("札幌 三郎") == 55 and "芦別 花子" not in export


def test_the_list_is_paginated(console, admin_client):
    with console.app_context():
        v = make_version()
        for n in range(55):
            submit(v, f"S-P{n:03d}")
    first = admin_client.get("/admin/applications").get_data(as_text=True)
    second = admin_client.get("/admin/applications?page=2").get_data(as_text=True)
    assert "1 / 2" in first and "2 / 2" in second
    assert first.count("/admin/applications/") - second.count("/admin/applications/") > 40


def test_status_change_and_memo_are_audited_without_personal_data(console, records, handler_client):
    url = f"/admin/applications/{records['a']}"
    response = handler_client.post(url, data={"status": "confirmed", "memo": "電話で住所を確認した"})
    assert response.status_code == 302
    with console.app_context():
        s = db.session.get(FormSubmission, records["a"])
        assert (s.status, s.memo) == ("confirmed", "電話で住所を確認した")
    status = _audit(console, "application.status")
    assert len(status) == 1
    assert status[0].summary == "受付番号 S-AAAA-1111 の状態を確認済みに変更"
    assert (status[0].before, status[0].after) == ({"application_status": "new"}, {"application_status": "confirmed"})
    _no_personal_data(status + _audit(console, "application.memo"))
    history = handler_client.get(url).get_data(as_text=True)
    assert "状態を確認済みに変更" in history and "メモを変更" in history


def test_a_bad_status_or_a_long_memo_changes_nothing(console, records, admin_client):
    url = f"/admin/applications/{records['a']}"
    assert admin_client.post(url, data={"status": "deleted", "memo": ""}).status_code == 400
    long = admin_client.post(url, data={"status": "done", "memo": "あ" * 10_000})
    assert long.status_code == 400 and "2000文字以内" in long.get_data(as_text=True)
    with console.app_context():
        s = db.session.get(FormSubmission, records["a"])
        assert (s.status, s.memo) == ("new", "")
    assert _audit(console, "application.status") == []


def test_export_is_excel_friendly_formula_safe_and_audited(console, admin_client):
    with console.app_context():
        v = make_version()
        submit(v, "S-EXPT-0001", name="=HYPERLINK(\"http://evil.example\")", city="+81", relation=["芦別出身", "その他"])
    response = admin_client.get("/admin/applications/export.csv", query_string={"status": "new"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, row = rows[0], rows[1]
    assert header[:4] == ["受付番号", "フォーム", "版", "受付日時"] and "芦別とのご縁" in header and "ふりがな" in header
    cell = dict(zip(header, row))
    assert cell["氏名"].startswith("'=") and cell["お住まいの市区町村"] == "'+81"
    assert cell["芦別とのご縁"] == "芦別出身、その他" and cell["版"] == "1" and cell["状態"] == "新規"
    exports = _audit(console, "application.export")
    assert len(exports) == 1 and exports[0].after == {"status": "new", "count": 1} and exports[0].actor == ADMIN


def test_the_search_text_of_an_export_is_not_logged(console, records, admin_client):
    admin_client.post("/admin/applications/export.csv", data={"q": "芦別 花子"})
    _no_personal_data(_audit(console, "application.export"))
    assert _audit(console, "application.export")[0].after["search"] == "あり"


def test_delete_needs_the_receipt_number_and_leaves_only_that(console, records, handler_client):
    url = f"/admin/applications/{records['a']}/delete"
    handler_client.post(f"/admin/applications/{records['a']}", data={"status": "done", "memo": "電話で依頼"})
    assert handler_client.post(url, data={"receipt": "S-BBBB-2222"}).status_code == 302
    with console.app_context():
        assert db.session.get(FormSubmission, records["a"]) is not None
    assert handler_client.post(url, data={"receipt": "s-aaaa-1111"}).status_code == 302
    with console.app_context():
        assert db.session.get(FormSubmission, records["a"]) is None
        assert db.session.scalar(select(func.count(FormSubmission.id))) == 2
    deleted = _audit(console, "application.delete")
    assert len(deleted) == 1
    assert (deleted[0].summary, deleted[0].before, deleted[0].after) == ("受付番号 S-AAAA-1111 を削除", None, None)
    with console.app_context():
        _no_personal_data(list(db.session.scalars(select(AuditLog))))
    assert handler_client.get(f"/admin/applications/{records['a']}").status_code == 404


def test_purge_deletes_records_past_retention_and_withdrawn_ones_from_withdrawal(console, runner):
    now = datetime.now(timezone.utc)
    with console.app_context():
        v = make_version()
        submit(v, "S-OLD-0001", created=now - timedelta(days=400))
        submit(v, "S-NEW-0001", created=now - timedelta(days=10))
        # Applied long ago, withdrew last week: kept until the period has run from the withdrawal.
        submit(v, "S-WDR-0001", created=now - timedelta(days=400), status="cancelled", withdrawn=now - timedelta(days=7))
        submit(v, "S-WDR-0002", created=now - timedelta(days=800), status="cancelled", withdrawn=now - timedelta(days=366))
        assert purge() == 0  # no retention set: kept until deleted
        db.session.add(FormSetting(slug=SLUG, paper_registrations=0, retention_days=365))
        db.session.commit()
    result = console.test_cli_runner().invoke(args=["forms", "purge"])
    assert result.exit_code == 0 and "2件" in result.output
    with console.app_context():
        left = set(db.session.scalars(select(FormSubmission.receipt_no)))
        assert left == {"S-NEW-0001", "S-WDR-0001"}
    purged = _audit(console, "application.purge")
    assert sorted(p.target_id for p in purged) == ["S-OLD-0001", "S-WDR-0002"]
    assert all(p.before is None and p.after is None and p.actor == "cli" for p in purged)


def test_the_kpi_on_the_overview_counts_paper_and_online(console, records, admin_client, editor_client):
    # Editors see it too: counts are not personal data.
    page = editor_client.get("/admin/").get_data(as_text=True)
    assert "応援団の登録者数" in page and "2人" in page and "目標 50人" in page and "令和6年度" in page
    assert "<svg" in page and "<title id=\"kpi-supporters-club-months-t\">" in page and "<desc" in page
    assert "芦別出身" in page and "東京都" in page and "北海道" in page
    assert "芦別 花子" not in page
    assert admin_client.post(f"/admin/forms/{SLUG}/settings", data={"paper_registrations": "24"}).status_code == 302
    page = editor_client.get("/admin/").get_data(as_text=True)
    assert "26人" in page and "紙 24人 ＋ オンライン 2人" in page and "52%" in page
    paper = _audit(console, "form.paper")
    assert len(paper) == 1 and paper[0].after == {"paper_registrations": 24}


def test_paper_count_for_handlers_retention_for_admins(console, records, editor_client, handler_client, admin_client):
    assert editor_client.get(f"/admin/forms/{SLUG}/settings").status_code == 403
    assert handler_client.post(f"/admin/forms/{SLUG}/settings", data={"paper_registrations": "3"}).status_code == 302
    bad = handler_client.post(f"/admin/forms/{SLUG}/settings", data={"paper_registrations": "-1"})
    assert bad.status_code == 400 and "0から" in bad.get_data(as_text=True)
    assert handler_client.post(f"/admin/forms/{SLUG}/retention", data={"retention_days": "30"}).status_code == 403
    assert admin_client.post(f"/admin/forms/{SLUG}/retention", data={"retention_days": "0"}).status_code == 400
    assert admin_client.post(f"/admin/forms/{SLUG}/retention", data={"retention_days": "1095"}).status_code == 302
    with console.app_context():
        setting = keyed(FormSetting, SLUG)
        assert (setting.paper_registrations, setting.retention_days) == (3, 1095)
    assert _audit(console, "form.retention")[0].after == {"retention_days": 1095}
    assert admin_client.get("/admin/forms/no-such-form/settings").status_code == 404


def test_admins_grant_and_revoke_the_handler_permission(console, records, admin_client, editor_client):
    with console.app_context():
        editor_id = db.session.scalar(select(User.id).where(User.email == EDITOR))
    assert "担当にする" in admin_client.get("/admin/users").get_data(as_text=True)
    assert editor_client.post(f"/admin/users/{editor_id}/applications", data={"handles_applications": "y"}).status_code == 403
    assert admin_client.post(f"/admin/users/{editor_id}/applications", data={"handles_applications": "y"}).status_code == 302
    assert editor_client.get(f"/admin/applications/{records['a']}").status_code == 200
    assert admin_client.post(f"/admin/users/{editor_id}/applications", data={}).status_code == 302
    # Revoked at once, in the session that is already open.
    assert editor_client.get(f"/admin/applications/{records['a']}").status_code == 403
    grants = _audit(console, "user.applications")
    assert [g.after for g in grants] == [{"handles_applications": True}, {"handles_applications": False}]


def test_admins_edit_a_form_as_yaml_and_old_answers_keep_their_version(console, records, admin_client, handler_client):
    url = f"/admin/forms/{SLUG}/edit"
    assert handler_client.get(url).status_code == 403
    text = admin_client.get(url).get_data(as_text=True)
    assert "芦別とのご縁" in text
    from bot.forms.editing import to_yaml

    changed = dict(DEFINITION, fields=[dict(f, label="ご縁") if f["key"] == "relation" else f for f in DEFINITION["fields"]])
    assert admin_client.post(url, data={"definition": to_yaml(changed)}).status_code == 302
    broken = admin_client.post(url, data={"definition": "title: [閉じていない"})
    assert broken.status_code == 400 and "YAMLとして読めません" in broken.get_data(as_text=True)
    renamed = admin_client.post(url, data={"definition": to_yaml(dict(changed, slug="other"))})
    assert renamed.status_code == 400 and "変更できません" in renamed.get_data(as_text=True)
    with console.app_context():
        versions = db.session.scalars(select(FormVersion.version).where(FormVersion.slug == SLUG)).all()
        assert sorted(versions) == [1, 2]
    # A record answered on version 1 keeps version 1's label.
    assert "芦別とのご縁" in handler_client.get(f"/admin/applications/{records['a']}").get_data(as_text=True)
    assert _audit(console, "form.edit")[0].summary.endswith("（第2版）")


def test_answers_and_memos_are_escaped(console, admin_client):
    with console.app_context():
        v = make_version()
        row = submit(v, "S-ESC-0001", name="<script>alert(1)</script>", city="<img src=x onerror=alert(1)>")
        row.memo = "</textarea><script>alert(2)</script>"
        db.session.commit()
        row_id = row.id
    for url in ("/admin/applications", f"/admin/applications/{row_id}"):
        page = admin_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_refused_change_re_shows_personal_data_and_is_audited_as_a_view(console, records, admin_client):
    """Issue 19 A6: a POST that re-renders the record shows the name and e-mail, so it is a view too."""
    url = f"/admin/applications/{records['a']}"
    for data in ({"status": "deleted", "memo": ""}, {"status": "done", "memo": "あ" * 10_000}):
        before = len(_audit(console, "application.view"))
        response = admin_client.post(url, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and "芦別 花子" in html and "hanako@example.invalid" in html
        views = _audit(console, "application.view")
        assert len(views) == before + 1 and views[-1].target_id == "S-AAAA-1111" and views[-1].actor == ADMIN
    _no_personal_data(_audit(console, "application.view"))


def test_applications_with_the_same_email_are_flagged_as_possible_duplicates(console, records, admin_client):
    from bot.forms.store import email_key

    with console.app_context():
        key = email_key("hanako@example.invalid")
        for row in db.session.scalars(select(FormSubmission)):
            row.email_key = email_key(row.answers["email"])
        v = make_version()
        d = submit(v, "S-DDDD-4444", name="なりすまし", email="hanako@example.invalid")
        d.email_key = key
        db.session.commit()
        d_id = d.id
    listing = admin_client.get("/admin/applications").get_data(as_text=True)
    assert listing.count("重複の可能性") == 2  # S-AAAA and S-DDDD; the cancelled S-CCCC is not counted
    detail = admin_client.get(f"/admin/applications/{d_id}").get_data(as_text=True)
    assert "重複の可能性" in detail and "S-AAAA-1111" in detail
    other = admin_client.get(f"/admin/applications/{records['b']}").get_data(as_text=True)
    assert "重複の可能性" not in other


def test_the_console_services_commit_their_change_with_its_audit_row(console, records):
    """Services own the transaction: what they changed and its audit row survive the caller's rollback."""
    from bot.forms import applications, form_settings, store

    with console.app_context():
        version = store.latest_version(SLUG)
        assert form_settings.save_paper(version, 7, ADMIN) is True
        assert form_settings.save_retention(version, 365, ADMIN) is True
        editor = db.session.scalar(select(User).where(User.email == EDITOR))
        assert applications.set_handler(editor, True, ADMIN) is True
        assert applications.set_handler(editor, True, ADMIN) is False  # already: nothing written
        db.session.rollback()
        setting = keyed(FormSetting, SLUG)
        assert (setting.paper_registrations, setting.retention_days) == (7, 365)
        assert db.session.scalar(select(User.handles_applications).where(User.email == EDITOR)) is True
    assert [r.after for r in _audit(console, "form.paper")] == [{"paper_registrations": 7}]
    assert [r.after for r in _audit(console, "form.retention")] == [{"retention_days": 365}]
    assert [r.after for r in _audit(console, "user.applications")] == [{"handles_applications": True}]


def test_a_withdrawal_on_the_web_commits_with_its_audit_row(console, records):
    from bot.forms import store

    with console.app_context():
        row = db.session.get(FormSubmission, records["a"])
        assert store.withdraw_on_web(row) is True
        db.session.rollback()
        row = db.session.get(FormSubmission, records["a"])
        assert row.status == "cancelled" and row.withdrawn_at is not None
    assert [(r.actor, r.target_id) for r in _audit(console, "application.withdraw")] == [
        (store.RESIDENT_WEB, "S-AAAA-1111")]
