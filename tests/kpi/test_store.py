"""The KPI services: the pack's import, actuals with their date and source (audited, history kept), the two live
counts, bad input refused in Japanese with nothing stored, and each town's board its own."""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.core.problems import Invalid
from bot.core.tenancy import use_town
from bot.extensions import db
from bot.kpi import store
from bot.kpi.section import KPI
from bot.models import AuditLog, FormSetting, Kpi, KpiActual
from bot.models.tenancy import DEFAULT_TOWN_ID
from bot.pack import import_pack, read_pack
from bot.signage import facilities, health
from tests.conftest import ROOT
from tests.forms.staff_support import make_version, submit

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)  # 12:00 in Japan


def _kpi(key: str) -> Kpi:
    return store.kpi_by_key(key)


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(KpiActual.id))),
            db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action.like("kpi.%"))))


def test_the_import_stores_the_plans_kpis_and_keeps_actuals(loaded_app):
    with loaded_app.app_context():
        kpis = store.all_kpis()
        assert [k.key for k in kpis][:2] == ["supporters-club", "maternity-support"] and len(kpis) == 9
        led = _kpi("led-lighting")
        assert (led.baseline, led.target, led.page, led.unit) == (
            {"value": "12.4", "year": "R4", "text": "１２．４％"}, {"value": "35.7", "year": "R6", "text": "３５．７％"}, 78, "%")
        assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "kpi.import")) == 9
        store.record_actual(led, "20.5", "2025-03-31", "令和6年度 施設管理の集計", "", "staff@example.invalid", NOW)
        pack = read_pack(ROOT / "knowledge")
        again = import_pack(pack)
        assert again.kpi.unchanged and not again.kpi.created and not again.kpi.updated
        # A KPI gone from the pack is hidden, not deleted: its actuals stay in the history.
        fewer = copy.deepcopy(pack)
        fewer.values["kpi"] = [k for k in fewer.kpi if k["key"] != "led-lighting"]
        report = import_pack(fewer)
        assert report.kpi.updated == ["led-lighting"]
        assert "led-lighting" not in [k.key for k in store.all_kpis()]
        assert db.session.scalar(select(func.count(KpiActual.id))) == 1
        import_pack(pack)  # back in the pack: shown again, with its actual
        assert store.reading(_kpi("led-lighting"), NOW).value == Decimal("20.5")


def test_the_import_never_bumps_the_knowledge_version(loaded_app):
    with loaded_app.app_context():
        assert KPI.load(read_pack(ROOT / "knowledge"), force=False, author="test")[0] is False


def test_nothing_entered_reads_not_entered(loaded_app):
    with loaded_app.app_context():
        readings = {r.kpi.key: r for r in store.board(NOW)}
        for key in ("maternity-support", "school-lunch-free", "nursery-app", "zero-carbon-plan", "led-lighting"):
            r = readings[key]
            assert (r.value, r.value_text, r.percent, r.state) == (None, "未入力", None, "未入力"), key


def test_the_supporters_club_counts_paper_and_online_live(loaded_app):
    with loaded_app.app_context():
        assert store.reading(_kpi("supporters-club"), NOW).value is None  # nothing recorded: 未入力, not 0
        version = make_version()
        submit(version, "S-0001")
        submit(version, "S-0002")
        submit(version, "S-0003", status="cancelled")  # a withdrawn registration is no member
        db.session.add(FormSetting(slug=version.slug, paper_registrations=24, retention_days=None))
        db.session.commit()
        r = store.reading(_kpi("supporters-club"), NOW)
        assert (r.value, r.live, r.value_text, r.percent, r.state) == (Decimal(26), True, "26名", 52, "進行中")
        assert r.as_of == date(2026, 12, 7)
        with pytest.raises(Invalid, match="自動で数えています"):
            store.record_actual(r.kpi, "30", "2026-12-01", "手で数えた", "", "staff@example.invalid", NOW)


def test_signage_facilities_count_screens_that_sent_a_heartbeat(loaded_app):
    with loaded_app.app_context():
        assert store.reading(_kpi("digital-signage"), NOW).value is None  # no screen yet: 未入力, not 0
        hall = facilities.create("市民会館", "", by="staff@example.invalid")
        school = facilities.create("芦別小学校", "", by="staff@example.invalid")
        facilities.create("図書館", "", by="staff@example.invalid")  # no screen at all
        live, _ = facilities.add_screen(hall, "ロビー", by="staff@example.invalid")
        quiet, _ = facilities.add_screen(school, "玄関", by="staff@example.invalid")
        db.session.commit()
        assert store.reading(_kpi("digital-signage"), NOW).value == 0  # screens set up, none heard from
        health.heartbeat(live, NOW - timedelta(minutes=1))
        health.heartbeat(quiet, NOW - timedelta(hours=2))  # silent for two hours: not counted
        r = store.reading(_kpi("digital-signage"), NOW)
        assert (r.value, r.value_text, r.percent) == (1, "1施設", 20)


