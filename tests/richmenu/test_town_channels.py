"""Rich menus are published to the current town's own LINE channel, with its access token (issue 21 §1)."""
from __future__ import annotations

import pytest

from bot.core.tenancy import use_town
from bot.richmenu import publish as publisher
from bot.richmenu.publish import PublishError, publish
from bot.towns.store import create_town, set_channel
from tests.conftest import TOKEN
from tests.richmenu.support import spec

A_TOKEN = "furano-access-token"


def _tokens(fake_line) -> set[str]:
    return {r.headers.get("authorization", "") for r in fake_line.requests}


def test_a_town_publishes_with_its_own_token_and_the_default_town_with_the_settings(app, fake_line):
    with app.app_context():
        furano = create_town("furano", "富良野市", actor="cli", channel_secret="s", access_token=A_TOKEN).id
        with use_town(furano):
            assert publisher.configured()
            result = publish(spec(), "admin@example.invalid", make_default=True)
    assert result.created and fake_line.richmenu.default == result.menu_id
    assert _tokens(fake_line) == {f"Bearer {A_TOKEN}"}
    fake_line.reset()
    with app.app_context():  # the default town, with no channel stored: the app settings' token
        publish(spec(color="#333333"), "admin@example.invalid", make_default=True)
    assert _tokens(fake_line) == {f"Bearer {TOKEN}"}


def test_a_rotated_token_publishes_at_once(app, fake_line):
    with app.app_context():
        furano = create_town("furano", "富良野市", actor="cli", channel_secret="s", access_token=A_TOKEN).id
        with use_town(furano):
            publish(spec(), "admin@example.invalid", make_default=True)
        set_channel("furano", actor="cli", access_token="furano-rotated-token")
        with use_town(furano):
            publish(spec(color="#333333"), "admin@example.invalid", make_default=True)
    assert [r.headers["authorization"] for r in fake_line.requests][-1] == "Bearer furano-rotated-token"


def test_a_town_without_a_token_does_not_publish(app, fake_line):
    with app.app_context():
        town_id = create_town("nochannel", "未設定町", actor="cli").id
        with use_town(town_id):
            assert not publisher.configured()
            with pytest.raises(PublishError, match="アクセストークン"):
                publish(spec(), "admin@example.invalid", make_default=True)
    assert fake_line.requests == []
