"""build_spec: the menu to publish for each mode, from the pack or the console's definition."""
from __future__ import annotations

import io

import pytest
from linebot.v3.messaging import RichMenuRequest
from PIL import Image

from bot.extensions import db
from bot.models import AuditLog
from bot.richmenu import packfile, store
from bot.richmenu.build import build_spec
from bot.richmenu.spec import MAX_AREAS, MAX_IMAGE_BYTES


def _tiles_exactly(spec) -> None:
    total = sum(a.width * a.height for a in spec.areas)
    assert total == spec.width * spec.height
    for a in spec.areas:
        assert a.x >= 0 and a.y >= 0 and a.x + a.width <= spec.width and a.y + a.height <= spec.height
    for a, b in ((a, b) for i, a in enumerate(spec.areas) for b in spec.areas[i + 1:]):
        assert a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y


@pytest.mark.parametrize("mode", ["normal", "disaster"])
def test_build_spec_from_pack(loaded_app, mode):
    with loaded_app.test_request_context():
        spec = build_spec(mode)
    assert spec.mode == mode and spec.image_type == "image/png"
    image = Image.open(io.BytesIO(spec.image))
    assert image.format == "PNG" and image.size == (spec.width, spec.height) == (2500, 1686)
    assert len(spec.image) < MAX_IMAGE_BYTES
    assert 0 < len(spec.areas) <= MAX_AREAS
    _tiles_exactly(spec)
    body = spec.to_line()
    assert RichMenuRequest.from_dict(body).to_dict() == body  # the SDK's model takes it unchanged
    assert len(spec.chat_bar_text) <= 14


def test_build_spec_actions(loaded_app):
    loaded_app.config["PUBLIC_BASE_URL"] = "https://bot.example.jp"
    with loaded_app.app_context():
        normal, disaster = build_spec("normal"), build_spec("disaster")
    actions = [a.action for a in normal.areas]
    assert actions[0] == {"type": "postback", "label": "子育て・教育", "data": "a=topic&c=%E5%AD%90%E8%82%B2%E3%81%A6"
                          "%E3%83%BB%E6%95%99%E8%82%B2", "displayText": "子育て・教育"}
    assert {"type": "postback", "label": "お知らせ設定", "data": "a=nset", "displayText": "お知らせ設定"} in actions
    # Tile 5 (issue 22): 「職員に相談」 asks for a person — a chat during the counter's hours, the contact list otherwise.
    assert {"type": "message", "label": "職員に相談", "text": "職員に相談したい"} in actions
    assert {"type": "uri", "label": "応援団に登録", "uri": "https://bot.example.jp/forms/supporters-club"} in actions
    assert [a.action["label"] for a in disaster.areas] == ["避難情報", "緊急連絡先", "市からのお知らせ", "安否・相談"]
    assert disaster.areas[0].action["uri"] == "https://www.city.ashibetsu.hokkaido.jp/"
    assert normal.fingerprint() != disaster.fingerprint()


def test_build_spec_prefers_saved_definition(loaded_app):
    with loaded_app.app_context():
        definition = store.load("normal").definition
        definition["tiles"][0]["label"] = "子育て"
        store.save("normal", definition, "staff@example.jp")
        db.session.commit()
        spec = build_spec("normal")
    assert spec.areas[0].action["label"] == "子育て"


def test_export_writes_menu_and_import_round_trips(loaded_app, tmp_path):
    runner = loaded_app.test_cli_runner()
    with loaded_app.app_context():
        definition = store.load("disaster").definition
        definition["chat_bar_text"] = "災害時のメニュー"
        store.save("disaster", definition, "staff@example.jp")
        db.session.commit()
    result = runner.invoke(args=["kb", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    menus, problems = packfile.read(tmp_path)
    assert problems == [] and menus["disaster"]["chat_bar_text"] == "災害時のメニュー"
    assert runner.invoke(args=["kb", "check", str(tmp_path)]).exit_code == 0
    with loaded_app.app_context():
        assert menus == store.all_menus()


def test_import_keeps_staff_edit_unless_forced(loaded_app):
    runner = loaded_app.test_cli_runner()
    with loaded_app.app_context():
        definition = store.load("normal").definition
        definition["chat_bar_text"] = "職員が変えた"
        store.save("normal", definition, "staff@example.jp")
        db.session.commit()
    result = runner.invoke(args=["kb", "import"])
    assert "kept staff edit: richmenu:normal" in result.output
    with loaded_app.app_context():
        assert store.load("normal").definition["chat_bar_text"] == "職員が変えた"
    assert runner.invoke(args=["kb", "import", "--force"]).exit_code == 0
    with loaded_app.app_context():
        assert store.load("normal").definition["chat_bar_text"] == "メニューを開く"
        actions = db.session.scalars(db.select(AuditLog.action).where(AuditLog.target_type == "richmenu")).all()
    assert actions.count("richmenu.import") >= 3 and "richmenu.edit" in actions


def test_layout_change_drops_uploaded_image(loaded_app):
    with loaded_app.app_context():
        store.set_image("normal", b"\x89PNG-designed", "image/png", "staff@example.jp")
        definition = store.load("normal").definition
        definition["layout"], definition["tiles"] = "large-2x2", definition["tiles"][:4]
        assert store.save("normal", definition, "staff@example.jp") is True
        db.session.commit()
        assert store.load("normal").image is None
