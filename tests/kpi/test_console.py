"""管理画面 → KPI: admins and editors enter actuals (audited), see why a value was refused with their text kept,
withdraw a mistaken one, download the CSV (audited), and find the board on the overview."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.extensions import db
from bot.kpi import store
from bot.models import AuditLog, KpiActual
from tests.support.console import ADMIN, EDITOR, admin_client, console, editor_client  # noqa: F401  (fixtures)


def _id(app, key: str) -> int:
    with app.app_context():
        return store.kpi_by_key(key).id


def _actuals(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(KpiActual.id)))


def test_an_editor_enters_an_actual_and_the_board_shows_it(console, editor_client):
    kpi_id = _id(console, "maternal-app")
    page = editor_client.get(f"/admin/kpi/{kpi_id}")
    assert page.status_code == 200 and "実績を入力する" in page.get_data(as_text=True)
    response = editor_client.post(f"/admin/kpi/{kpi_id}", data={"value": "１５２", "as_of": "2025-03-31",
                                                                "source": "令和6年度 子育て支援課の集計", "note": "年度末"})
    assert response.status_code == 302 and response.location.endswith(f"/admin/kpi/{kpi_id}")
    shown = editor_client.get(f"/admin/kpi/{kpi_id}").get_data(as_text=True)
    assert "実績 152名（2025年3月31日）を入力しました" in shown and "年度末" in shown
    assert "152名" in editor_client.get("/admin/kpi").get_data(as_text=True)
    assert "<strong>152名</strong>" in console.test_client().get("/kpi").get_data(as_text=True)
    with console.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "kpi.actual"))
        assert row.actor == EDITOR and row.after["kpi_value"] == "152名"


def test_bad_input_says_why_keeps_the_text_and_stores_nothing(console, admin_client):
    kpi_id = _id(console, "led-lighting")
    cases = [({"value": "101", "as_of": "2025-03-31", "source": "集計"}, "0〜100"),
             ({"value": "12.4", "as_of": "2025-02-30", "source": "集計"}, "ありません"),
             ({"value": "12.4", "as_of": "2099-01-01", "source": "集計"}, "未来の日付"),
             ({"value": "12.4", "as_of": "2025-03-31", "source": ""}, "出典を入力してください"),
             ({"value": "じゅうに", "as_of": "2025-03-31", "source": "集計"}, "数字として読めません"),
             ({"value": "1" * 41, "as_of": "2025-03-31", "source": "集計"}, "40文字以内"),
             ({}, "実績値を入力してください")]
    for data, message in cases:
        response = admin_client.post(f"/admin/kpi/{kpi_id}", data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, data
        assert message in html and "何も保存していません" in html, data
        for value in data.values():
            if value and len(value) < 41:
                assert f'value="{value}"' in html, (data, value)  # what was typed is still there
    assert _actuals(console) == 0


def test_a_live_kpi_takes_no_actual(console, admin_client):
    kpi_id = _id(console, "supporters-club")
    page = admin_client.get(f"/admin/kpi/{kpi_id}").get_data(as_text=True)
    assert "自動集計" in page and 'name="value"' not in page
    response = admin_client.post(f"/admin/kpi/{kpi_id}", data={"value": "99", "as_of": "2025-03-31", "source": "手作業"})
    assert response.status_code == 400 and "自動で数えています" in response.get_data(as_text=True)
    assert _actuals(console) == 0


def test_a_milestone_is_chosen_from_two_words(console, admin_client):
    kpi_id = _id(console, "zero-carbon-plan")
    page = admin_client.get(f"/admin/kpi/{kpi_id}").get_data(as_text=True)
    assert 'name="value"' in page and "策定済み</option>" in page and "未策定</option>" in page
    assert admin_client.post(f"/admin/kpi/{kpi_id}", data={"value": "1", "as_of": "2025-03-28",
                                                          "source": "環境課"}).status_code == 302
    assert "策定済み" in admin_client.get("/admin/kpi").get_data(as_text=True)


def test_withdrawing_keeps_the_row_and_needs_a_reason(console, editor_client):
    kpi_id = _id(console, "school-lunch-free")
    editor_client.post(f"/admin/kpi/{kpi_id}", data={"value": "30", "as_of": "2024-04-01", "source": "教育委員会"})
    with console.app_context():
        actual_id = db.session.scalar(select(KpiActual.id))
    url = f"/admin/kpi/{kpi_id}/actuals/{actual_id}/withdraw"
    refused = editor_client.post(url, data={"reason": ""}, follow_redirects=True).get_data(as_text=True)
    assert "取り消しの理由を入力してください" in refused
    done = editor_client.post(url, data={"reason": "桁の誤り"}, follow_redirects=True).get_data(as_text=True)
    assert "実績を取り消しました" in done and "取り消し済み：桁の誤り" in done
    assert "<strong>未入力</strong>" in console.test_client().get("/kpi").get_data(as_text=True).split('id="kpi-school-lunch-free"')[1].split("</article>")[0]
    assert _actuals(console) == 1
    other = _id(console, "maternal-app")
    assert editor_client.post(f"/admin/kpi/{other}/actuals/{actual_id}/withdraw", data={"reason": "x"}).status_code == 404
    assert editor_client.get("/admin/kpi/999999").status_code == 404


def test_the_csv_for_the_council_is_audited(console, editor_client):
    response = editor_client.get("/admin/kpi/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=kpi-")
    body = response.get_data()
    assert body.startswith("\ufeffKPI,".encode()) and body.decode("utf-8").count("\r\n") == 10
    with console.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "kpi.export"))
        assert row.actor == EDITOR and row.after == {"count": 9}


def test_the_overview_shows_the_board(console, admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert 'id="plan-kpi"' in html and "9件のうち、実績の入力があるのは0件です" in html
    assert "未入力：応援団登録者数、妊産婦支援の助成件数" in html


def test_the_audit_log_names_the_kpi_actions(console, admin_client):
    kpi_id = _id(console, "maternal-app")
    admin_client.post(f"/admin/kpi/{kpi_id}", data={"value": "150", "as_of": "2025-03-31", "source": "集計"})
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "KPIの実績を入力" in html and ADMIN in html
