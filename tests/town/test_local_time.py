"""Issue 19 B3: staff and residents see the town's time (Asia/Tokyo), file names too; the database keeps UTC.

At 23:44 UTC it is already 08:44 the next morning in Japan: each check below picks that moment, so a date
taken from UTC shows the day before.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditLog, User, timeutil
from tests.support.console import (  # noqa: F401  (fixtures)
    ADMIN, PASSWORD, admin_client, console, login,
)
from tests.forms.staff_support import make_version, submit

LATE_UTC = datetime(2026, 3, 14, 23, 44, tzinfo=timezone.utc)  # = 2026-03-15 08:44 in Japan


@pytest.fixture
def morning_in_japan(monkeypatch):
    monkeypatch.setattr(timeutil, "utcnow", lambda: LATE_UTC)


def test_a_new_answer_is_dated_today_in_japan(console, admin_client, morning_in_japan):
    page = admin_client.get("/admin/entries/new").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="updated_on"[^>]*>', page).group(0)
    assert 'value="2026-03-15"' in field, field


def test_the_applications_export_is_named_and_filled_in_japan_time(console, admin_client, morning_in_japan):
    with console.app_context():
        submit(make_version(), "S-JSTT-0844", created=LATE_UTC)
    response = admin_client.get("/admin/applications/export.csv")
    assert response.status_code == 200
    assert "applications-20260315-0844.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    cell = dict(zip(rows[0], rows[1]))
    assert cell["受付日時"] == "2026-03-15 08:44"


def test_the_knowledge_exports_are_named_in_japan_time(console, admin_client, morning_in_japan):
    for path, name in (("/admin/export.csv", "knowledge-20260315-0844.csv"),
                       ("/admin/export.zip", "knowledge-20260315-0844.zip")):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert name in response.headers["Content-Disposition"], response.headers["Content-Disposition"]


def test_console_times_are_shown_in_the_town_zone_and_the_zone_is_a_setting(console, admin_client):
    with console.app_context():
        user = db.session.scalar(select(User).where(User.email == ADMIN))
        user.last_login_at = LATE_UTC
        db.session.add(AuditLog(actor=ADMIN, action="user.update", target_type="user", target_id=str(user.id),
                                summary="時刻の確認", created_at=LATE_UTC))
        db.session.commit()
    assert "2026-03-15 08:44" in admin_client.get("/admin/users").get_data(as_text=True)
    assert "2026-03-15 08:44" in admin_client.get("/admin/audit").get_data(as_text=True)
    console.config["TOWN_TIMEZONE"] = "UTC"  # another town, another zone
    try:
        assert "2026-03-14 23:44" in admin_client.get("/admin/users").get_data(as_text=True)
    finally:
        console.config["TOWN_TIMEZONE"] = "Asia/Tokyo"
