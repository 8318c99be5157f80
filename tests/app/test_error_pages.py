"""People meet error pages in Japanese; scripts and LINE keep their JSON."""
from __future__ import annotations

import pytest

from bot.errorpages import MESSAGES, TITLES


@pytest.mark.parametrize("method, path, code", [
    ("GET", "/no-such-page", 404),
    ("GET", "/admin/no-such-page", 404),
    ("GET", "/simulator/send", 405),
])
def test_error_pages_speak_japanese(client, method, path, code):
    response = client.open(path, method=method)
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert TITLES[code] in html and MESSAGES[code] in html
    # werkzeug's own names and explanations ("Not Found", "The requested URL…") never reach a person.
    assert "Not Found" not in html and "Method Not Allowed" not in html and "requested URL" not in html


def test_a_japanese_reason_given_by_the_view_is_kept(client):
    response = client.get("/admin/login", query_string={"next": "/admin\x00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and TITLES[400] in html and "NUL 文字" in html


def test_the_webhook_still_answers_json(client):
    response = client.get("/callback")
    assert response.status_code == 405 and response.is_json