def test_an_actual_is_stored_with_its_date_and_source_and_audited(loaded_app):
    with loaded_app.app_context():
        kpi = _kpi("maternity-support")
        store.record_actual(kpi, "１２０", "2025/3/31", "令和6年度 健康推進課の集計", "累計", "a@example.invalid", NOW)
        r = store.reading(kpi, NOW)
        assert (r.value_text, r.as_of, r.source, r.percent, r.state) == ("120件", date(2025, 3, 31),
                                                                         "令和6年度 健康推進課の集計", 48, "進行中")
        # A correction is a new entry; an entry for an older date never hides the newer one.
        store.record_actual(kpi, "130件", "2025-03-31", "令和6年度 健康推進課の集計（訂正）", "", "b@example.invalid", NOW)
        store.record_actual(kpi, "80", "2024-03-31", "令和5年度 健康推進課の集計", "", "b@example.invalid", NOW)
        assert store.reading(kpi, NOW).value == 130
        assert [a.value for a in store.history(kpi)] == ["130", "120", "80"]
        assert store.series(kpi) == [(date(2024, 3, 31), Decimal(80)), (date(2025, 3, 31), Decimal(130))]
        rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "kpi.actual").order_by(AuditLog.id)).all()
        assert [(a.actor, a.target_id) for a in rows] == [("a@example.invalid", "maternity-support"),
                                                         ("b@example.invalid", "maternity-support"),
                                                         ("b@example.invalid", "maternity-support")]
        assert rows[0].before is None and rows[0].after == {"kpi_value": "120件", "as_of": "2025-03-31",
                                                            "source": "令和6年度 健康推進課の集計"}
        assert rows[1].before["kpi_value"] == "120件" and rows[1].after["kpi_value"] == "130件"


def test_reaching_the_target_and_keeping_the_baseline(loaded_app):
    with loaded_app.app_context():
        lunch = _kpi("school-lunch-free")
        store.record_actual(lunch, "3", "2024-04-01", "教育委員会", "", "a@example.invalid", NOW)
        assert (store.reading(lunch, NOW).percent, store.reading(lunch, NOW).state) == (100, "達成")
        nursery = _kpi("nursery-app")
        store.record_actual(nursery, "95.5", "2025-03-31", "子育て支援課", "", "a@example.invalid", NOW)
        r = store.reading(nursery, NOW)
        assert (r.value_text, r.state, r.percent) == ("95.5%", "基準値を下回る", 99)
        assert r.target_text == "基準値を維持（令和6年度）　基準値 96%"
        zero = _kpi("zero-carbon-plan")
        store.record_actual(zero, "策定済み", "2025-03-28", "環境課", "", "a@example.invalid", NOW)
        r = store.reading(zero, NOW)
        assert (r.value_text, r.state, r.percent) == ("策定済み", "達成", 100)
        assert r.baseline_text == "未策定（令和4年度）" and r.target_text == "2024年度（令和６年度）中の計画策定（令和6年度）"


@pytest.mark.parametrize("key, value, day, source, field, message", [
    ("maternity-support", "", "2025-03-31", "集計", "value", "実績値を入力してください"),
    ("maternity-support", "たくさん", "2025-03-31", "集計", "value", "数字として読めません"),
    ("maternity-support", "-1", "2025-03-31", "集計", "value", "0以上"),
    ("maternity-support", "12.5", "2025-03-31", "集計", "value", "整数で入力してください"),
    ("maternity-support", "1e400", "2025-03-31", "集計", "value", "大きすぎます"),
    ("maternity-support", "NaN", "2025-03-31", "集計", "value", "数字で入力してください"),
    ("maternity-support", "1" * 31, "2025-03-31", "集計", "value", "数字で入力してください"),
    ("led-lighting", "100.5", "2025-03-31", "集計", "value", "0〜100"),
    ("led-lighting", "12.345", "2025-03-31", "集計", "value", "小数は2桁まで"),
    ("zero-carbon-plan", "半分", "2025-03-31", "集計", "value", "「策定済み」か「未策定」"),
    ("maternity-support", "10", "", "集計", "as_of", "集計日を入力してください"),
    ("maternity-support", "10", "昨日", "集計", "as_of", "2025-03-31 の形"),
    ("maternity-support", "10", "2025-02-30", "集計", "as_of", "ありません"),
    ("maternity-support", "10", "2026-12-08", "集計", "as_of", "未来の日付"),
    ("maternity-support", "10", "1999-12-31", "集計", "as_of", "2000年以降"),
    ("maternity-support", "10", "2025-03-31", "  ", "source", "出典を入力してください"),
    ("maternity-support", "10", "2025-03-31", "あ" * 201, "source", "200文字以内"),
    ("maternity-support", "10", "2025-03-31", "集計\n=1+1", "source", "改行や制御文字"),
    ("maternity-support", "10", "2025-03-31", "集計\x00", "source", "改行や制御文字"),
])
def test_bad_input_is_refused_in_japanese_and_nothing_is_stored(loaded_app, key, value, day, source, field, message):
    with loaded_app.app_context():
        before = _counts()
        with pytest.raises(Invalid) as info:
            store.record_actual(_kpi(key), value, day, source, "", "a@example.invalid", NOW)
        assert field in info.value.errors and message in " ".join(info.value.errors[field]), info.value.errors
        assert _counts() == before


