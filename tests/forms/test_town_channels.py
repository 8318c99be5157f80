"""A town's forms talk to LINE through the town's own channel: the 「応援団に登録する」 answer comes on its webhook,
and the receipt is pushed with its access token (issue 21 §1)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from bot.core.tenancy import use_town
from bot.extensions import db
from bot.models import FormSubmission
from bot.pack import import_pack
from bot.towns.store import create_town
from tests.conftest import _bundled_pack
from tests.forms.support import apply, receipt
from tests.support import events
from tests.support.linejson import actions
from tests.support.linesign import body_of, sign

SECRET, TOKEN, BOT = "furano-channel-secret", "furano-access-token", "U" + "a" * 32
RESIDENT = "U" + "5" * 32


class _InTown:
    """A test client whose paths are under a town's prefix (/<slug>/…), as a browser following its links."""

    def __init__(self, client, slug: str) -> None:
        self.client, self.prefix = client, f"/{slug}"

    def get(self, path: str, **kw):
        return self.client.get(self.prefix + path, **kw)

    def post(self, path: str, **kw):
        return self.client.post(self.prefix + path, **kw)


def test_a_towns_form_receipt_is_pushed_with_the_towns_token(app, fake_line):
    with app.app_context():
        town_id = create_town("furano", "富良野市", actor="cli", channel_secret=SECRET, access_token=TOKEN).id
        with use_town(town_id):
            import_pack(_bundled_pack(app.config["KNOWLEDGE_DIR"]))
    client = app.test_client()
    for event in (events.follow(user=RESIDENT), events.text("応援団に入りたい", user=RESIDENT)):
        body = body_of([event], BOT)
        response = client.post("/furano/callback", data=body,
                               headers={"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
        assert response.status_code == 200
    assert app.extensions["line_sender"].drain(10)
    replies = fake_line.calls("/v2/bot/message/reply")
    assert {r.headers["authorization"] for r in replies} == {f"Bearer {TOKEN}"}
    uris = [a["uri"] for r in replies for m in r.body["messages"] for a in actions(m)
            if a["type"] == "uri" and a["label"] == "応援団に登録する"]
    assert uris  # (the link's path lacks the town's prefix today: bot.publicurl, not this test's subject)
    token = dict(parse_qsl(urlsplit(uris[-1]).query))["t"]
    number = receipt(apply(_InTown(app.test_client(), "furano"), token=token))
    with app.app_context(), use_town(town_id):
        row = db.session.query(FormSubmission).one()
        assert row.line_user_id == RESIDENT and row.receipt_no == number
    pushes = fake_line.calls("/v2/bot/message/push")
    assert len(pushes) == 1 and pushes[0].body["to"] == RESIDENT and number in str(pushes[0].body["messages"])
    assert pushes[0].headers["authorization"] == f"Bearer {TOKEN}"
