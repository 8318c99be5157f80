"""The kiosk's key leaves the address after its first request: an HttpOnly cookie on /signage, a clean address."""
from __future__ import annotations

from sqlalchemy import select

from bot import create_app
from bot.extensions import db
from bot.models import Screen
from tests.conftest import base_config
from tests.signage.test_signage import _screen


def test_the_first_visit_trades_the_key_for_a_cookie_and_a_clean_address(app, client):
    _screen_id, key = _screen(app)
    first = client.get(f"/signage/{key}")
    assert first.status_code == 303 and first.location == "/signage/"
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith(f"signage_key={key};") and "HttpOnly" in cookie and "Path=/signage" in cookie
    assert "SameSite=Lax" in cookie and "Max-Age=34560000" in cookie
    assert "Secure" not in cookie  # plain http in development; production below
    page = client.get("/signage/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and key not in html and 'data-content-url="/signage/content"' in html
    assert "noindex" in page.headers["X-Robots-Tag"] and "no-cache" in page.headers["Cache-Control"]


def test_the_clean_address_polls_with_the_same_etag_and_heartbeat(app, client):
    screen_id, key = _screen(app)
    client.get(f"/signage/{key}")
    with app.app_context():
        db.session.execute(db.update(Screen).values(last_seen_at=None))
        db.session.commit()
    first = client.get("/signage/content")
    assert first.status_code == 200 and first.get_json()["notices"] == [] and first.headers["ETag"]
    assert client.get("/signage/content", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(f"/signage/{key}/content").headers["ETag"] == first.headers["ETag"]
    with app.app_context():
        assert db.session.scalar(select(Screen.last_seen_at).where(Screen.id == screen_id)) is not None


def test_without_a_live_key_the_clean_address_is_a_plain_404_and_sets_no_cookie(app, client):
    _screen_id, key = _screen(app)
    for cookie in (None, "A" * 32, "short", "a" * 4000, "%00" * 11, key[:-1] + ("A" if key[-1] != "A" else "B")):
        if cookie:
            client.set_cookie("signage_key", cookie, path="/signage")
        for path in ("/signage/", "/signage/content"):
            response = client.get(path)
            assert response.status_code == 404, (cookie, path)
            assert "signage_key" not in response.headers.get("Set-Cookie", "")
        client.delete_cookie("signage_key", path="/signage")
    assert "signage_key" not in client.get("/signage/" + "A" * 32).headers.get("Set-Cookie", "")


def test_in_production_the_cookie_is_secure(app, fake_line):
    _screen_id, key = _screen(app)
    production = create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"], fake_line), "APP_ENV": "production",
                             "SECRET_KEY": "p" * 40, "PUBLIC_BASE_URL": "https://bot.example.jp/"})
    cookie = production.test_client().get(f"/signage/{key}").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    production.extensions["line_sender"].close()
    with production.app_context():
        db.engine.dispose()
