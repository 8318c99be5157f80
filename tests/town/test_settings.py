"""町の設定: admins change the town's switchboard, hours and texts; replies show them; every change is audited."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from bot.config import DEFAULT_DISASTER_BANNER, DEFAULT_DISASTER_GREETING
from bot.conversation import replies
from bot.core.tenancy import keyed
from bot.extensions import db
from bot.knowledge.index import knowledge
from bot.models import AuditLog, TownSetting
from bot.town import settings
from tests.support import events
from tests.support.console import ADMIN, EDITOR, console, csrf_token, login, make_users  # noqa: F401

REPLY = "/v2/bot/message/reply"


def _form(**changes) -> dict:
    data = {"name": "芦別市", "contact": "芦別市役所", "phone": "", "hours": "",
            "website": "https://www.city.ashibetsu.hokkaido.jp/",
            "disaster_banner": DEFAULT_DISASTER_BANNER, "disaster_greeting": DEFAULT_DISASTER_GREETING}
    data.update(changes)
    return data


@pytest.fixture
def admin(console):
    client = console.test_client()
    assert login(client, ADMIN).status_code == 302
    return client


def _reply_text(fake_line) -> str:
    return json.dumps(fake_line.calls(REPLY)[-1].body["messages"], ensure_ascii=False)


def test_a_saved_switchboard_shows_in_the_next_webhook_reply(console, admin, webhook, fake_line):
    webhook([events.text("人と話したい")])
    assert "0124-22-2111" not in _reply_text(fake_line)
    response = admin.post("/admin/town", data=_form(phone="０１２４－２２－２１１１", hours="平日 8:30〜17:15"))
    assert response.status_code == 302
    webhook([events.text("人と話したい")])
    reply = _reply_text(fake_line)
    assert "代表電話 0124-22-2111" in reply and "受付時間：平日 8:30〜17:15" in reply


def test_the_fallback_shows_switchboard_and_hours_or_else_the_website(console, admin):
    with console.app_context():
        kb = knowledge()
        body = replies.fallback(kb, settings.current_town())["text"]
        assert "代表電話" not in body and "市のホームページ：https://www.city.ashibetsu.hokkaido.jp/" in body
    admin.post("/admin/town", data=_form(phone="0124222111", hours="平日 8:30〜17:15"))
    with console.app_context():
        body = replies.fallback(knowledge(), settings.current_town())["text"]
        assert "芦別市役所（代表電話 0124222111）\n受付時間：平日 8:30〜17:15" in body


def test_each_change_is_audited_with_before_and_after(console, admin):
    admin.post("/admin/town", data=_form(phone="0124-22-2111", contact="芦別市役所 総務課"))
    with console.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "town.settings"))
        assert row.actor == ADMIN
        assert row.before == {"contact": "芦別市役所", "phone": ""}
        assert row.after == {"contact": "芦別市役所 総務課", "phone": "0124-22-2111"}
        # Only what changed is stored: the other settings keep following the environment.
        assert {r.key for r in db.session.scalars(select(TownSetting))} == {"contact", "phone"}
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "町の設定を変更" in page and "代表電話" in page


def test_saving_nothing_new_writes_nothing(console, admin):
    assert "変更はありませんでした" in admin.post("/admin/town", data=_form(), follow_redirects=True).get_data(as_text=True)
    with console.app_context():
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "town.settings")) is None


@pytest.mark.parametrize("field, value, message", [
    ("phone", "119", "10〜11けた"),
    ("phone", "0124-22-2111-9", "10〜11けた"),
    ("phone", "<script>", "10〜11けた"),
    ("website", "javascript:alert(1)", "https://"),
    ("website", "www.city.ashibetsu.hokkaido.jp", "https://"),  # empty is allowed: no link until staff set one
    ("disaster_banner", "あ" * 61, "60文字以内"),
    ("disaster_banner", "一行目\n二行目", "1行で"),
    ("name", "", "入力してください"),
])
def test_bad_input_gets_a_japanese_error_and_stores_nothing(console, admin, field, value, message):
    response = admin.post("/admin/town", data=_form(**{field: value}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and "<script>" not in page.replace("&lt;script&gt;", "")
    with console.app_context():
        assert db.session.scalar(select(TownSetting)) is None


def test_reset_puts_a_setting_back_to_the_default(console, admin):
    admin.post("/admin/town", data=_form(hours="平日のみ"))
    assert "初期値に戻す" in admin.get("/admin/town").get_data(as_text=True)
    assert admin.post("/admin/town/reset/hours").status_code == 302
    with console.app_context():
        assert settings.current_town().hours == ""
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "town.settings_reset"))
        assert row.before == {"hours": "平日のみ"} and row.after == {"hours": ""}
    assert admin.post("/admin/town/reset/nothing").status_code == 404


def test_save_and_reset_commit_their_change_with_its_audit_row(console):
    """Services own the transaction: a saved or reset setting and its audit row survive the caller's rollback."""
    with console.app_context():
        assert settings.save({"phone": "0124-22-2111"}, ADMIN) == ["phone"]
        db.session.rollback()
        assert keyed(TownSetting, "phone").value == "0124-22-2111"
        assert settings.reset("phone", ADMIN) is True
        db.session.rollback()
        assert keyed(TownSetting, "phone") is None
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "town").order_by(
            AuditLog.id)).all()
        assert actions == ["town.settings", "town.settings_reset"]


