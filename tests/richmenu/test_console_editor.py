"""The rich-menu editor: edit, preview, upload and drop an image, with Japanese errors, escaping and audit."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from bot.core.problems import Invalid
from bot.richmenu.inputs import form_data
from bot.extensions import db
from bot.models import AuditLog, RichMenuDefinition
from bot.richmenu import store
from tests.richmenu.support import corrupt_idat
from tests.support.console import ADMIN, EDITOR, admin_client, console, csrf_token, editor_client, login  # noqa: F401


def _post(console, mode="normal", **changes):
    with console.app_context():
        data = {**form_data(store.load(mode).definition), "mode": mode, "do": "save"}
    data.update(changes)
    return data


def _png(size, colour="#1f4e8c", kind="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=kind)
    return out.getvalue()


def _upload(client, data: bytes):
    return client.post("/admin/richmenu/image", data={"mode": "normal", "image": (io.BytesIO(data), "m.png")},
                       content_type="multipart/form-data", follow_redirects=True)


def test_editor_sees_both_menus(console, editor_client):
    page = editor_client.get("/admin/richmenu").get_data(as_text=True)
    assert "リッチメニュー" in page and "子育て・教育" in page and 'viewBox="0 0 2500 1686"' in page
    assert page.count("<rect ") == 6
    disaster = editor_client.get("/admin/richmenu?mode=disaster").get_data(as_text=True)
    assert "避難情報" in disaster and disaster.count("<rect ") == 4
    assert editor_client.get("/admin/richmenu?mode=other").status_code == 404


def test_save_is_audited_with_before_and_after(console, editor_client):
    response = editor_client.post("/admin/richmenu", data=_post(console, t1_label="子育て", chat_bar_text="市のメニュー"))
    assert response.status_code == 302
    with console.app_context():
        menu = store.load("normal")
        assert menu.definition["tiles"][0]["label"] == "子育て" and menu.definition["chat_bar_text"] == "市のメニュー"
        assert menu.revision >= 1 and menu.updated_by == EDITOR
        row = db.session.scalars(select(AuditLog).where(AuditLog.action == "richmenu.edit")).one()
        assert row.actor == EDITOR
        assert row.before["ボタン"][0] == "1. 子育て・教育／給食費・出産の支援 → トピックのメニューを開く：子育て・教育"
        assert row.after["ボタン"][0].startswith("1. 子育て／") and row.after["メニューバーの文字"] == "市のメニュー"
    audit = login_admin_audit(console)
    assert "リッチメニューを編集" in audit


def test_the_editor_names_who_changed_the_menu_last_as_staff_read_it(console, editor_client):
    """The console-wide actor_label: an edit from the command line reads コマンドライン, not the code "cli"."""
    with console.app_context():
        store.save("normal", store.load("normal").definition, "cli")
    page = editor_client.get("/admin/richmenu").get_data(as_text=True)
    assert "最後に変更：コマンドライン" in page


def login_admin_audit(console) -> str:
    client = console.test_client()
    login(client, ADMIN)
    return client.get("/admin/audit").get_data(as_text=True)


def test_each_problem_is_shown_in_japanese_and_nothing_saved(console, editor_client):
    data = _post(console, t1_label="あ" * 8, chat_bar_text="あ" * 15, t6_uri="http://example.jp/",
                 t2_kind="topic", t2_category="ないカテゴリ")
    page = editor_client.post("/admin/richmenu", data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    for words in ("7文字以内", "14文字以内", "https://", "カテゴリ「ないカテゴリ」はありません"):
        assert words in html, words
    with console.app_context():
        assert store.load("normal").definition["tiles"][0]["label"] == "子育て・教育"
        assert db.session.scalars(select(AuditLog).where(AuditLog.action == "richmenu.edit")).first() is None


def test_overlong_field_names_its_tile(console, editor_client):
    page = editor_client.post("/admin/richmenu", data=_post(console, t3_label="あ" * 41))
    assert page.status_code == 400 and "ボタン3のボタンの文字：" in page.get_data(as_text=True)


def test_labels_are_escaped(console, editor_client):
    page = editor_client.post("/admin/richmenu", data=_post(console, do="preview", t1_label="<b>x</b>"))
    html = page.get_data(as_text=True)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_preview_button_shows_without_saving(console, editor_client):
    page = editor_client.post("/admin/richmenu", data=_post(console, do="preview", t1_label="学校と子育て"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "プレビューを更新しました" in html
    assert "t1_label=%E5%AD%A6%E6%A0%A1" in html  # the image is drawn from the posted labels
    with console.app_context():
        assert store.load("normal").definition["tiles"][0]["label"] == "子育て・教育"


def test_changing_layout_with_preview_shows_its_areas(console, editor_client):
    page = editor_client.post("/admin/richmenu", data=_post(console, do="preview", layout="compact-1x3"))
    html = page.get_data(as_text=True)
    assert 'viewBox="0 0 2500 843"' in html and html.count("<rect ") == 3


def test_preview_png_draws_the_given_labels(console, editor_client):
    response = editor_client.get("/admin/richmenu/preview.png", query_string={
        "mode": "disaster", "layout": "compact-1x2", "t1_label": "避難所", "t2_label": "連絡先" * 10})
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == (2500, 843)
    other = editor_client.get("/admin/richmenu/preview.png", query_string={
        "mode": "disaster", "layout": "compact-1x2", "t1_label": "避難所", "t2_label": "相談"})
    assert other.data != response.data
    bad = editor_client.get("/admin/richmenu/preview.png", query_string={"mode": "normal", "layout": "9x9"})
    assert bad.status_code == 400 and "形" in bad.get_data(as_text=True)


def test_preview_png_needs_login(console):
    response = console.test_client().get("/admin/richmenu/preview.png?mode=normal")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_upload_then_drop_image(console, editor_client):
    designed = _png((1250, 843))
    response = _upload(editor_client, designed)
    assert "画像を登録しました" in response.get_data(as_text=True)
    assert editor_client.get("/admin/richmenu/preview.png?mode=normal").data == designed
    page = editor_client.get("/admin/richmenu").get_data(as_text=True)
    assert "画像を削除して自動作成に戻す" in page and "登録した画像を使っています" in page
    with console.test_request_context():
        from bot.richmenu.build import build_spec

        spec = build_spec("normal")
        assert (spec.width, spec.height, spec.image) == (1250, 843, designed)
        assert sum(a.width * a.height for a in spec.areas) == 1250 * 843
    response = editor_client.post("/admin/richmenu/image/delete", data={"mode": "normal"}, follow_redirects=True)
    assert "画像を削除しました" in response.get_data(as_text=True)
    with console.app_context():
        assert store.load("normal").image is None
        actions = db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "richmenu")).all()
    assert "richmenu.image_upload" in actions and "richmenu.image_clear" in actions


def test_upload_problems_are_flashed_in_japanese(console, editor_client):
    cases = [(_png((700, 472)), "横幅は 800〜2500"), (_png((1000, 1000)), "1.45 倍以上"),
             (b"GIF89a not really", "読み込めません"), (_png((2500, 843)), "2500:1686")]
    for data, words in cases:
        response = _upload(editor_client, data)
        assert response.status_code == 200 and words in response.get_data(as_text=True), words
    response = editor_client.post("/admin/richmenu/image", data={"mode": "normal"},
                                  content_type="multipart/form-data", follow_redirects=True)
    assert "画像ファイルを選んでください" in response.get_data(as_text=True)
    with console.app_context():
        assert store.load("normal").image is None


def test_oversized_upload_is_refused_before_reading(console, editor_client):
    console.config["MAX_RICHMENU_UPLOAD_BYTES"] = 100_000
    response = editor_client.post("/admin/richmenu/image",
                                  data={"mode": "normal", "image": (io.BytesIO(b"\x89PNG" + b"\0" * 200_000), "m.png")},
                                  content_type="multipart/form-data")
    assert response.status_code == 413


def test_csrf_is_required(console):
    console.config["WTF_CSRF_ENABLED"] = True
    client = console.test_client()
    assert login(client, EDITOR, csrf_token=csrf_token(client)).status_code == 302
    response = client.post("/admin/richmenu", data=_post(console, t1_label="子育て"))
    assert response.status_code == 400 and "エラー番号 400" in response.get_data(as_text=True)
    with console.app_context():
        assert store.load("normal").definition["tiles"][0]["label"] == "子育て・教育"


def test_editor_opens_when_the_pack_has_no_menu(console, editor_client, tmp_path):
    with console.app_context():
        db.session.execute(db.delete(RichMenuDefinition))
        db.session.commit()
    console.config["KNOWLEDGE_DIR"] = str(tmp_path)
    page = editor_client.get("/admin/richmenu")
    assert page.status_code == 200 and "リッチメニューの定義を読めません" in page.get_data(as_text=True)
    assert editor_client.get("/admin/richmenu/preview.png?mode=normal").status_code == 200
    saved = editor_client.post("/admin/richmenu", data={**_post_from_pack(), "t1_label": "子育て"})
    assert saved.status_code == 302
    with console.app_context():
        assert store.load("normal").definition["tiles"][0]["label"] == "子育て"


def _post_from_pack():
    from pathlib import Path

    from bot.richmenu import packfile

    menu = packfile.read(Path(__file__).resolve().parents[2] / "knowledge")[0]["normal"]
    return {**form_data(menu), "mode": "normal", "do": "save"}


def test_undecodable_images_are_refused_at_upload_and_at_publish(console, editor_client):
    """Issue 19 A5: a PNG with a corrupt IDAT and half a JPEG are refused with a Japanese message, nothing stored;
    one stored before the check existed is refused again when the menu is built for LINE."""
    noise = Image.effect_noise((2500, 1686), 60).convert("RGB")
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=70)
    half_jpeg = out.getvalue()[: len(out.getvalue()) // 2]
    for data in (corrupt_idat(_png((2500, 1686))), half_jpeg):
        response = _upload(editor_client, data)
        assert "画像として読み込めません" in response.get_data(as_text=True)
        with console.app_context():
            assert store.load("normal").image is None
    with console.app_context():
        from bot.richmenu.build import build_spec

        store.set_image("normal", half_jpeg, "image/jpeg", EDITOR)  # as if stored by an older version
        db.session.commit()
        try:
            build_spec("normal")
        except Invalid as exc:
            assert "登録した画像に問題があります" in exc.problems[0].message
        else:
            raise AssertionError("a stored half JPEG was built into a menu for LINE")
