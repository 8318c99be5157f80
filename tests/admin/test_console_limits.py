"""The console's busy and expensive doors have per-staff budgets on the shared limiter: a Japanese 429, nothing stored."""
from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from bot import create_app
from bot.extensions import db
from bot.inbox.store import open_groups
from bot.models import AuditLog, InboxResolution, QuestionLog
from tests.support.console import EDITOR, admin_client, console, editor_client, login  # noqa: F401  (fixtures)
from tests.conftest import base_config
from tests.support.ratelimit import limiter_clock  # noqa: F401  (fixture)

QUESTIONS = ["市営プールの営業時間", "図書館の駐車場は何台", "花火大会の日程", "除雪の苦情はどこへ"]


def _log_questions(app) -> None:
    with app.app_context():
        db.session.add_all(QuestionLog(text=text, outcome="fallback", channel="line") for text in QUESTIONS)
        db.session.commit()


def _open(app) -> list:
    # Requests run outside this context: inside it they would share its `g`, and with it the logged-in user.
    with app.app_context():
        return open_groups(90)


def _dismiss(client, text: str):
    token = next(g.token for g in _open(client.application) if g.text == text)
    return client.post("/admin/inbox/dismiss", data={"group": token, "reason": "out_of_scope", "note": "県の管轄"})


def _stored(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(InboxResolution.id))),
                db.session.scalar(select(func.count(AuditLog.id))))


def test_the_inbox_answers_429_in_japanese_over_its_budget_and_stores_nothing(console, editor_client, admin_client,
                                                                                limiter_clock):
    console.config["INBOX_ACTIONS_PER_HOUR"] = 2
    _log_questions(console)
    assert _dismiss(editor_client, QUESTIONS[0]).status_code == 302
    assert _dismiss(editor_client, QUESTIONS[1]).status_code == 302
    before = _stored(console)
    refused = _dismiss(editor_client, QUESTIONS[2])
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "操作の回数が上限に達しました" in page and "1人1時間に2回まで" in page and "何も変更していません" in page
    assert 'href="/admin/inbox"' in page and "admin.css" in page  # the way back, in the console's own layout
    assert _stored(console) == before  # no resolution, no audit row
    assert {g.text for g in _open(console)} == set(QUESTIONS[2:])
    # Every inbox action shares the budget; each staff member has their own.
    group = next(g for g in _open(console) if g.text == QUESTIONS[2])
    assert editor_client.post("/admin/inbox/handled", data={"group": group.token}).status_code == 429
    assert _dismiss(admin_client, QUESTIONS[2]).status_code == 302
    # The places come back as the hour slides on (counted in one-minute steps).
    limiter_clock.forward(3600 - 120)
    assert _dismiss(editor_client, QUESTIONS[3]).status_code == 429
    limiter_clock.forward(180)
    assert _dismiss(editor_client, QUESTIONS[3]).status_code == 302
    assert _open(console) == []


def test_the_inbox_budget_is_shared_by_two_app_instances(console, fake_line):
    config = {**base_config(console.config["SQLALCHEMY_DATABASE_URI"], fake_line), "WTF_CSRF_ENABLED": False,
              "INBOX_ACTIONS_PER_HOUR": 3}
    first, second = create_app(config), create_app(config)
    _log_questions(console)
    clients = []
    for app in (first, second):
        client = app.test_client()
        assert login(client, EDITOR).status_code == 302
        clients.append(client)
    try:
        statuses = [_dismiss(clients[n % 2], text).status_code for n, text in enumerate(QUESTIONS)]
        assert statuses == [302, 302, 302, 429]
        assert [g.text for g in _open(console)] == [QUESTIONS[3]]
    finally:
        for app in (first, second):
            app.extensions["line_sender"].close()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_the_knowledge_import_has_a_budget_and_a_refused_preview_stages_nothing(console, admin_client):
    console.config["KNOWLEDGE_IMPORTS_PER_HOUR"] = 1
    exported = admin_client.get("/admin/export.csv").data

    def upload():
        return admin_client.post("/admin/import", data={"file": (io.BytesIO(exported), "same.csv")},
                                 content_type="multipart/form-data")

    with console.app_context():
        from bot.pack.transfer import staging_dir

        staging = Path(staging_dir())
    assert upload().status_code == 200
    staged = sorted(staging.iterdir()) if staging.exists() else []
    refused = upload()
    assert refused.status_code == 429 and "回答データの取り込み" in refused.get_data(as_text=True)
    assert (sorted(staging.iterdir()) if staging.exists() else []) == staged
    assert admin_client.post("/admin/import/apply", data={"token": "x" * 32}).status_code == 429


def test_exports_have_a_budget_and_a_refused_export_is_not_audited(console, admin_client, editor_client):
    console.config["CONSOLE_EXPORTS_PER_HOUR"] = 2
    assert admin_client.get("/admin/applications/export.csv").status_code == 200
    assert admin_client.post("/admin/applications/export.csv", data={"q": "芦別"}).status_code == 200
    refused = admin_client.get("/admin/applications/export.csv")
    assert refused.status_code == 429 and "一覧のダウンロード" in refused.get_data(as_text=True)
    assert refused.mimetype == "text/html"
    with console.app_context():
        exports = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "application.export"))
    assert exports == 2
    assert admin_client.get("/admin/export.zip").status_code == 429  # every bulk download shares the budget
    script = admin_client.get("/admin/export.csv", headers={"Accept": "application/json"})
    assert script.status_code == 429 and "1人1時間に2回まで" in script.get_json()["message"]
    assert editor_client.get("/admin/export.csv").status_code == 200  # another staff member's own budget
    # A staff member without the right is refused as before, and that costs no place.
    for _ in range(3):
        assert editor_client.get("/admin/applications/export.csv").status_code == 403
    assert editor_client.get("/admin/export.zip").status_code == 200
