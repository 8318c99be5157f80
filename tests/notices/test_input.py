"""Bad input on the compose form gets a Japanese form error, never a 500; a bare title and body save a draft."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import Notice
from bot.notices import compose
from tests.support.console import EDITOR, login, make_users
from tests.notices.support import FAST, add_followers


@pytest.fixture
def editor(loaded_app):
    loaded_app.config.update({**FAST, "NOTICE_TOPICS": "", "NOTICE_APPROVAL_REQUIRED": True,
                              "WTF_CSRF_ENABLED": False})
    make_users(loaded_app)
    with loaded_app.app_context():
        add_followers(range(3))
    client = loaded_app.test_client()
    assert login(client, EDITOR).status_code == 302
    client.application = loaded_app
    return client


def _post(client, path: str = "/admin/notices/new", **changes):
    data = {"title": "説明会のお知らせ", "body": "3月に開きます。", "audience": "all", "timing": "now", **changes}
    return client.post(path, data=data)


def _saved(client) -> int:
    with client.application.app_context():
        return db.session.scalar(select(func.count(Notice.id)))


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-12-31T09:00"])
def test_a_send_time_no_calendar_can_use_is_a_form_error(editor, when):
    response = _post(editor, timing="at", send_at=when)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "この日時は使えません" in html
    assert _saved(editor) == 0


def test_a_send_time_that_is_not_a_time_is_a_japanese_form_error(editor):
    response = _post(editor, timing="at", send_at="tomorrow")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "年/月/日 時:分" in html and "Not a valid" not in html


@pytest.mark.parametrize("field", ["title", "body"])
def test_a_nul_character_is_a_form_error_not_a_500(editor, field):
    # The app-wide guard (bot/core/security.py) answers before the form: a Japanese 400, and nothing is saved.
    response = _post(editor, **{field: "説明会\x00のお知らせ"})
    assert response.status_code == 400 and "NUL 文字" in response.get_data(as_text=True)
    assert _saved(editor) == 0


def test_a_nul_character_in_an_edit_is_a_form_error_too(editor):
    notice_id = int(_post(editor).headers["Location"].rsplit("/", 1)[1])
    response = _post(editor, f"/admin/notices/{notice_id}/edit", body="本文\x00")
    assert response.status_code == 400 and "NUL 文字" in response.get_data(as_text=True)
    with editor.application.app_context():
        assert db.session.get(Notice, notice_id).body == "3月に開きます。"


@pytest.mark.parametrize("url", ["http://[", "https://example.jp/\x01", "javascript:alert(1)", "https://exa mple.jp/",
                                 "https:///no-host"])
def test_a_broken_link_is_a_form_error(editor, url):
    response = _post(editor, url=url)
    assert response.status_code == 200 and "https:// で始まる URL" in response.get_data(as_text=True)


def test_the_preview_reports_nul_instead_of_failing(editor):
    data = editor.post("/admin/notices/preview", json={"title": "件\x00名", "body": "本文", "audience": "all"}
                       ).get_json()
    assert data["problems"] == {"title": compose.CONTROL_CHARACTERS}


def test_the_compose_page_starts_with_an_audience_that_can_be_saved(editor):
    html = editor.get("/admin/notices/new").get_data(as_text=True)
    checked = re.search(r'<input checked id="audience-\d" name="audience" type="radio" value="(\w+)">', html)
    assert checked and checked.group(1) == "all"
    assert re.search(r'id="recipient-count">3<', html)
    # What the browser posts when a clerk fills in only the title and the body.
    response = editor.post("/admin/notices/new", data={"title": "説明会", "body": "開きます。", "audience": "all",
                                                       "timing": "now", "entry_slug": "", "url": "", "send_at": ""})
    assert response.status_code == 302 and _saved(editor) == 1


def test_choosing_topics_but_ticking_none_says_what_to_do(editor):
    response = _post(editor, audience="topics")
    assert "テーマを1つ以上選ぶか、送る相手を「友だち全員」にしてください" in response.get_data(as_text=True)


def test_a_notice_to_send_at_once_shows_no_clock_that_moves(editor):
    notice_id = int(_post(editor).headers["Location"].rsplit("/", 1)[1])
    html = editor.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    shown = re.search(r'<dd id="send-time">(.*?)</dd>', html, re.S).group(1)
    assert "承認されたらすぐ" in shown and not re.search(r"\d{4}-\d{2}-\d{2}", shown)
    later = int(_post(editor, timing="at", send_at="2999-01-01T10:00").headers["Location"].rsplit("/", 1)[1])
    shown = re.search(r'<dd id="send-time">(.*?)</dd>', editor.get(f"/admin/notices/{later}").get_data(as_text=True),
                      re.S).group(1)
    assert "2999-01-01 10:00" in shown
