"""The console's rich-menu page: 「LINEに公開」, the 災害時モード switch, the red banner, access and CSRF."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditLog
from bot.richmenu import mode as modes
from bot.richmenu import publish as publisher
from bot.town.settings import disaster_state
from tests.support.console import ADMIN, admin_client, console, csrf_token, editor_client, login, make_users  # noqa: F401
from tests.richmenu.support import spec

PAGE = "/admin/richmenu/publish"


@pytest.fixture(autouse=True)
def hand_built(monkeypatch):
    monkeypatch.setattr(modes, "build", lambda mode: spec(mode, color="#aa0000" if mode == "disaster" else "#1e6f3f"))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _digest(client, mode: str) -> str:
    """Return the digest of the mode's review as the publishing page shows it now."""
    return re.search(rf'data-mode="{mode}" data-digest="([0-9a-f]{{64}})"', _text(client.get(PAGE))).group(1)


def _switch_digest(client) -> str:
    """Return the digest the disaster switch's form posts (the review of the menu it would send)."""
    page = _text(client.get(PAGE))
    return re.search(r'name="switch" value="o(?:n|ff)">\s*<input type="hidden" name="digest" value="([0-9a-f]{64})"',
                     page).group(1)


def _publish(client, mode: str = "normal", **kw):
    return client.post(PAGE, data={"mode": mode, "digest": _digest(client, mode)}, **kw)


def _switch(client, switch: str, reason: str, **kw):
    return client.post("/admin/richmenu/mode", data={"switch": switch, "reason": reason, "confirm": "y",
                                                     "digest": _switch_digest(client)}, **kw)


def test_publish_button_publishes_and_the_page_shows_the_publication(console, admin_client, fake_line):
    page = _text(admin_client.get(PAGE))
    assert "まだ公開していません" in page and "LINEに公開" in page
    response = _publish(admin_client, follow_redirects=True)
    assert "通常のメニューをLINEに公開しました" in _text(response)
    with console.app_context():
        row = publisher.current("normal")
        assert row.published_by == ADMIN
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "richmenu.publish")).actor == ADMIN
    assert fake_line.richmenu.default == row.line_menu_id
    page = _text(admin_client.get(PAGE))
    assert row.line_menu_id in page and "定義と同じ（最新）" in page and "住民に表示中" in page
    again = _publish(admin_client, follow_redirects=True)
    assert "何も変更していません" in _text(again)


def test_changed_definition_shows_as_unpublished(console, admin_client, monkeypatch):
    _publish(admin_client)
    monkeypatch.setattr(modes, "build", lambda mode: spec(mode, color="#123456"))
    assert "定義が変わっています（未公開）" in _text(admin_client.get(PAGE))


def test_line_error_is_shown_in_japanese_not_a_500(console, admin_client, fake_line):
    fake_line.inject("/v2/bot/richmenu", status=500, headers={"x-line-request-id": "req-console-9"})
    response = _publish(admin_client, follow_redirects=True)
    assert response.status_code == 200
    page = _text(response)
    assert "メニューの作成で、LINEのサーバーでエラーが起きました（HTTP 500、リクエストID req-console-9）" in page


def test_broken_definition_is_a_japanese_message(console, admin_client, monkeypatch):
    def broken(mode):
        raise ValueError("no such tile")

    monkeypatch.setattr(modes, "build", broken)
    assert "定義を読み込めません" in _text(admin_client.get(PAGE))
    response = _publish(admin_client, follow_redirects=True)
    assert "メニューを作れなかったため、公開していません" in _text(response)


def test_disaster_switch_needs_reason_and_confirmation(console, admin_client):
    response = _switch(admin_client, "on", "", follow_redirects=True)
    assert "理由を入力してください" in _text(response)
    response = admin_client.post("/admin/richmenu/mode", data={"switch": "on", "reason": "大雨"},
                                 follow_redirects=True)
    assert "確認のチェックを入れてください" in _text(response)
    with console.app_context():
        assert not disaster_state().on


