"""Issue 19 A3: nothing an editor changed in a rich menu reaches residents before an admin saw that exact change.

Publishing and the disaster switch show the changes since that menu's last publish (tile by tile, every URL in full)
and post the review's digest; a menu changed after the page was shown is refused, with the new changes shown. The
command line shows the same review and needs --confirm DIGEST or --yes. Real definitions, the real renderer and the
fake LINE API; no builder is replaced here.
"""
from __future__ import annotations

import copy
import re

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditLog
from bot.richmenu import mode as modes
from bot.richmenu import publish as publisher
from bot.richmenu import review as reviews
from bot.richmenu import store
from bot.town.settings import disaster_state
from tests.support.console import ADMIN, EDITOR, admin_client, console  # noqa: F401  (fixtures)

PAGE = "/admin/richmenu/publish"
PHISH = "https://ashibetsu-city.example/login?next=%2Fmypage&ref=line-menu"
PHISH_2 = "https://ashibetsu-city-help.example/verify"


@pytest.fixture
def base(console):
    console.config["PUBLIC_BASE_URL"] = "https://bot.example.jp/"
    return console


def _edit_disaster_uri(app, uri: str, tile: int = 0, label: str = "避難情報") -> None:
    """Save the disaster menu as an editor would, with tile `tile` opening uri."""
    with app.app_context():
        menu = copy.deepcopy(store.load("disaster").definition)
        menu["tiles"][tile] = {"label": label, "sub": "こちらから", "action": {"type": "uri", "uri": uri}}
        store.save("disaster", menu, EDITOR)
        db.session.commit()


def _text(response) -> str:
    return response.get_data(as_text=True)


def _digest(html: str, mode: str) -> str:
    return re.search(rf'data-mode="{mode}" data-digest="([0-9a-f]{{64}})"', html).group(1)


def _switch_digest(html: str) -> str:
    return re.search(r'name="switch" value="o(?:n|ff)">\s*<input type="hidden" name="digest" value="([0-9a-f]{64})"',
                     html).group(1)


def _review_section(html: str, mode: str) -> str:
    start = html.index(f'id="review-{mode}"')
    return html[start:html.index("</section>", start)]


def _creates(fake_line) -> int:
    return len([r for r in fake_line.calls("/v2/bot/richmenu") if r.method == "POST"])


def _actions(app) -> list[AuditLog]:
    with app.app_context():
        rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "richmenu.confirm").order_by(AuditLog.id))
        return [(row.actor, row.summary, row.after) for row in rows]


def test_the_diff_is_tile_by_tile_with_every_url():
    old = {"layout": "大", "chat_bar_text": "災害時メニュー", "image": {"sha256": "a" * 64, "type": "image/png"},
           "tiles": [{"label": "避難情報", "action": "ページを開く：https://www.city.ashibetsu.hokkaido.jp/",
                      "uri": "https://www.city.ashibetsu.hokkaido.jp/", "bounds": [0, 0, 1, 1]},
                     {"label": "緊急連絡先", "action": "「緊急連絡先」と送る", "uri": "", "bounds": [1, 0, 1, 1]}]}
    new = copy.deepcopy(old)
    new["tiles"][0].update(action=f"ページを開く：{PHISH}", uri=PHISH)
    new["chat_bar_text"] = "メニュー"
    change = reviews.diff(old, new)
    assert change.changed and change.general == (("メニューバーの文字", "「災害時メニュー」", "「メニュー」"),)
    first, second = change.tiles
    assert first.changed and first.what == "押したときの動作が変更" and not second.changed
    assert change.urls() == [(PHISH, True)]
    assert change.removed_urls() == ["https://www.city.ashibetsu.hokkaido.jp/"]
    text = "\n".join(reviews.lines("災害時のメニュー", "前回の公開からの変更", change))
    assert f"後：「避難情報」 → ページを開く：{PHISH}" in text and f"［新規］{PHISH}" in text
    assert "前：「避難情報」 → ページを開く：https://www.city.ashibetsu.hokkaido.jp/" in text
    assert not reviews.diff(old, copy.deepcopy(old)).changed


def test_publishing_shows_the_editors_url_and_refuses_a_menu_changed_after_the_page(base, admin_client, fake_line):
    # The disaster menu as last published: the review is measured against it.
    page = _text(admin_client.get(PAGE))
    assert admin_client.post(PAGE, data={"mode": "disaster", "digest": _digest(page, "disaster")}).status_code == 302
    assert _creates(fake_line) == 1
    _edit_disaster_uri(base, PHISH)
    page = _text(admin_client.get(PAGE))
    section = _review_section(page, "disaster")
    assert "前回の公開（" in section and "からの変更" in section
    assert f"ページを開く：{PHISH.replace('&', '&amp;')}" in section  # the URL in full, in the tile's row
    assert re.search(r'<span class="badge draft">新規</span> <code>' + re.escape(PHISH.replace("&", "&amp;")), section)
    assert "ページを開く：https://www.city.ashibetsu.hokkaido.jp/" in section  # the old action, struck out
    assert "文字・押したときの動作が変更" in section
    seen = _digest(page, "disaster")
    # The editor changes the menu again while the admin reads: the reviewed digest no longer matches.
    _edit_disaster_uri(base, PHISH_2)
    refused = admin_client.post(PAGE, data={"mode": "disaster", "digest": seen})
    html = _text(refused)
    assert refused.status_code == 409 and "確認した後に、メニューの内容が変わりました" in html
    assert PHISH_2 in _review_section(html, "disaster")  # the new diff is shown at once
    assert _creates(fake_line) == 1  # nothing went to LINE
    assert admin_client.post(PAGE, data={"mode": "disaster"}).status_code == 409  # no digest: no publish either
    ok = admin_client.post(PAGE, data={"mode": "disaster", "digest": _digest(html, "disaster")},
                           follow_redirects=True)
    assert "災害時のメニューをLINEに公開しました" in _text(ok) and _creates(fake_line) == 2
    with base.app_context():
        published = publisher.current("disaster")
        uris = [a["action"].get("uri") for a in fake_line.richmenu.menus[published.line_menu_id]["areas"]]
        assert PHISH_2 in uris
        assert published.snapshot["tiles"][0]["uri"] == PHISH_2
    actor, summary, after = _actions(base)[-1]
    assert actor == ADMIN and "災害時のメニューの変更内容を確認" in summary
    assert after["確認コード"] == _digest(html, "disaster") and PHISH_2 in after["開くURL"]
    assert any(PHISH_2 in line for line in after["変更"])
    # Published as reviewed: the next review says nothing changed.
    assert "前回の公開から変更はありません" in _review_section(_text(admin_client.get(PAGE)), "disaster")


