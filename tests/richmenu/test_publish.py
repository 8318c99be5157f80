"""Publishing a rich menu to the fake LINE: create, image, default, record, unchanged, replaced, failures."""
from __future__ import annotations

import io

import pytest
from linebot.v3.messaging import RichMenuRequest
from PIL import Image
from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditLog, RichMenuPublication
from bot.richmenu import publish as publisher
from bot.richmenu.publish import PublishError, publish
from tests.richmenu.support import HEIGHT, WIDTH, image, spec

CREATE = "/v2/bot/richmenu"


def _writes(fake):
    """Return the requests that change something at LINE (everything but GETs)."""
    return [r for r in fake.requests if r.method != "GET"]


def test_publish_creates_uploads_sets_default_and_records(app, fake_line):
    menu = spec()
    with app.app_context():
        result = publish(menu, "admin@example.invalid", make_default=True)
        row = db.session.scalar(select(RichMenuPublication))
        assert (row.mode, row.line_menu_id, row.fingerprint, row.published_by) == (
            "normal", result.menu_id, menu.fingerprint(), "admin@example.invalid")
        assert row.replaced_at is None and row.deleted_at is None
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "richmenu.publish")) is not None
    state = fake_line.richmenu
    assert result.created and result.made_default
    assert state.default == result.menu_id
    assert state.images[result.menu_id] == ("image/png", menu.image)
    upload = fake_line.calls(f"/v2/bot/richmenu/{result.menu_id}/content")
    assert upload[0].headers["content-type"] == "image/png" and upload[0].raw == menu.image
    assert fake_line.calls(f"/v2/bot/user/all/richmenu/{result.menu_id}")[0].method == "POST"


def test_menu_json_fits_the_sdk_and_lines_limits(app, fake_line):
    menu = spec(labels=tuple(f"項目{i}" for i in range(20)))
    with app.app_context():
        publish(menu, "a", make_default=True)
    sent = fake_line.calls(CREATE)[0].body
    model = RichMenuRequest.from_dict(sent)  # the SDK's own model accepts what went over the wire
    assert model.to_dict() == sent
    assert len(sent["areas"]) <= 20
    size = sent["size"]
    for area in sent["areas"]:
        b = area["bounds"]
        assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= size["width"]
        assert b["y"] + b["height"] <= size["height"]
    uploaded = fake_line.calls(f"/v2/bot/richmenu/{fake_line.richmenu.default}/content")[0].raw
    picture = Image.open(io.BytesIO(uploaded))
    assert picture.format == "PNG" and picture.size == (size["width"], size["height"]) == (WIDTH, HEIGHT)
    assert len(uploaded) <= 1024 * 1024


def test_fake_line_refuses_what_line_refuses(app, fake_line):
    """The fake is only worth testing against if it says no where LINE does."""
    too_many = spec(labels=tuple(str(i) for i in range(21)))
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(too_many, "a", make_default=True)
    assert "HTTP 400" in caught.value.message and "リクエストID" in caught.value.message
    outside = spec()
    bad_area = type(outside.areas[0])(WIDTH - 10, 0, 100, HEIGHT, {"type": "message", "text": "x"})
    with app.app_context(), pytest.raises(PublishError):
        publish(spec(areas=(bad_area,)), "a", make_default=True)
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(spec(image=b"GIF89a not an image", image_type="image/png"), "a", make_default=True)
    assert "画像のアップロード" in caught.value.message
    assert fake_line.richmenu.menus == {} and fake_line.richmenu.default is None


def test_unchanged_republish_changes_nothing_at_line(app, fake_line):
    with app.app_context():
        first = publish(spec(), "a", make_default=True)
        fake_line.requests.clear()
        again = publish(spec(), "b", make_default=True)
        assert db.session.scalars(select(RichMenuPublication)).all()[-1].published_by == "a"
    assert not again.changed and again.menu_id == first.menu_id
    assert _writes(fake_line) == []
    assert "何も変更していません" in again.summary()


def test_republish_after_menu_vanished_at_line_creates_it_again(app, fake_line):
    with app.app_context():
        first = publish(spec(), "a", make_default=True)
        del fake_line.richmenu.menus[first.menu_id]  # deleted in LINE's own manager
        again = publish(spec(), "a", make_default=True)
    assert again.created and again.menu_id != first.menu_id
    assert fake_line.richmenu.default == again.menu_id


def test_changed_menu_replaces_and_deletes_the_old_one_after_the_switch(app, fake_line):
    with app.app_context():
        first = publish(spec(color="#003366"), "a", make_default=True)
        second = publish(spec(color="#663300"), "a", make_default=True)
        rows = db.session.scalars(select(RichMenuPublication).order_by(RichMenuPublication.id)).all()
        assert rows[0].replaced_at is not None and rows[0].deleted_at is not None
        assert rows[1].replaced_at is None and publisher.current("normal").line_menu_id == second.menu_id
    assert second.deleted == (first.menu_id,)
    assert list(fake_line.richmenu.menus) == [second.menu_id]
    paths = [(r.method, r.path) for r in _writes(fake_line)]
    switch = paths.index(("POST", f"/v2/bot/user/all/richmenu/{second.menu_id}"))
    delete = paths.index(("DELETE", f"/v2/bot/richmenu/{first.menu_id}"))
    assert switch < delete  # residents never see no menu