def test_disaster_switch_on_and_back(console, admin_client, fake_line):
    response = _switch(admin_client, "on", "大雨警報", follow_redirects=True)
    page = _text(response)
    assert "災害時モードに切り替えました" in page and "災害時のメニューをLINEに公開しました" in page
    assert 'class="disaster-banner"' in page
    overview = _text(admin_client.get("/admin/"))
    assert 'class="disaster-banner"' in overview and "大雨警報" in overview  # the red band on the overview
    with console.app_context():
        assert disaster_state().on and disaster_state().by == ADMIN
        assert fake_line.richmenu.default == publisher.current("disaster").line_menu_id
    response = _switch(admin_client, "off", "解除", follow_redirects=True)
    assert "通常に戻しました" in _text(response)
    assert 'class="disaster-banner"' not in _text(admin_client.get("/admin/"))
    with console.app_context():
        assert not disaster_state().on
        assert fake_line.richmenu.default == publisher.current("normal").line_menu_id
        actions = [a.action for a in db.session.scalars(select(AuditLog))]
    assert {"town.disaster_on", "town.disaster_off", "richmenu.publish"} <= set(actions)
    audit = _text(admin_client.get("/admin/audit"))
    assert "災害時モードに切り替え" in audit and "リッチメニューをLINEに公開" in audit


def test_editor_cannot_publish_or_switch(console, editor_client, fake_line):
    assert editor_client.get(PAGE).status_code == 403
    assert editor_client.post(PAGE, data={"mode": "normal"}).status_code == 403
    assert editor_client.post("/admin/richmenu/mode", data={"switch": "on", "reason": "x", "confirm": "y"}
                              ).status_code == 403
    assert fake_line.requests == []
    assert "メニュー公開・災害時" not in _text(editor_client.get("/admin/"))


def test_reason_is_escaped_on_every_page(console, admin_client):
    _switch(admin_client, "on", "<script>alert(1)</script>")
    for path in ("/admin/", PAGE):
        page = _text(admin_client.get(path))
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_posts_need_the_csrf_token(loaded_app, fake_line):
    make_users(loaded_app)
    client = loaded_app.test_client()
    token = csrf_token(client)
    assert login(client, ADMIN, csrf_token=token).status_code == 302
    assert client.post(PAGE, data={"mode": "normal"}).status_code == 400
    assert client.post("/admin/richmenu/mode", data={"switch": "on", "reason": "x", "confirm": "y"}
                       ).status_code == 400
    assert fake_line.requests == []
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _text(client.get(PAGE))).group(1)
    assert client.post(PAGE, data={"mode": "normal", "csrf_token": token,
                                   "digest": _digest(client, "normal")}).status_code == 302
    assert fake_line.richmenu.default is not None


def test_audit_page_shows_publish_and_switch_in_japanese(console, admin_client):
    from tests.admin.test_japanese import english_words

    _switch(admin_client, "on", "大雨")
    _switch(admin_client, "off", "解除")
    with console.app_context():
        ids = {row.line_menu_id for row in db.session.scalars(select(publisher.RichMenuPublication))}
        # Only this page's own records: the pack import's rows (richmenu-def's) are checked with its labels.
        for row in db.session.scalars(select(AuditLog).where(AuditLog.action.not_in(
                ("richmenu.publish", "town.disaster_on", "town.disaster_off")))):
            db.session.delete(row)
        db.session.commit()
    page = _text(admin_client.get("/admin/audit"))
    assert "LINEのメニューID" in page and "友だち全員に表示" in page and "災害時モード" in page
    # The target ids (normal, disaster, the foundation's disaster_mode) are shown raw by the audit page, as
    # entry slugs are; everything else must be Japanese.
    allowed = {part for i in ids for part in i.split("-")} | {"normal", "disaster", "mode"}
    assert english_words(page, extra=allowed) == set()