def test_the_disaster_switch_shows_the_change_and_refuses_a_stale_review(base, admin_client, fake_line):
    _edit_disaster_uri(base, PHISH)
    page = _text(admin_client.get(PAGE))
    form = page[page.index('class="disaster-switch"'):]
    form = form[:form.index("</form>")]
    assert "切り替えると住民に届くメニュー：災害時のメニュー" in form and PHISH.replace("&", "&amp;") in form
    assert "まだ公開していません" in form
    seen = _switch_digest(page)
    _edit_disaster_uri(base, PHISH_2)
    refused = admin_client.post("/admin/richmenu/mode", data={"switch": "on", "reason": "大雨警報", "confirm": "y",
                                                              "digest": seen})
    html = _text(refused)
    assert refused.status_code == 409 and "確認した後に、メニューの内容が変わりました" in html
    assert PHISH_2 in html and ">大雨警報</textarea>" in html  # the new diff, and the reason is kept
    with base.app_context():
        assert not disaster_state().on  # not switched, nothing published
    assert _creates(fake_line) == 0
    admin_client.post("/admin/richmenu/mode", data={"switch": "on", "reason": "大雨警報", "confirm": "y",
                                                    "digest": _switch_digest(html)})
    with base.app_context():
        assert disaster_state().on
        assert fake_line.richmenu.default == publisher.current("disaster").line_menu_id
    actor, summary, after = _actions(base)[-1]
    assert "災害時モードへの切り替え" in summary and after["確認コード"] == _switch_digest(html)


def test_the_command_line_shows_the_diff_and_needs_the_digest(base, runner, fake_line):
    _edit_disaster_uri(base, PHISH)
    shown = runner.invoke(args=["richmenu", "publish", "--mode", "disaster"])
    assert shown.exit_code != 0 and "公開していません" in shown.output
    assert f"ページを開く：{PHISH}" in shown.output and f"［新規］{PHISH}" in shown.output
    digest = re.search(r"確認コード：([0-9a-f]{64})", shown.output).group(1)
    assert _creates(fake_line) == 0
    wrong = runner.invoke(args=["richmenu", "publish", "--mode", "disaster", "--confirm", "0" * 64])
    assert wrong.exit_code != 0 and "確認した後に、メニューの内容が変わりました" in wrong.output
    _edit_disaster_uri(base, PHISH_2)
    stale = runner.invoke(args=["richmenu", "publish", "--mode", "disaster", "--confirm", digest])
    assert stale.exit_code != 0 and PHISH_2 in stale.output and _creates(fake_line) == 0
    fresh = re.findall(r"確認コード：([0-9a-f]{64})", stale.output)[-1]
    done = runner.invoke(args=["richmenu", "publish", "--mode", "disaster", "--confirm", fresh])
    assert done.exit_code == 0 and "公開しました" in done.output and _creates(fake_line) == 1
    # The switch: shown, refused without a flag, done with --yes (what it printed is what went out).
    _edit_disaster_uri(base, PHISH)
    refused = runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "訓練"])
    assert refused.exit_code != 0 and PHISH in refused.output and "切り替えしていません" in refused.output
    with base.app_context():
        assert not disaster_state().on
    switched = runner.invoke(args=["richmenu", "mode", "disaster", "--reason", "訓練", "--yes"])
    assert switched.exit_code == 0, switched.output
    assert f"後：「避難情報／こちらから」 → ページを開く：{PHISH}" in switched.output
    with base.app_context():
        assert disaster_state().on
        assert publisher.current("disaster").snapshot["tiles"][0]["uri"] == PHISH
    assert [s for _, s, _ in _actions(base)] == ["災害時のメニューの変更内容を確認（LINEに公開）",
                                                 "災害時のメニューの変更内容を確認（災害時モードへの切り替え）"]


def test_a_service_caller_without_the_digest_changes_nothing(base, fake_line):
    with base.app_context():
        with pytest.raises(modes.ReviewChanged):
            modes.publish_mode("normal", ADMIN, confirmed=None)
        with pytest.raises(modes.ReviewChanged):
            modes.switch(True, "訓練", ADMIN, confirmed="")
        assert not disaster_state().on
    assert fake_line.requests == []
