"""The chat simulator: same conversation code, LINE-shaped JSON, off in production."""
from __future__ import annotations

from bot import create_app
from tests.conftest import base_config


def _token(client) -> str:
    import re

    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_simulator_answers_like_the_webhook(loaded_app):
    client = loaded_app.test_client()
    assert "シミュレーター" in client.get("/").get_data(as_text=True)
    response = client.post("/simulator/send", json={"kind": "text", "text": "給食費ってタダ？"},
                           headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 200
    data = response.get_json()
    assert data["outcome"] == "answer" and data["entry"] == "school-lunch-free"
    assert data["messages"][0]["type"] == "flex"


def test_simulator_rejects_bad_input(loaded_app):
    client = loaded_app.test_client()
    headers = {"X-CSRFToken": _token(client)}
    assert client.post("/simulator/send", data="nope", headers=headers).status_code == 400
    assert client.post("/simulator/send", json={"kind": "hack"}, headers=headers).status_code == 400
    assert client.post("/simulator/send", json={"text": "あ" * 20_000}, headers=headers).status_code == 400


def test_simulator_needs_the_csrf_token(loaded_app):
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    client = loaded_app.test_client()
    assert client.post("/simulator/send", json={"kind": "text", "text": "給食"}).status_code == 400


def test_simulator_is_off_in_production_unless_enabled(app, fake_line, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SIMULATOR_ENABLED", raising=False)
    config = base_config(app.config["SQLALCHEMY_DATABASE_URI"], fake_line)
    del config["SIMULATOR_ENABLED"]
    production = create_app(config)
    assert production.test_client().get("/").status_code == 404
    monkeypatch.setenv("SIMULATOR_ENABLED", "1")
    assert create_app(config).test_client().get("/").status_code == 200


def test_postgres_urls_are_accepted():
    from bot.config import database_url

    assert database_url("postgres://u:p@h/db", "/x").startswith("postgresql+psycopg://u:p@h/db")
    assert database_url("postgresql://u@h/db", "/x") == "postgresql+psycopg://u@h/db"
    assert database_url(None, "/inst").endswith("/inst/ashibetsu-bot.sqlite3")


def test_production_refuses_the_development_secret_key(monkeypatch):
    import pytest

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_cookie_and_body_limits_are_set(monkeypatch):
    monkeypatch.setenv("MAX_WEBHOOK_BYTES", "12345")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["MAX_WEBHOOK_BYTES"] == 12345
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax" and app.config["SESSION_COOKIE_HTTPONLY"]
