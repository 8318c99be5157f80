"""Production needs PUBLIC_BASE_URL: no link (the Atom feed, LINE, signage) ever follows a request's Host header."""
from __future__ import annotations

import pytest

from bot import create_app
from bot.extensions import db
from tests.conftest import base_config

KEY = "p" * 40


def _production(app, fake_line, **config):
    return create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"], fake_line), "APP_ENV": "production",
                       "SECRET_KEY": KEY, **config})


@pytest.mark.parametrize("url", ["", "   ", "http://bot.example.jp/", "https://bot example.jp/", "bot.example.jp"])
def test_production_refuses_to_start_without_a_good_public_base_url(app, fake_line, url):
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        _production(app, fake_line, PUBLIC_BASE_URL=url)


def test_production_refuses_to_start_when_the_variable_is_missing(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", KEY)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match=r"Set PUBLIC_BASE_URL \(for example https://bot.example.jp/\)"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_may_follow_the_request_host(app):
    assert app.config["APP_ENV"] != "production" and not app.config["PUBLIC_BASE_URL"]
    feed = app.test_client().get("/notices.atom", headers={"Host": "dev.example"}).get_data(as_text=True)
    assert "http://dev.example/notices" in feed


def test_in_production_the_feed_links_follow_public_base_url_whatever_the_host_says(app, fake_line):
    production = _production(app, fake_line, PUBLIC_BASE_URL="https://bot.example.jp/", TRUSTED_PROXIES=1)
    try:
        response = production.test_client().get("/notices.atom", headers={
            "Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"})
        feed = response.get_data(as_text=True)
        assert response.status_code == 200 and "https://bot.example.jp/notices" in feed and "evil" not in feed
        with production.test_request_context("/", headers={"Host": "evil.example"}):
            from bot.publicurl import base_url

            production.config["PUBLIC_BASE_URL"] = ""  # even if it were emptied at run time: never the Host
            assert "evil" not in base_url()
    finally:
        production.extensions["line_sender"].close()
        with production.app_context():
            db.engine.dispose()