def test_every_problem_is_named_at_once_and_a_repeat_is_refused(loaded_app):
    with loaded_app.app_context():
        kpi = _kpi("maternal-app")
        with pytest.raises(Invalid) as info:
            store.record_actual(kpi, "x", "x", "", "", "a@example.invalid", NOW)
        assert set(info.value.errors) == {"value", "as_of", "source"}
        store.record_actual(kpi, "150", "2025-03-31", "子育て支援課", "", "a@example.invalid", NOW)
        before = _counts()
        with pytest.raises(Invalid, match="すでに入力されています"):
            store.record_actual(kpi, "150名", "2025-03-31", "子育て支援課", "", "a@example.invalid", NOW)
        assert _counts() == before


def test_a_withdrawn_actual_stays_in_the_history(loaded_app):
    with loaded_app.app_context():
        kpi = _kpi("convenience-store-certificates")
        old = store.record_actual(kpi, "8.5", "2024-03-31", "市民課", "", "a@example.invalid", NOW)
        wrong = store.record_actual(kpi, "85", "2025-03-31", "市民課", "", "a@example.invalid", NOW)
        assert store.reading(kpi, NOW).value == 85
        before = _counts()
        with pytest.raises(Invalid, match="取り消しの理由を入力してください"):
            store.withdraw_actual(wrong, " ", "b@example.invalid")
        assert _counts() == before and wrong.withdrawn_at is None
        assert store.withdraw_actual(wrong, "桁の誤り", "b@example.invalid") is True
        assert store.withdraw_actual(wrong, "桁の誤り", "b@example.invalid") is False
        r = store.reading(kpi, NOW)
        assert (r.value, r.as_of) == (Decimal("8.5"), old.as_of)
        assert [(a.value, a.withdrawn_reason) for a in store.history(kpi)] == [("85", "桁の誤り"), ("8.5", "")]
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "kpi.withdraw"))
        assert row.actor == "b@example.invalid" and row.after == {"withdrawn_reason": "桁の誤り"}
        assert [u.id for u in store.updates()] == [old.id]


def test_the_csv_is_formula_safe_and_audited(loaded_app):
    with loaded_app.app_context():
        kpi = _kpi("maternal-app")
        store.record_actual(kpi, "150", "2025-03-31", "=HYPERLINK(\"http://x\")", "", "a@example.invalid", NOW)
        body, count = store.csv_bytes(NOW)
        text = body.decode("utf-8")
        assert text.startswith("\ufeffKPI,指標,単位,基準値") and count == 9
        assert "'=HYPERLINK" in text and "\r\n" in text
        assert "母子手帳アプリ利用者数,アプリ利用者数,名,１４０名,令和4年度,１９０名,令和6年度,150名,2025-03-31" in text
        assert "照明のLED化率,照明のLED化率,%,１２．４％,令和4年度,３５．７％,令和6年度,未入力" in text
        body.decode("utf-8-sig").encode("cp932")  # every character survives Shift_JIS (Excel's own CSV encoding)
        store.record_export(count, "a@example.invalid")
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "kpi.export")).after == {"count": 9}


def test_each_town_has_its_own_actuals(loaded_app):
    from bot.towns.store import create_town

    with loaded_app.app_context():
        other = create_town("biei", "美瑛町", actor="test", pack_dir=loaded_app.config["KNOWLEDGE_DIR"],
                            channel_secret="s", access_token="t")
        store.record_actual(_kpi("maternal-app"), "150", "2025-03-31", "子育て支援課", "", "a@example.invalid", NOW)
        with use_town(other.id):
            theirs = _kpi("maternal-app")
            assert theirs is not None and theirs.town_id == other.id
            assert store.reading(theirs, NOW).value is None
            assert db.session.scalar(select(func.count(KpiActual.id))) == 0
        with use_town(DEFAULT_TOWN_ID):
            assert store.reading(_kpi("maternal-app"), NOW).value == 150


def test_export_then_import_changes_nothing(loaded_app, tmp_path):
    import shutil

    from bot.kpi.pack import KPI_FILE
    from bot.pack import export_pack

    with loaded_app.app_context():
        export_pack(tmp_path / "out")
        written = (tmp_path / "out" / KPI_FILE).read_text(encoding="utf-8")
        assert "review_note:" in written and "１２．４％" in written and "value: 12.4" in written
        pack_dir = tmp_path / "pack"
        shutil.copytree(ROOT / "knowledge", pack_dir)
        shutil.copy(tmp_path / "out" / KPI_FILE, pack_dir / KPI_FILE)
        report = import_pack(read_pack(pack_dir))
        assert len(report.kpi.unchanged) == 9 and not report.kpi.updated
