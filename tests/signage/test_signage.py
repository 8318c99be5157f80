"""Signage: screen keys (digest only), the kiosk page and its content endpoint, heartbeats, the console and the CLI."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.extensions import db
from bot.models import AuditLog, Facility, Notice, Screen, utcnow
from bot.signage import facilities, health, keys, qr
from bot.town.settings import set_disaster_mode
from tests.support.console import ADMIN, EDITOR, admin_client, console, editor_client  # noqa: F401  (fixtures)

PUBLIC_FIELDS = {"title", "body", "period", "until", "qr", "qr_label"}


def _screen(app, facility: str = "芦別市役所", name: str = "1階ロビー") -> tuple[int, str]:
    with app.app_context():
        found = facilities.by_name(facility) or facilities.create(facility, "北1条東1丁目", by=ADMIN)
        screen, key = facilities.add_screen(found, name, by=ADMIN)
        db.session.commit()
        return screen.id, key


def _notice(app, title: str, status: str = "sent", channels=("line", "signage"), facility_ids=(), **kw) -> int:
    with app.app_context():
        notice = Notice(title=title, body=f"{title}の本文です。", status=status, channels=list(channels),
                        signage_facility_ids=list(facility_ids), created_by="author@example.jp",
                        approved_by="approver@example.jp", requested_at=utcnow() - timedelta(minutes=5),
                        approved_at=utcnow() - timedelta(minutes=1), **kw)
        db.session.add(notice)
        db.session.commit()
        return notice.id


def _facility_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Facility.id).where(Facility.name == name))


def _without_csrf(html: str) -> str:
    return re.sub(r'<meta name="csrf-token" content="[^"]*">', "", html)


def _titles(client, key: str) -> list[str]:
    response = client.get(f"/signage/{key}/content")
    assert response.status_code == 200
    return [n["title"] for n in response.get_json()["notices"]]


# --- keys -----------------------------------------------------------------------------------------------------------

def test_only_the_keys_digest_is_stored_and_it_opens_the_page(app, client):
    screen_id, key = _screen(app)
    assert keys.KEY_SHAPE.fullmatch(key)
    with app.app_context():
        screen = db.session.get(Screen, screen_id)
        assert screen.key_digest == hashlib.sha256(key.encode()).hexdigest()
        stored = [str(v) for row in db.session.execute(select(Screen.__table__)).all() for v in row]
        logged = [str(row.before) + str(row.after) + row.summary for row in db.session.scalars(select(AuditLog))]
    assert not any(key in value for value in stored + logged)
    page = client.get(f"/signage/{key}", follow_redirects=True)
    assert page.status_code == 200
    assert "芦別市" in page.get_data(as_text=True)
    assert "noindex" in page.headers["X-Robots-Tag"]


def test_unknown_retired_and_replaced_keys_are_plain_404s(app, client):
    screen_id, key = _screen(app)
    unknown = client.get("/no/such/page")
    for path in ("/signage/" + "A" * 32, "/signage/short", "/signage/" + "é" * 32, "/signage/%00" * 3,
                 "/signage/" + "a" * 5000, "/signage/" + "A" * 32 + "/content", "/signage/../admin/"):
        response = client.get(path)
        assert response.status_code == 404, path
        # Nothing says a screen existed: the same page as any unknown path (the CSRF meta tag aside).
        assert _without_csrf(response.get_data(as_text=True)) == _without_csrf(unknown.get_data(as_text=True)), path
    with app.app_context():
        new_key = facilities.new_key_for(db.session.get(Screen, screen_id), by=ADMIN)
        db.session.commit()
    assert client.get(f"/signage/{key}").status_code == 404
    assert client.get(f"/signage/{new_key}/content").status_code == 200
    with app.app_context():
        facilities.retire(db.session.get(Screen, screen_id), by=ADMIN)
        db.session.commit()
    assert client.get(f"/signage/{new_key}").status_code == 404
    assert client.get(f"/signage/{new_key}/content").status_code == 404


def test_a_screen_key_opens_nothing_else(app, client):
    _screen_id, key = _screen(app)
    _screen(app, name="2階")
    assert client.get(f"/signage/{key}", follow_redirects=True).status_code == 200
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code == 302 and "/admin/login" in response.location
    assert client.get(f"/signage/{key}/qr/1.svg").status_code == 404
    assert client.get(f"/signage/{key}/content/../../admin").status_code in (302, 404)


# --- content ---------------------------------------------------------------------------------------------------------

def test_the_screen_shows_only_approved_notices_for_signage_in_their_period_and_facility(app, client):
    _screen_id, key = _screen(app, facility="芦別市役所")
    _other_id, other_key = _screen(app, facility="総合福祉センター")
    here = _facility_id(app, "芦別市役所")
    now = utcnow()
    _notice(app, "全画面のお知らせ")
    _notice(app, "市役所だけ", facility_ids=[here])
    _notice(app, "LINEだけ", channels=("line",))
    _notice(app, "送信予定でも表示", status="scheduled")
    _notice(app, "下書き", status="draft")
    _notice(app, "承認待ち", status="pending_approval")
    _notice(app, "取り消し", status="cancelled")
    _notice(app, "まだ先", display_from=now + timedelta(hours=1))
    _notice(app, "終わった", display_until=now - timedelta(minutes=1))
    _notice(app, "期間中", display_from=now - timedelta(days=1), display_until=now + timedelta(days=1))
    assert sorted(_titles(client, key)) == sorted(["全画面のお知らせ", "市役所だけ", "送信予定でも表示", "期間中"])
    assert sorted(_titles(client, other_key)) == sorted(["全画面のお知らせ", "送信予定でも表示", "期間中"])
    html = client.get(f"/signage/{key}", follow_redirects=True).get_data(as_text=True)
    for hidden in ("下書き", "承認待ち", "取り消し", "LINEだけ", "まだ先", "終わった"):
        assert hidden not in html, hidden
    assert "市役所だけ" in html and "期間中" in html  # rendered on the server, before any script runs


def test_the_content_has_only_public_fields(app, client):
    _screen_id, key = _screen(app)
    _notice(app, "図書館の臨時休館", url="https://www.city.ashibetsu.hokkaido.jp/library")
    data = client.get(f"/signage/{key}/content").get_json()
    assert set(data) == {"town", "facility", "idle", "disaster", "notices", "shelters", "kpi", "poll", "rotate"}
    assert set(data["notices"][0]) == PUBLIC_FIELDS
    raw = client.get(f"/signage/{key}/content").get_data(as_text=True)
    assert "author@example.jp" not in raw and "approver@example.jp" not in raw


def test_a_new_notice_changes_the_etag_and_an_unchanged_poll_is_a_304(app, client):
    _screen_id, key = _screen(app)
    first = client.get(f"/signage/{key}/content")
    tag = first.headers["ETag"]
    again = client.get(f"/signage/{key}/content", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    _notice(app, "新しいお知らせ")
    changed = client.get(f"/signage/{key}/content", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert [n["title"] for n in changed.get_json()["notices"]] == ["新しいお知らせ"]


def test_an_ended_notice_leaves_at_the_next_poll_and_carries_its_end_for_offline_screens(app, client):
    _screen_id, key = _screen(app)
    until = utcnow() + timedelta(hours=2)
    notice_id = _notice(app, "期間のあるお知らせ", display_until=until)
    item = client.get(f"/signage/{key}/content").get_json()["notices"][0]
    assert item["until"].startswith(until.strftime("%Y-%m-%dT%H:%M"))
    assert item["period"].startswith("掲載期間 ")
    with app.app_context():
        db.session.execute(update(Notice).where(Notice.id == notice_id).values(display_until=utcnow()
                                                                                - timedelta(seconds=1)))
        db.session.commit()
    assert _titles(client, key) == []


def test_the_period_reads_as_japanese_dates(app):
    from datetime import datetime, timezone

    from bot.signage.content import period_text

    jst_midnight_dec16 = datetime(2026, 12, 15, 15, 0, tzinfo=timezone.utc)
    notice = Notice(title="t", body="b", display_from=datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc),
                    display_until=jst_midnight_dec16)
    assert period_text(notice) == "掲載期間 12月1日〜12月15日"
    notice.display_until = None
    assert period_text(notice) == "掲載期間 12月1日から"


def test_the_qr_code_points_at_the_link_else_the_line_account_else_the_website(app, client):
    _screen_id, key = _screen(app)
    _notice(app, "リンクあり", url="https://www.city.ashibetsu.hokkaido.jp/gift")
    _notice(app, "リンクなし")
    items = {n["title"]: n for n in client.get(f"/signage/{key}/content").get_json()["notices"]}
    assert items["リンクあり"]["qr"] == qr.data_uri("https://www.city.ashibetsu.hokkaido.jp/gift")
    assert items["リンクなし"]["qr"] == qr.data_uri(app.config["TOWN_WEBSITE"])
    assert items["リンクなし"]["qr_label"] == "市のホームページ"
    app.config["LINE_ADD_FRIEND_URL"] = "https://line.me/R/ti/p/@example"
    items = {n["title"]: n for n in client.get(f"/signage/{key}/content").get_json()["notices"]}
    assert items["リンクなし"]["qr"] == qr.data_uri("https://line.me/R/ti/p/@example")
    assert items["リンクなし"]["qr_label"] == "LINEで友だち追加"
    assert items["リンクあり"]["qr"].startswith("data:image/svg+xml")


def test_disaster_mode_puts_the_banner_on_the_screen(app, client):
    _screen_id, key = _screen(app)
    assert client.get(f"/signage/{key}/content").get_json()["disaster"] == ""
    with app.app_context():
        set_disaster_mode(True, "大雨", "admin@example.jp")
        db.session.commit()
    data = client.get(f"/signage/{key}/content").get_json()
    assert data["disaster"] == app.config["TOWN_DISASTER_BANNER"]
    assert app.config["TOWN_DISASTER_BANNER"] in client.get(f"/signage/{key}", follow_redirects=True).get_data(as_text=True)


# --- heartbeat and health ---------------------------------------------------------------------------------------------

def _seen(app, screen_id: int):
    with app.app_context():
        value = db.session.get(Screen, screen_id).last_seen_at
        return value.replace(tzinfo=None) if value else None


def _set_seen(app, screen_id: int, when) -> None:
    with app.app_context():
        db.session.execute(update(Screen).where(Screen.id == screen_id).values(last_seen_at=when))
        db.session.commit()


def test_the_poll_is_the_heartbeat_written_at_most_every_30_seconds(app, client):
    screen_id, key = _screen(app)
    assert _seen(app, screen_id) is None
    client.get(f"/signage/{key}/content")
    first = _seen(app, screen_id)
    assert first is not None
    client.get(f"/signage/{key}/content")
    client.get(f"/signage/{key}")
    assert _seen(app, screen_id) == first  # throttled: no write per poll
    _set_seen(app, screen_id, utcnow() - timedelta(seconds=31))
    client.get(f"/signage/{key}/content")
    assert _seen(app, screen_id) > first - timedelta(seconds=1)
    assert _seen(app, screen_id) != first


def test_the_console_flags_silent_and_never_seen_screens_and_counts_the_kpi(console, editor_client):
    live_id, _ = _screen(console, facility="芦別市役所", name="1階ロビー")
    silent_id, _ = _screen(console, facility="総合福祉センター", name="玄関")
    _screen(console, facility="図書館", name="入口")
    _set_seen(console, live_id, utcnow() - timedelta(minutes=2))
    _set_seen(console, silent_id, utcnow() - timedelta(minutes=11))
    html = editor_client.get("/admin/signage/").get_data(as_text=True)
    assert html.count('<span class="state state-silent">10分以上応答なし</span>') == 1
    assert html.count('<span class="state state-never">未接続</span>') == 1
    assert html.count('<span class="state state-live">表示中</span>') == 1
    assert 'class="screen-silent" data-screen="玄関"' in html
    assert "URLを再発行" not in html  # editors look, admins manage
    assert '<span id="kpi-live">1</span>施設' in html
    overview = editor_client.get("/admin/").get_data(as_text=True)
    assert "設置施設数（サイネージ）" in overview and "1施設" in overview and "目標 5施設" in overview
    with console.app_context():
        assert health.kpi()["live"] == 1
    _set_seen(console, silent_id, utcnow())
    with console.app_context():
        assert health.kpi()["live"] == 2


def test_a_retired_screen_does_not_count_as_live(app):
    screen_id, _ = _screen(app)
    _set_seen(app, screen_id, utcnow())
    with app.app_context():
        assert health.kpi()["live"] == 1
        facilities.retire(db.session.get(Screen, screen_id), by=ADMIN)
        db.session.commit()
        assert health.kpi()["live"] == 0


# --- console management -----------------------------------------------------------------------------------------------

def test_an_admin_adds_a_facility_and_a_screen_and_sees_its_url_once(console, admin_client):
    response = admin_client.post("/admin/signage/facilities", data={"name": "芦別市役所", "place": "北1条東1丁目"},
                                 follow_redirects=True)
    assert "施設「芦別市役所」を登録しました" in response.get_data(as_text=True)
    facility_id = _facility_id(console, "芦別市役所")
    shown = admin_client.post(f"/admin/signage/facilities/{facility_id}/screens", data={"name": "1階ロビー"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    url = html.split('id="screen-url" class="screen-url">')[1].split("<")[0]
    key = url.rsplit("/", 1)[1]
    assert console.test_client().get(f"/signage/{key}", follow_redirects=True).status_code == 200
    assert key not in admin_client.get("/admin/signage/").get_data(as_text=True)
    assert key not in (shown.headers.get("Set-Cookie") or "")
    with console.app_context():
        actions = list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions[-2:] == ["signage.facility.add", "signage.screen.add"]


def test_duplicate_and_oversized_names_get_japanese_errors(console, admin_client):
    admin_client.post("/admin/signage/facilities", data={"name": "図書館"})
    twice = admin_client.post("/admin/signage/facilities", data={"name": " 図書館 "}, follow_redirects=True)
    assert "「図書館」という施設はもうあります" in twice.get_data(as_text=True)
    long = admin_client.post("/admin/signage/facilities", data={"name": "あ" * 101}, follow_redirects=True)
    assert long.status_code == 200 and "施設名" in long.get_data(as_text=True)
    with console.app_context():
        assert db.session.scalar(select(db.func.count(Facility.id))) == 1


def test_a_facility_with_a_live_screen_cannot_be_deleted_until_its_screens_are_retired(console, admin_client):
    screen_id, _ = _screen(console, facility="図書館")
    facility_id = _facility_id(console, "図書館")
    refused = admin_client.post(f"/admin/signage/facilities/{facility_id}/delete", follow_redirects=True)
    assert "使用中の画面がある施設は削除できません" in refused.get_data(as_text=True)
    admin_client.post(f"/admin/signage/screens/{screen_id}/retire")
    deleted = admin_client.post(f"/admin/signage/facilities/{facility_id}/delete", follow_redirects=True)
    assert "施設「図書館」を削除しました" in deleted.get_data(as_text=True)
    with console.app_context():
        assert db.session.get(Facility, facility_id) is None and db.session.get(Screen, screen_id) is None


def test_rename_and_rekey_from_the_console(console, admin_client):
    screen_id, key = _screen(console, facility="図書館")
    facility_id = _facility_id(console, "図書館")
    admin_client.post(f"/admin/signage/facilities/{facility_id}", data={"name": "市立図書館", "place": "旭町"})
    shown = admin_client.post(f"/admin/signage/screens/{screen_id}/rekey")
    assert "前のURLはもう使えません" in shown.get_data(as_text=True)
    anonymous = console.test_client()
    assert anonymous.get(f"/signage/{key}").status_code == 404
    with console.app_context():
        assert db.session.get(Facility, facility_id).name == "市立図書館"


def test_an_editor_may_not_change_facilities(console, editor_client):
    _screen(console, facility="図書館")
    facility_id = _facility_id(console, "図書館")
    assert editor_client.post("/admin/signage/facilities", data={"name": "x"}).status_code == 403
    assert editor_client.post(f"/admin/signage/facilities/{facility_id}/screens", data={}).status_code == 403


# --- CLI ------------------------------------------------------------------------------------------------------------

def test_cli_add_screen_prints_the_url_on_the_public_base_and_list_shows_no_key(app, runner):
    app.config["PUBLIC_BASE_URL"] = "https://bot.example.jp/"
    result = runner.invoke(args=["signage", "add-screen", "芦別市役所", "--name", "1階ロビー"])
    assert result.exit_code == 0, result.output
    url = next(line for line in result.output.splitlines() if line.startswith("https://"))
    assert url.startswith("https://bot.example.jp/signage/")
    key = url.rsplit("/", 1)[1]
    assert app.test_client().get(f"/signage/{key}", follow_redirects=True).status_code == 200
    listed = runner.invoke(args=["signage", "list"])
    assert listed.exit_code == 0 and "1階ロビー" in listed.output and "表示中" in listed.output  # the GET above reported
    assert key not in listed.output
    again = runner.invoke(args=["signage", "add-screen", "芦別市役所"])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Facility.id))) == 1
        assert db.session.scalar(select(db.func.count(Screen.id))) == 2
    empty = runner.invoke(args=["signage", "add-screen", "   "])
    assert empty.exit_code != 0 and "施設名を入力してください" in empty.output
    refused = runner.invoke(args=["signage", "add-screen", "新しい施設", "--name", "画" * 101])
    assert refused.exit_code != 0 and "100文字以内" in refused.output
    with app.app_context():  # the new facility and its screen are one transaction: a refused screen leaves no facility
        assert db.session.scalar(select(db.func.count(Facility.id))) == 1


@pytest.mark.parametrize("path", ["/signage/", "/signage/x/y/z", "/signage/" + "%ff" * 40])
def test_fuzzed_signage_paths_never_500(app, client, path):
    assert client.get(path).status_code == 404
    assert client.post(path).status_code in (404, 405)


def test_any_key_or_header_never_500s(app, client):
    from urllib.parse import quote

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    _screen_id, key = _screen(app)

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(path=st.text(max_size=80), tag=st.text(max_size=80).filter(lambda t: "\n" not in t and "\r" not in t))
    def check(path, tag):
        for url in (f"/signage/{quote(path, safe='')}", f"/signage/{quote(path, safe='')}/content"):
            assert client.get(url).status_code in (404, 308), url
        response = client.get(f"/signage/{key}/content", headers={"If-None-Match": tag.encode("utf-8", "replace")
                                                                   .decode("latin-1")})
        assert response.status_code in (200, 304)

    check()
