"""Retention of bookings' personal data: a town setting (admins, 管理画面 → 施設予約 → 保存期間) and
`flask booking purge`, which clears name, phone, LINE id, purpose and memo of bookings whose day is older than the
period and keeps the rest; one audit row per run with the count only; other towns untouched."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.booking import calendar as cal
from bot.booking import retention, store
from bot.core.problems import Invalid
from bot.core.tenancy import use_town
from bot.extensions import db
from bot.models import AuditLog, TownSetting
from bot.models.tenancy import DEFAULT_TOWN_ID
from bot.models.timeutil import local_today
from bot.towns.store import create_town
from tests.booking.support import GYM, USER, add_gym, book
from tests.support.console import EDITOR, admin_client, console, editor_client  # noqa: F401  (fixtures)


def _aged(receipt: str, days_ago: int, hour: int = 9) -> None:
    """Move a booking to `days_ago` days before today (Japan's days), at `hour` local time."""
    row = store.by_receipt(receipt)
    starts = cal.utc(cal.local_moment(local_today() - timedelta(days=days_ago), cal.time(hour, 0)))
    row.starts_at, row.ends_at = starts, starts + timedelta(hours=2)
    row.slot_start = None if row.slot_start is None else starts
    row.status = "used"
    db.session.commit()


def _booked_and_aged(name: str, days_ago: int, hour: int = 9, **kw) -> str:
    row = book(name=name, phone="090-1111-2222", purpose="バドミントン", hour=hour, **kw)
    store.set_memo(row, "鍵は事務室で受け取り", "test")
    receipt = row.receipt_no
    _aged(receipt, days_ago, hour)
    return receipt


def _personal(receipt: str) -> tuple[str, ...]:
    db.session.expire_all()
    row = store.by_receipt(receipt)
    return tuple(getattr(row, field) for field in retention.PERSONAL)


def _purge_rows() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "booking.purge").order_by(AuditLog.id)))


def test_a_booking_past_the_period_is_anonymised_and_one_inside_it_is_not(app, caplog):
    add_gym(app)
    with app.app_context():
        assert retention.days() == 365 == app.config["BOOKING_RETENTION_DAYS"]
        old = _booked_and_aged("古井一郎", 366, hour=19)  # the day before the first day kept
        edge = _booked_and_aged("境目二郎", 365, hour=9, unit_key="arena-b")  # the first day kept
        recent = _booked_and_aged("新田三郎", 10, hour=11)
        caplog.set_level(logging.DEBUG)
        assert retention.purge() == 1
        assert _personal(old) == ("", "", "", "", "")
        kept = store.by_receipt(old)
        assert (kept.receipt_no, kept.people, kept.status, kept.unit.key, kept.facility.key) == (
            old, 8, "used", "arena-a", "gym")
        assert kept.starts_at is not None and kept.channel == "line"
        assert _personal(edge) == ("境目二郎", "090-1111-2222", USER, "バドミントン", "鍵は事務室で受け取り")
        assert _personal(recent)[0] == "新田三郎"
        [audit] = _purge_rows()
        assert audit.after == {"count": 1, "booking_retention_days": 365} and "1件" in audit.summary
        stored = f"{audit.summary}{audit.before}{audit.after}"
        log_text = caplog.text
        for personal in ("古井", "090-1111-2222", USER, "バドミントン", "鍵は"):
            assert personal not in stored and personal not in log_text
        # Nothing left to clear: the next run clears none, and says so in its own row.
        assert retention.purge() == 0
        assert [row.after["count"] for row in _purge_rows()] == [1, 0]
        # A shorter period reaches the edge and the recent booking too.
        assert retention.purge(5) == 2
        assert _personal(edge) == _personal(recent) == ("", "", "", "", "")


def test_the_town_setting_decides_and_is_audited(app):
    add_gym(app)
    with app.app_context():
        receipt = _booked_and_aged("山田太郎", 40)
        assert retention.purge() == 0 and _personal(receipt)[0] == "山田太郎"
        assert retention.save(" 30 ", "admin@example.invalid") is True
        assert retention.save("30", "admin@example.invalid") is False  # no change, no second audit row
        assert retention.days() == 30
        changes = list(db.session.scalars(select(AuditLog).where(AuditLog.action == "booking.retention")))
        assert len(changes) == 1 and changes[0].before == {"booking_retention_days": "365"}
        assert changes[0].after == {"booking_retention_days": "30"}
        assert retention.purge() == 1 and _personal(receipt)[0] == ""


BAD = ["", "   ", "0", "-1", "abc", "３０", "1.5", "36601", "99999999999999999999", "30日", "\x00"]