def test_failed_delete_of_old_menu_is_retried_next_time(app, fake_line):
    with app.app_context():
        first = publish(spec(color="#003366"), "a", make_default=True)
        fake_line.inject(f"/v2/bot/richmenu/{first.menu_id}", status=500)
        second = publish(spec(color="#663300"), "a", make_default=True)
        assert second.leftover == (first.menu_id,) and "次の公開で再度削除" in second.summary()
        third = publish(spec(color="#663300"), "a", make_default=True)
    assert third.deleted == (first.menu_id,) and not third.created
    assert list(fake_line.richmenu.menus) == [second.menu_id]


@pytest.mark.parametrize("step_path", ["content", "default"])
def test_failure_part_way_deletes_the_half_made_menu_and_keeps_the_default(app, fake_line, step_path):
    with app.app_context():
        first = publish(spec(color="#003366"), "a", make_default=True)
        fake_line.inject("/v2/bot/richmenu/richmenu-" if step_path == "content" else "/v2/bot/user/all/richmenu/",
                         status=500)
        with pytest.raises(PublishError) as caught:
            publish(spec(color="#663300"), "a", make_default=True)
        assert publisher.current("normal").line_menu_id == first.menu_id
        assert len(db.session.scalars(select(RichMenuPublication)).all()) == 1
    assert "HTTP 500" in caught.value.message
    assert fake_line.richmenu.default == first.menu_id
    assert list(fake_line.richmenu.menus) == [first.menu_id]  # the half-made one is gone


@pytest.mark.parametrize("status, words", [(429, "混み合って"), (500, "サーバーでエラー"), (400, "受け付けませんでした")])
def test_line_errors_are_japanese_with_the_request_id(app, fake_line, status, words):
    fake_line.inject(CREATE, status=status, headers={"x-line-request-id": "req-abc-123"})
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(spec(), "a", make_default=True)
    message = caught.value.message
    assert words in message and f"HTTP {status}" in message and "リクエストID req-abc-123" in message
    assert message.startswith("メニューの作成で")


def test_timeout_is_a_japanese_error(app, fake_line):
    app.config["RICHMENU_API_TIMEOUT"] = 0.2
    fake_line.inject(CREATE, delay=0.6)
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(spec(), "a", make_default=True)
    assert "0.2秒以内に応答がありませんでした" in caught.value.message


def test_without_a_token_nothing_is_sent(app, fake_line):
    app.config["LINE_CHANNEL_ACCESS_TOKEN"] = ""
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(spec(), "a", make_default=True)
    assert "設定されていない" in caught.value.message
    assert fake_line.requests == []


def test_publishing_the_inactive_mode_leaves_the_default(app, fake_line):
    with app.app_context():
        normal = publish(spec(), "a", make_default=True)
        disaster = publish(spec("disaster", color="#aa0000"), "a", make_default=False)
        assert fake_line.richmenu.default == normal.menu_id
        shown = publish(spec("disaster", color="#aa0000"), "a", make_default=True)  # the switch to disaster mode
        assert (shown.menu_id, shown.created, shown.made_default) == (disaster.menu_id, False, True)
        assert fake_line.richmenu.default == disaster.menu_id
        back = publish(spec(), "a", make_default=True)
        assert (back.menu_id, back.created, back.made_default) == (normal.menu_id, False, True)
    assert fake_line.richmenu.default == normal.menu_id
    assert len([r for r in fake_line.calls(CREATE) if r.method == "POST"]) == 2
    assert set(fake_line.richmenu.menus) == {normal.menu_id, disaster.menu_id}


def test_jpeg_image_is_sent_as_jpeg(app, fake_line):
    menu = spec(image=image(fmt="JPEG"), image_type="image/jpeg")
    with app.app_context():
        result = publish(menu, "a", make_default=True)
    assert fake_line.richmenu.images[result.menu_id][0] == "image/jpeg"


def test_the_menu_image_goes_to_lines_content_host_and_the_menu_to_the_api_host():
    # The SDK sends every call to a Configuration's host when one is set, its own per-operation host (api-data.line.me
    # for uploads) only when none is: against the real LINE the image upload needs a client of its own. The tests'
    # fake LINE answers both on one 127.0.0.1 port, so this is checked on the clients themselves.
    from bot.richmenu.publish import _Line

    line = _Line({"LINE_API_ENDPOINT": "https://api.line.me/"}, "token")
    try:
        assert line.api.api_client.configuration.host == "https://api.line.me"
        assert line.blob.api_client.configuration.host == "https://api-data.line.me"
    finally:
        line.close()
    local = _Line({"LINE_API_ENDPOINT": "http://127.0.0.1:8080"}, "token")
    try:
        assert local.blob.api_client.configuration.host == "http://127.0.0.1:8080"
    finally:
        local.close()
