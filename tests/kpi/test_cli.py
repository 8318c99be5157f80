"""`flask kpi list` and `flask kpi set`: the board on the command line, an actual entered (audited), bad input refused
in Japanese with exit status 1 and nothing stored, and --town for another town's board."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.extensions import db
from bot.models import AuditLog, KpiActual


def _actuals(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(KpiActual.id)))


def test_list_and_set(loaded_app):
    runner = loaded_app.test_cli_runner()
    listed = runner.invoke(args=["kpi", "list"])
    assert listed.exit_code == 0
    assert "led-lighting\t照明のLED化率\t基準 １２．４％（令和4年度）\t目標 ３５．７％（令和6年度）\t実績 未入力\t-" in listed.output
    done = runner.invoke(args=["kpi", "set", "led-lighting", "20.5", "--date", "2025-03-31", "--source", "施設管理の集計",
                               "--by", "cli-staff"])
    assert done.exit_code == 0 and "照明のLED化率：20.5%（2025-03-31）" in done.output
    assert "実績 20.5%\t2025-03-31" in runner.invoke(args=["kpi", "list"]).output
    with loaded_app.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "kpi.actual"))
        assert row.actor == "cli-staff" and row.after["kpi_value"] == "20.5%"


def test_bad_input_exits_1_in_japanese_and_stores_nothing(loaded_app):
    runner = loaded_app.test_cli_runner()
    for args, message in ((["led-lighting", "120", "--date", "2025-03-31", "--source", "x"], "0〜100"),
                          (["led-lighting", "20", "--date", "2025-13-01", "--source", "x"], "ありません"),
                          (["nothing-here", "20", "--date", "2025-03-31", "--source", "x"], "KPI nothing-here はありません"),
                          (["supporters-club", "20", "--date", "2025-03-31", "--source", "x"], "自動で数えています")):
        result = runner.invoke(args=["kpi", "set", *args])
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    assert _actuals(loaded_app) == 0


def test_town_names_the_board(loaded_app):
    from bot.towns.store import create_town

    with loaded_app.app_context():
        create_town("biei", "美瑛町", actor="test", pack_dir=loaded_app.config["KNOWLEDGE_DIR"], channel_secret="s",
                    access_token="t")
    runner = loaded_app.test_cli_runner()
    done = runner.invoke(args=["kpi", "set", "maternal-app", "77", "--date", "2025-03-31", "--source", "美瑛町の集計",
                               "--town", "biei"])
    assert done.exit_code == 0, done.output
    assert "実績 77名" in runner.invoke(args=["kpi", "list", "--town", "biei"]).output
    assert "実績 77名" not in runner.invoke(args=["kpi", "list"]).output
