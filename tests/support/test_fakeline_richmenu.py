"""The fake LINE's rich-menu endpoints answer as LINE does, read through the SDK's own clients and models."""
from __future__ import annotations

import pytest
from linebot.v3.messaging import (
    ApiClient, ApiException, Configuration, CreateRichMenuAliasRequest, MessagingApi, MessagingApiBlob,
    RichMenuBulkLinkRequest, RichMenuRequest, UpdateRichMenuAliasRequest,
)

from tests.conftest import TOKEN
from tests.richmenu.support import image, spec


@pytest.fixture
def line(fake_line):
    fake_line.reset()
    client = ApiClient(Configuration(host=fake_line.url, access_token=TOKEN))
    yield MessagingApi(client), MessagingApiBlob(client)
    client.close()
    fake_line.reset()


def _create(api, **kw) -> str:
    return api.create_rich_menu(RichMenuRequest.from_dict(spec(**kw).to_line())).rich_menu_id


def _status(call, *args) -> int:
    with pytest.raises(ApiException) as caught:
        call(*args)
    return caught.value.status


def test_create_list_get_delete(line, fake_line):
    api, _ = line
    menu_id = _create(api)
    assert menu_id.startswith("richmenu-")
    assert [m.rich_menu_id for m in api.get_rich_menu_list().richmenus] == [menu_id]
    got = api.get_rich_menu(menu_id)
    assert got.chat_bar_text == "メニュー" and len(got.areas) == 3
    api.validate_rich_menu_object(RichMenuRequest.from_dict(spec().to_line()))
    api.delete_rich_menu(menu_id)
    assert _status(api.get_rich_menu, menu_id) == 404
    assert _status(api.delete_rich_menu, menu_id) == 404


def test_image_upload_is_recorded_and_checked(line, fake_line):
    api, blob = line
    menu_id = _create(api)
    assert _status(api.set_default_rich_menu, menu_id) == 400  # LINE wants the image first
    png = image()
    assert _status(lambda: blob.set_rich_menu_image(menu_id, b"not an image", _headers={"Content-Type": "image/png"})) == 400
    assert _status(lambda: blob.set_rich_menu_image(menu_id, png, _headers={"Content-Type": "image/jpeg"})) == 400
    blob.set_rich_menu_image(menu_id, png, _headers={"Content-Type": "image/png"})
    assert fake_line.richmenu.images[menu_id] == ("image/png", png)
    assert bytes(blob.get_rich_menu_image(menu_id)) == png
    assert _status(lambda: blob.set_rich_menu_image(menu_id, png, _headers={"Content-Type": "image/png"})) == 400
    assert _status(lambda: blob.set_rich_menu_image("richmenu-missing", png,
                                                    _headers={"Content-Type": "image/png"})) == 404


def test_default_per_user_links_and_aliases(line, fake_line):
    api, blob = line
    first, second = _create(api), _create(api, color="#aa0000")
    for menu_id in (first, second):
        blob.set_rich_menu_image(menu_id, image(), _headers={"Content-Type": "image/png"})
    assert _status(api.get_default_rich_menu_id) == 404
    api.set_default_rich_menu(first)
    assert api.get_default_rich_menu_id().rich_menu_id == first
    user = "U" + "3" * 32
    api.link_rich_menu_id_to_user(user, second)
    assert api.get_rich_menu_id_of_user(user).rich_menu_id == second
    api.unlink_rich_menu_id_from_user(user)
    assert _status(api.get_rich_menu_id_of_user, user) == 404
    api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(richMenuId=second, userIds=[user]))
    assert fake_line.richmenu.users == {user: second}
    api.create_rich_menu_alias(CreateRichMenuAliasRequest(richMenuAliasId="tab-a", richMenuId=first))
    assert _status(api.create_rich_menu_alias,
                   CreateRichMenuAliasRequest(richMenuAliasId="tab-a", richMenuId=first)) == 400
    api.update_rich_menu_alias("tab-a", UpdateRichMenuAliasRequest(richMenuId=second))
    assert api.get_rich_menu_alias("tab-a").rich_menu_id == second
    assert [a.rich_menu_alias_id for a in api.get_rich_menu_alias_list().aliases] == ["tab-a"]
    api.delete_rich_menu_alias("tab-a")
    assert _status(api.get_rich_menu_alias, "tab-a") == 404
    api.cancel_default_rich_menu()
    assert fake_line.richmenu.default is None


def test_faults_apply_to_rich_menu_calls(line, fake_line):
    api, _ = line
    fake_line.inject("/v2/bot/richmenu/list", status=429, headers={"x-line-request-id": "rid-1"})
    with pytest.raises(ApiException) as caught:
        api.get_rich_menu_list()
    assert caught.value.status == 429 and caught.value.headers["x-line-request-id"] == "rid-1"
    assert api.get_rich_menu_list().richmenus == []


def test_unauthenticated_calls_are_refused(fake_line):
    client = ApiClient(Configuration(host=fake_line.url, access_token=""))
    try:
        assert _status(MessagingApi(client).get_rich_menu_list) == 401
    finally:
        client.close()
