"""Helpers for the public form tests: fill the supporters' club form as a browser would."""
from __future__ import annotations

import re
from html import unescape

SLUG = "supporters-club"
URL = f"/forms/{SLUG}"

GOOD = {
    "f-name": "芦別 花子",
    "f-kana": "あしべつ はなこ",
    "f-email": "hanako@example.jp",
    "f-prefecture": "東京都",
    "f-city": "世田谷区",
    "f-relation": ["芦別出身", "ふるさと納税"],
    "f-interests": ["観光"],
    "f-contact_via": "LINE",
    "f-consent": "1",
}


def hidden(html: str, name: str) -> str | None:
    """Return the value of the (first) hidden input called name in a page."""
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


def hidden_pairs(html: str) -> list[tuple[str, str]]:
    """Return every hidden input of a page as (name, value), as the browser would post them."""
    return [(n, unescape(v)) for n, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', html)]


def open_form(client, query: str = "") -> str:
    """Return the input page's HTML."""
    response = client.get(URL + query, follow_redirects=True)  # a link's token is exchanged for a cookie first
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_confirm(client, answers: dict | None = None, token: str | None = None, **extra):
    """Post the input page (step confirm) with a fresh CSRF token; return the response."""
    page = open_form(client, f"?t={token}" if token else "")
    data = {**(GOOD if answers is None else answers), "csrf_token": hidden(page, "csrf_token"), "step": "confirm",
            **extra}
    if token and hidden(page, "t"):
        data["t"] = hidden(page, "t")
    return client.post(URL, data=data)


def post_submit(client, confirm_html: str, **extra):
    """Post the confirm page's form (step submit) exactly as a browser would."""
    pairs = hidden_pairs(confirm_html) + [("step", "submit")] + list(extra.items())
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return client.post(URL, data=data)


def receipt(html: str) -> str | None:
    """Return the receipt number a done page shows."""
    match = re.search(r'class="fm-receipt-no"[^>]*>([^<]+)<', html)
    return match.group(1).strip() if match else None


def apply(client, answers: dict | None = None, token: str | None = None) -> str:
    """Fill, confirm and submit; return the done page's HTML."""
    confirm = post_confirm(client, answers, token)
    assert confirm.status_code == 200, confirm.get_data(as_text=True)[:2000]
    done = post_submit(client, confirm.get_data(as_text=True))
    assert done.status_code == 200, done.get_data(as_text=True)[:2000]
    return done.get_data(as_text=True)