def test_bad_settings_are_refused_in_japanese_and_nothing_changes(app):
    with app.app_context():
        for raw in BAD:
            try:
                retention.save(raw, "admin@example.invalid")
            except Invalid as exc:
                assert "保存期間（日）" in exc.message and "整数" in exc.message, raw
            else:
                raise AssertionError(f"accepted {raw!r}")
            db.session.rollback()
        assert db.session.scalar(select(TownSetting).where(TownSetting.key == retention.KEY)) is None
        assert retention.days() == 365


def test_the_console_page_saves_refuses_bad_input_and_is_for_admins(console, admin_client, editor_client):
    assert editor_client.get("/admin/booking/settings/retention").status_code == 403
    assert editor_client.post("/admin/booking/settings/retention",
                              data={"booking_retention_days": "5"}).status_code == 403
    page = admin_client.get("/admin/booking/settings/retention").get_data(as_text=True)
    assert "個人情報の保存期間" in page and 'value="365"' in page
    assert "個人情報の保存期間" in admin_client.get("/admin/booking").get_data(as_text=True)
    assert "個人情報の保存期間" not in editor_client.get("/admin/booking").get_data(as_text=True)
    for raw in ("0", "abc", "", "３０"):
        response = admin_client.post("/admin/booking/settings/retention", data={"booking_retention_days": raw})
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and "1〜36600" in body, raw
        assert f'value="{raw}"' in body or raw == ""  # what was typed stays in the box
    add_gym(console)
    with console.app_context():
        receipt = _booked_and_aged("山田太郎", 800)
        recent = _booked_and_aged("田中花子", 3, unit_key="arena-b")
        assert retention.purge() == 1
    detail = admin_client.get(f"/admin/bookings/{receipt}").get_data(as_text=True)
    assert "保存期間（利用日から365日）を過ぎたため" in detail and "山田" not in detail
    assert "LINE からの予約ではありません" not in detail
    kept = admin_client.get(f"/admin/bookings/{recent}").get_data(as_text=True)
    assert "田中花子" in kept and "過ぎたため" not in kept
    saved = admin_client.post("/admin/booking/settings/retention", data={"booking_retention_days": "730"})
    assert saved.status_code == 302
    assert "保存期間を730日にしました" in admin_client.get(saved.location).get_data(as_text=True)
    with console.app_context():
        assert retention.days() == 730
        [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "booking.retention"))
        assert row.actor != EDITOR and row.after == {"booking_retention_days": "730"}


def test_the_command_works_town_by_town_and_leaves_other_towns_alone(app, runner, request):
    add_gym(app)
    with app.app_context():
        other = create_town("biei", "美瑛町", actor="test")
        other_id = other.id
        db.session.commit()
        here_old = _booked_and_aged("町内太郎", 100)
        with use_town(other_id):
            store.import_facilities([dict(GYM, units=[dict(u) for u in GYM["units"]])], author="test")
            db.session.commit()
            there_old = _booked_and_aged("美瑛花子", 100)
            there_older = _booked_and_aged("美瑛次郎", 400, hour=11)
        retention.save("30", "admin@example.invalid")  # the default town keeps 30 days; biei keeps the default 365
        db.session.remove()
    bad = runner.invoke(args=["booking", "purge", "--days", "0"])
    assert bad.exit_code != 0
    only_biei = runner.invoke(args=["booking", "purge", "--town", "biei"])
    assert only_biei.exit_code == 0, only_biei.output
    assert "biei: 保存期間（利用日から365日）を過ぎた予約1件" in only_biei.output
    assert "default" not in only_biei.output and f"{DEFAULT_TOWN_ID}:" not in only_biei.output
    with app.app_context():
        assert _personal(here_old)[0] == "町内太郎"  # --town biei never touched the default town
        with use_town(other_id):
            assert _personal(there_older)[0] == "" and _personal(there_old)[0] == "美瑛花子"
        db.session.remove()
    request.getfixturevalue("no_default_town")  # as in production: the job starts in no town, and does them all
    every = runner.invoke(args=["booking", "purge"])
    assert every.exit_code == 0, every.output
    assert "（利用日から30日）を過ぎた予約1件" in every.output
    assert "biei: 保存期間（利用日から365日）を過ぎた予約0件" in every.output
    with app.app_context():
        with use_town(DEFAULT_TOWN_ID):
            assert _personal(here_old)[0] == ""
            assert len(_purge_rows()) == 1
        with use_town(other_id):
            assert _personal(there_old)[0] == "美瑛花子"  # 100 days is inside biei's 365
            assert len(_purge_rows()) == 2  # each run wrote one row in the town it worked in
        db.session.remove()
    days = runner.invoke(args=["booking", "purge", "--days", "50", "--town", "biei"])
    assert days.exit_code == 0 and "biei: 保存期間（利用日から50日）を過ぎた予約1件" in days.output, days.output
