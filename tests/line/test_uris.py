"""Links in LINE messages: town settings pass the shared rules, and a bad link in the database drops one button only.

The fake LINE API refuses a message with a bad link with 400, as LINE does: the webhook tests below are real.
"""
from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.line import flex, messages
from bot.models import TownSetting, utcnow
from bot.core.problems import Invalid
from bot.core.textrules import line_uri_problem, web_url_problem
from bot.town import settings
from bot.town.model import Town
from tests.support import events
from tests.support.console import ADMIN, console, login  # noqa: F401
from tests.support.fakeline import message_uri_problems
from tests.support.linejson import actions

REPLY = "/v2/bot/message/reply"
BAD_SITE = "https://www.city.ashibetsu.hokkaido.jp/\x01"


def _store(app, **values) -> None:
    """Write settings straight into the database, past the console's form (a script, a bad migration)."""
    with app.app_context():
        for key, value in values.items():
            db.session.merge(TownSetting(key=key, value=value, updated_at=utcnow(), updated_by="script"))
        db.session.commit()


@pytest.mark.parametrize("uri", [BAD_SITE, "https://exa mple.jp/", "https://example.jp/a\nb", "javascript:alert(1)",
                                 "https://", "https:///path", "ftp://example.jp/", "https://example.jp:99999/",
                                 "https://example.jp/" + "a" * 1000, "tel:0124 22", "tel:"])
def test_links_line_refuses_are_refused_by_the_bot_and_the_fake(uri):
    assert line_uri_problem(uri) is not None
    assert message_uri_problems([{"type": "uri", "uri": uri}])


@pytest.mark.parametrize("uri", ["https://-bad-.jp/", "https://user:pw@example.jp/", "tel:0124(22)", "line://"])
def test_the_bot_is_stricter_than_line_on_hosts_user_names_and_odd_numbers(uri):
    assert line_uri_problem(uri) is not None


@pytest.mark.parametrize("uri", ["https://www.city.ashibetsu.hokkaido.jp/", "http://example.jp/a?b=c#d",
                                 "tel:110", "tel:%238000", "tel:0124-22-2111", "line://ti/p/@ashibetsu",
                                 "https://example.jp/" + "a" * 970, "http://127.0.0.1:5000/forms/x?t=a.b", "http://localhost/"])
def test_links_line_takes_pass(uri):
    assert line_uri_problem(uri) is None and message_uri_problems([{"type": "uri", "uri": uri}]) == []


def test_the_fake_line_api_refuses_a_bad_link_with_400(app, fake_line):
    from bot.line.client import LineGateway

    gateway = LineGateway("token", fake_line.url, 2.0)
    bad = {"type": "template", "altText": "x", "template": {"type": "buttons", "text": "x", "actions": [
        {"type": "uri", "label": "x", "uri": BAD_SITE}]}}
    assert gateway.push("U" + "0" * 32, [bad], retry_key="00000000-0000-4000-8000-000000000001").status == 400
    assert fake_line.calls("/v2/bot/message/push")[-1].status == 400


def test_a_bad_website_in_the_database_drops_its_button_and_keeps_the_urgent_reply(loaded_app, webhook, fake_line,
                                                                                     caplog):
    _store(loaded_app, website=BAD_SITE, phone="")
    with caplog.at_level(logging.ERROR, logger="bot.line.flex"):
        assert webhook([events.text("熊が出た", user="U" + "b" * 32)]).status_code == 200
    call = fake_line.calls(REPLY)[-1]
    assert call.status == 200, call.body  # LINE took the reply
    bubble = call.body["messages"][0]
    uris = [a["uri"] for a in actions(bubble) if a["type"] == "uri"]
    assert uris == ["tel:110"]  # the 110 button kept, the website's button dropped
    text = json.dumps(bubble, ensure_ascii=False)
    assert "クマ" in text and "市のホームページ：https://www.city.ashibetsu.hokkaido.jp/" in text
    assert "\\u0001" not in text  # the invisible character is left out of the text too
    assert "dropped the button '市のホームページ'" in caplog.text and "\x01" not in caplog.text
    assert "hokkaido" not in caplog.text and "U" + "b" * 32 not in caplog.text


def test_a_bad_office_link_drops_only_that_button():
    # An office page with a space (stored before the shared rules, or by a script) and no phone anywhere.
    town = Town(name="芦別市", contact="芦別市役所", phone="", website="https://www.city.ashibetsu.hokkaido.jp/")

    class Entry:
        slug, title, answer, url, contact, source = "s", "題", "答え", "https://example.jp/ok", "", ""

    class BadOffice:
        name, phone, hours, url = "教育委員会", "", "", "https://example.jp/a b"

    bubble = messages.answer_bubble(Entry(), town, 7, office=BadOffice())
    assert [a.get("uri") for a in actions(bubble) if a["type"] == "uri"] == ["https://example.jp/ok"]
    assert message_uri_problems([bubble]) == []


def test_a_message_whose_only_link_is_bad_has_no_empty_footer():
    bubble = messages.urgent_bubble("題", "本文", [("市のホームページ", BAD_SITE)])
    assert "footer" not in bubble["contents"] and message_uri_problems([bubble]) == []
    assert flex.box("vertical", [flex.button(flex.uri_action("x", BAD_SITE), "primary")]) is None


@pytest.mark.parametrize("field, value, message", [
    ("website", BAD_SITE, "制御文字"),
    ("website", "https://exa mple.jp/", "制御文字"),
    ("website", "https://example..jp/", "形が正しくありません"),
    ("name", "芦別\x01市", "制御文字"),
    ("contact", "芦別市役所\u200b\x07", "制御文字"),
    ("hours", "平日\t8:30", "1行で"),
    ("disaster_greeting", "一行目\n二行目\x1b", "制御文字"),
])
def test_town_settings_follow_the_shared_rules_in_the_form(console, field, value, message):
    admin = console.test_client()
    assert login(admin, ADMIN).status_code == 302
    data = {"name": "芦別市", "contact": "芦別市役所", "phone": "", "hours": "",
            "website": "https://www.city.ashibetsu.hokkaido.jp/", "disaster_banner": "災害時の帯",
            "disaster_greeting": "あいさつ", field: value}
    response = admin.post("/admin/town", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    with console.app_context():
        assert db.session.scalar(select(TownSetting)) is None


def test_town_settings_follow_the_shared_rules_in_the_service(app):
    with app.app_context():
        with pytest.raises(Invalid) as caught:
            settings.save({"website": BAD_SITE, "phone": "0124-22-2111#1"}, "script")
        assert set(caught.value.errors) == {"website", "phone"}
        db.session.rollback()
        assert db.session.scalar(select(TownSetting)) is None
        # The multi-line greeting keeps its line breaks.
        assert settings.save({"disaster_greeting": "一行目\n二行目"}, "script") == ["disaster_greeting"]


def test_offices_use_the_same_link_rule():
    assert web_url_problem("https://example.jp/\x01", "ページのURL") == "ページのURLに空白や改行・制御文字は使えません"
    from bot.offices.pack import check_office

    problems = check_office({"key": "k", "name": "課", "url": "https://exa mple.jp/"}, "form", "office")
    assert [p.message for p in problems] == ["ページのURLに空白や改行・制御文字は使えません"]
