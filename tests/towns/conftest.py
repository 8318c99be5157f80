"""Fixtures for the operator console (/operator/): an operator, a logged-in client, a town made by an operator."""
from __future__ import annotations

import re

import pytest

from bot.towns import operators

OPERATOR = "operator@example.invalid"
OP_PASSWORD = "operator horse battery"


def op_login(client, email: str = OPERATOR, password: str = OP_PASSWORD, **extra):
    return client.post("/operator/login", data={"email": email, "password": password, **extra})


def op_csrf(client, path: str = "/operator/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def operator_app(app):
    """The app (CSRF off: tested on its own) with one operator."""
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        operators.create_operator(OPERATOR, OP_PASSWORD)
    return app


@pytest.fixture
def op_client(operator_app):
    client = operator_app.test_client()
    response = op_login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/operator/")
    return client


def new_town(client, slug: str = "biei", name: str = "美瑛町", **extra):
    """Create a town through the console."""
    data = {"slug": slug, "name": name, "pack": "", "line_channel_secret": f"{slug}-secret",
            "line_access_token": f"{slug}-token", "line_bot_user_id": "", **extra}
    return client.post("/operator/towns/new", data=data)
