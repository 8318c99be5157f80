"""Issue 19 A8: a full registration and withdrawal through gunicorn leaves no secret and no name in its access log.

The very first GET of a link carries its token (a LINE button and a bookmarked or mailed link cannot do
otherwise); the app swaps it for an HttpOnly cookie at once and redirects to a clean URL, so no later request
line carries one. Names and addresses travel only in POST bodies, which access logs do not keep.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import quote

import requests
from sqlalchemy import select

from bench._common import Gunicorn, service_env
from bot.extensions import db
from bot.forms.links import make_link_token
from bot.models import Follower
from tests.conftest import SECRET, TOKEN
from tests.support.events import USER
from tests.forms.support import GOOD, URL, hidden, hidden_pairs, receipt

NAME, KANA, MAIL, CITY = "記録 太郎", "きろく たろう", "kiroku@example.jp", "記録町"


def _apply(base: str, session: requests.Session, query: str = "", **changes: str) -> str:
    page = session.get(base + URL + query, timeout=30)
    assert page.status_code == 200 and "?" not in page.url
    data = {**GOOD, "f-name": NAME, "f-kana": KANA, "f-email": MAIL, "f-city": CITY, **changes,
            "csrf_token": hidden(page.text, "csrf_token"), "step": "confirm"}
    if hidden(page.text, "t"):
        data["t"] = hidden(page.text, "t")
    confirm = session.post(base + URL, data=data, timeout=30)
    assert confirm.status_code == 200, confirm.text[:300]
    done = session.post(base + URL, data=hidden_pairs(confirm.text) + [("step", "submit")], timeout=30)
    assert done.status_code == 200 and receipt(done.text), done.text[:300]
    return done.text


def _withdraw(base: str, session: requests.Session, path: str) -> None:
    page = session.get(base + path, timeout=30)
    assert page.status_code == 200 and page.url == base + URL + "/manage", page.url
    gone = session.post(base + URL + "/withdraw", data={"csrf_token": hidden(page.text, "csrf_token")}, timeout=30)
    assert "登録を取り消しました" in gone.text


def _forms_lines(log: Path) -> int:
    return sum('/forms/' in line for line in log.read_text().splitlines()) if log.exists() else 0


def test_no_token_or_name_in_the_access_log_after_the_first_get(loaded_app, fake_line, tmp_path):
    with loaded_app.app_context():
        db.session.add(Follower(line_user_id=USER, status="active"))
        db.session.commit()
        follower = db.session.scalar(select(Follower.id).where(Follower.line_user_id == USER))
        link_token = make_link_token(follower, "supporters-club")
    log = tmp_path / "access.log"
    env = service_env(loaded_app.config["SQLALCHEMY_DATABASE_URI"], fake_line.url, APP_ENV="development",
                      SECRET_KEY=loaded_app.config["SECRET_KEY"], LINE_CHANNEL_SECRET=SECRET,
                      LINE_CHANNEL_ACCESS_TOKEN=TOKEN, GUNICORN_ACCESS_LOG=str(log), GUNICORN_LOG_LEVEL="info")
    server = Gunicorn("app:app", env, workers=2, threads=2).start(timeout=120)
    try:
        base = server.url
        # 1. On the web: apply, then withdraw from the done page's own link.
        resident = requests.Session()
        done = _apply(base, resident)
        assert 'href="/forms/supporters-club/manage"' in done
        _withdraw(base, resident, URL + "/manage")
        # 2. From LINE: the button's link, then withdrawal through the bookmarked management link elsewhere.
        done = _apply(base, requests.Session(), f"?t={link_token}", **{"f-email": "", "f-contact_via": "LINE"})
        bookmark = re.search(r'href="(/forms/supporters-club/manage\?w=[^"]+)"', done).group(1).replace("&amp;", "&")
        manage_token = bookmark.split("w=", 1)[1]
        _withdraw(base, requests.Session(), bookmark)
        deadline = time.monotonic() + 10  # gunicorn writes each access log line after its response
        while time.monotonic() < deadline and _forms_lines(log) < 12:
            time.sleep(0.1)
    finally:
        server.stop()
    lines = Path(log).read_text().splitlines()
    assert _forms_lines(log) == 12, lines  # 5 requests on the web, 7 from LINE (two of them the 303 exchanges)
    text = "\n".join(lines)
    for secret in (NAME, KANA, MAIL, CITY):
        assert secret not in text and quote(secret) not in text and quote(secret).lower() not in text.lower()
    # Each link's token: at most in the one request that brought it (none once query strings are not logged).
    for token in (link_token, manage_token):
        carrying = [line for line in lines if token in line]
        assert len(carrying) <= 1, carrying
        if carrying:
            assert '"GET /forms/supporters-club' in carrying[0] and '" 303 ' in carrying[0]
    assert not [line for line in lines if "?t=" in line or "?w=" in line or "&w=" in line][2:]