def test_an_editor_cannot_open_or_change_the_town_settings(console):
    client = console.test_client()
    login(client, EDITOR)
    assert client.get("/admin/town").status_code == 403
    assert client.post("/admin/town", data=_form(phone="0124-22-2111")).status_code == 403
    assert client.post("/admin/town/reset/phone").status_code == 403
    with console.app_context():
        assert db.session.scalar(select(TownSetting)) is None


def test_the_form_needs_its_csrf_token(loaded_app):
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    make_users(loaded_app)
    client = loaded_app.test_client()
    login(client, ADMIN, csrf_token=csrf_token(client))
    assert client.post("/admin/town", data=_form(phone="0124-22-2111")).status_code == 400
    with loaded_app.app_context():
        assert db.session.scalar(select(TownSetting)) is None
    token = csrf_token(client, "/admin/town")
    assert client.post("/admin/town", data={**_form(phone="0124-22-2111"), "csrf_token": token}).status_code == 302


def test_the_page_shows_the_disaster_state_read_only(console, admin):
    page = admin.get("/admin/town").get_data(as_text=True)
    assert "通常" in page and "災害時モード中" not in page
    with console.app_context():
        settings.set_disaster_mode(True, "大雨警報", ADMIN)
        db.session.commit()
        # The commit cleared this process's copy: replies know at once.
        assert settings.current_town().disaster
    page = admin.get("/admin/town").get_data(as_text=True)
    assert "災害時モード中" in page and "大雨警報" in page


def test_the_page_names_who_switched_disaster_mode_as_staff_read_it(console, admin):
    with console.app_context():
        settings.set_disaster_mode(True, "大雨警報", "cli")
        db.session.commit()
    page = admin.get("/admin/town").get_data(as_text=True)
    assert "（コマンドライン）" in page and "（cli）" not in page


def test_the_town_is_read_from_the_database_at_most_every_few_seconds(console):
    with console.app_context():
        console.config["TOWN_CACHE_SECONDS"] = 3600
        assert settings.current_town().phone == ""
        # Another worker's change: a plain statement, which this process's commit hook does not see.
        db.session.execute(text("INSERT INTO town_settings (town_id, key, value, updated_at, updated_by) "
                                "VALUES (1, 'phone', '0124-22-2111', CURRENT_TIMESTAMP, 'other')"))
        db.session.commit()
        assert settings.current_town().phone == ""  # cached: no round trip per reply
        console.config["TOWN_CACHE_SECONDS"] = 0
        assert settings.current_town().phone == "0124-22-2111"
