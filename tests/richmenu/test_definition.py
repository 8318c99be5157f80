"""The rich menu's definition: validation, the pack file, the renderer and uploaded images. No app needed."""
from __future__ import annotations

import copy
import io
import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image

from bot.pack import Invalid, read_pack
from bot.richmenu import packfile, render
from bot.richmenu.definition import LAYOUTS, validate
from bot.core.problems import Invalid
from bot.richmenu.image import check_image
from tests.richmenu.support import corrupt_idat
from bot.richmenu.spec import MAX_AREAS, MAX_IMAGE_BYTES

PACK = Path(__file__).resolve().parents[2] / "knowledge"
CATEGORIES = yaml.safe_load((PACK / "categories.yaml").read_text(encoding="utf-8"))


def _menus():
    return yaml.safe_load((PACK / "richmenu.yaml").read_text(encoding="utf-8"))


def _reasons(menu, categories=CATEGORIES):
    return [f"{where}: {reason}" for where, reason in validate(menu, categories)]


def test_bundled_menus_are_valid():
    menus, problems = packfile.read(PACK, CATEGORIES)
    assert problems == []
    assert menus["normal"]["layout"] == "large-2x3" and len(menus["normal"]["tiles"]) == 6
    assert [t["label"] for t in menus["disaster"]["tiles"]] == ["避難情報", "緊急連絡先", "市からのお知らせ", "安否・相談"]


@pytest.mark.parametrize("change, where, words", [
    (lambda m: m.update(layout="large-3x3"), "layout", "使えません"),
    (lambda m: m["tiles"].pop(), "tiles", "6つです（いま5つ）"),
    (lambda m: m.update(chat_bar_text="あ" * 15), "chat_bar_text", "14文字以内"),
    (lambda m: m.update(chat_bar_text=" "), "chat_bar_text", "入力してください"),
    (lambda m: m["tiles"][0].update(label=""), "tiles[1].label", "入力してください"),
    (lambda m: m["tiles"][0].update(label="あ" * 8), "tiles[1].label", "7文字以内"),
    (lambda m: m["tiles"][0].update(label="子育て\x00"), "tiles[1].label", "使えない文字"),
    (lambda m: m["tiles"][0].update(sub="あ" * 15), "tiles[1].sub", "14文字以内"),
    (lambda m: m["tiles"][0].update(action={"type": "jump"}), "tiles[1].action.type", "使えません"),
    (lambda m: m["tiles"][0].update(action={"type": "topic", "category": "ない分類"}), "tiles[1].action.category",
     "ありません"),
    (lambda m: m["tiles"][0].update(action={"type": "topic"}), "tiles[1].action.category", "選んでください"),
    (lambda m: m["tiles"][0].update(action={"type": "message", "text": "あ" * 301}), "tiles[1].action.text",
     "300文字以内"),
    (lambda m: m["tiles"][5].update(action={"type": "uri", "uri": "http://example.jp/"}), "tiles[6].action.uri",
     "https://"),
    (lambda m: m["tiles"][5].update(action={"type": "uri", "uri": "javascript:alert(1)"}), "tiles[6].action.uri",
     "https://"),
    (lambda m: m["tiles"][5].update(action={"type": "uri", "uri": "//evil.example/"}), "tiles[6].action.uri",
     "https://"),
    (lambda m: m["tiles"][5].update(action={"type": "uri", "uri": "https://a.jp/" + "a" * 1000}),
     "tiles[6].action.uri", "1000文字以内"),
    (lambda m: m["tiles"][0].pop("action"), "tiles[1]", "action"),
    (lambda m: m.update(colour="red"), "-", "知らない項目"),
])
def test_each_problem_has_a_japanese_message(change, where, words):
    menu = copy.deepcopy(_menus()["normal"])
    change(menu)
    reasons = _reasons(menu)
    assert any(r.startswith(f"{where}: ") and words in r for r in reasons), reasons


def test_long_category_overflows_postback():
    menu = copy.deepcopy(_menus()["normal"])
    name = "子" * 60  # 60 kanji are 540 characters once percent-encoded
    menu["tiles"][0]["action"] = {"type": "topic", "category": name}
    assert any("300文字" in r for r in _reasons(menu, [*CATEGORIES, name]))


def test_two_columns_allow_longer_labels():
    menu = copy.deepcopy(_menus()["disaster"])
    menu["tiles"][0]["label"] = "あ" * 9
    assert _reasons(menu) == []
    menu["tiles"][0]["label"] = "あ" * 10
    assert any("9文字以内" in r for r in _reasons(menu))


def _pack_copy(tmp_path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(PACK, target)
    return target


def test_read_pack_reports_menu_problems(tmp_path):
    pack = _pack_copy(tmp_path)
    menus = _menus()
    menus["normal"]["tiles"][0]["action"]["category"] = "存在しないカテゴリ"
    menus["disaster"]["chat_bar_text"] = "あ" * 20
    (pack / "richmenu.yaml").write_text(yaml.safe_dump(menus, allow_unicode=True), encoding="utf-8")
    with pytest.raises(Invalid) as caught:
        read_pack(pack)
    text = str(caught.value)
    assert "richmenu.yaml: normal.tiles[1].action.category" in text
    assert "richmenu.yaml: disaster.chat_bar_text" in text


def test_read_pack_needs_both_modes(tmp_path):
    pack = _pack_copy(tmp_path)
    (pack / "richmenu.yaml").write_text(yaml.safe_dump({"normal": _menus()["normal"]}, allow_unicode=True),
                                        encoding="utf-8")
    with pytest.raises(Invalid, match="disaster"):
        read_pack(pack)


def test_pack_without_menu_still_reads(tmp_path):
    pack = _pack_copy(tmp_path)
    (pack / "richmenu.yaml").unlink()
    assert read_pack(pack).richmenu is None


def test_dump_round_trips():
    menus, _ = packfile.read(PACK, CATEGORIES)
    again, problems = packfile.parse(packfile.dump(menus), CATEGORIES)
    assert problems == [] and again == menus


@pytest.mark.parametrize("mode", ["normal", "disaster"])
def test_render_bundled_menu(mode, tmp_path):
    menu = packfile.read(PACK)[0][mode]
    png = render.render(menu, mode)
    assert len(png) < MAX_IMAGE_BYTES
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (2500, 1686)
    # The label's colour is really on the image (the text was drawn), on the tile's colour.
    colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 16)}
    palette = render.PALETTES[mode]
    assert _rgb(palette.label) in colours and _rgb(palette.tile) in colours


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_areas_tile_the_image(name):
    layout = LAYOUTS[name]
    bounds = layout.bounds()
    assert len(bounds) == layout.cells <= MAX_AREAS
    assert sum(w * h for _, _, w, h in bounds) == layout.width * layout.height
    for x, y, w, h in bounds:
        assert 0 <= x and 0 <= y and x + w <= layout.width and y + h <= layout.height
    xs = sorted({x for x, _, _, _ in bounds} | {layout.width})
    assert all(any(x + w == edge for x, _, w, _ in bounds) for edge in xs[1:])


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_render_every_layout_with_longest_labels(name):
    layout = LAYOUTS[name]
    tiles = [{"label": "漢" * layout.max_label, "sub": "字" * 14, "action": {"type": "contact"}}] * layout.cells
    png = render.render({"layout": name, "chat_bar_text": "メニュー", "tiles": tiles}, "normal")
    assert len(png) < MAX_IMAGE_BYTES
    assert Image.open(io.BytesIO(png)).size == (layout.width, layout.height)


def test_longest_label_keeps_phone_size():
    for layout in LAYOUTS.values():
        tile_width = layout.width // layout.cols
        font = render._fit("漢" * layout.max_label, tile_width - 96, render.MAX_LABEL_PX)
        assert font.size >= render.MIN_LABEL_PX
        assert font.getlength("漢" * layout.max_label) <= tile_width - 16


@pytest.mark.parametrize("mode", ["normal", "disaster"])
def test_palette_contrast(mode):
    palette = render.PALETTES[mode]
    assert render.contrast(palette.label, palette.tile) >= 4.5
    assert render.contrast(palette.sub, palette.tile) >= 4.5


def test_missing_font_is_a_japanese_error(monkeypatch):
    render.font_path.cache_clear()
    render._font.cache_clear()
    monkeypatch.setattr(render, "FONT_DIRS", ("/nonexistent",))
    try:
        with pytest.raises(render.RenderError, match="フォント"):
            render.render(packfile.read(PACK)[0]["normal"], "normal")
    finally:
        monkeypatch.undo()
        render.font_path.cache_clear()
        render._font.cache_clear()


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _image(size, kind="PNG", colour="#336699") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=kind)
    return out.getvalue()


LARGE = LAYOUTS["large-2x3"]
COMPACT = LAYOUTS["compact-1x2"]


@pytest.mark.parametrize("size, kind, layout, mime", [
    ((2500, 1686), "PNG", LARGE, "image/png"),
    ((1200, 809), "JPEG", LARGE, "image/jpeg"),
    ((800, 270), "PNG", COMPACT, "image/png"),
])
def test_good_images_pass(size, kind, layout, mime):
    assert check_image(_image(size, kind), layout) == mime


def _problems(data, layout=LARGE):
    with pytest.raises(Invalid) as caught:
        check_image(data, layout)
    return [p.message for p in caught.value.problems]


def test_image_too_narrow():
    assert any("横幅は 800〜2500" in p for p in _problems(_image((700, 472))))


def test_image_too_wide():
    assert any("横幅は 800〜2500" in p for p in _problems(_image((2600, 1754))))


def test_image_too_low():
    assert any("高さは 250" in p for p in _problems(_image((800, 240)), COMPACT))


def test_image_too_tall():
    assert any("1.45 倍以上" in p for p in _problems(_image((1000, 1000))))


def test_image_of_other_layout_shape():
    assert any("2500:1686" in p for p in _problems(_image((2500, 843))))


def test_image_over_one_megabyte():
    noise = Image.effect_noise((2500, 1686), 120).convert("RGB")
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > MAX_IMAGE_BYTES
    assert any("1MB 以下" in p for p in _problems(out.getvalue()))


def test_image_gif_refused():
    assert _problems(_image((2500, 1686), "GIF")) == ["画像は PNG か JPEG にしてください。"]


def test_image_not_an_image_even_named_png():
    assert _problems(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == [
        "画像として読み込めません。PNG か JPEG のファイルを選んでください。"]


def test_image_truncated():
    data = _image((2500, 1686))
    assert "読み込めません" in _problems(data[: len(data) // 2])[0]


def test_image_empty():
    assert _problems(b"") == ["画像ファイルを選んでください。"]


def test_decompression_bomb_refused():
    # A tiny PNG that claims 20000×20000 pixels: refused from its header, never decoded.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG", optimize=True)
    problems = _problems(out.getvalue())
    assert any("大きすぎます" in p for p in problems)


def test_image_png_with_a_corrupt_idat_is_refused():
    """Issue 19 A5: every chunk is well formed, only the pixels cannot be decoded."""
    data = corrupt_idat(_image((2500, 1686)))
    with Image.open(io.BytesIO(data)) as image:
        image.verify()  # the old check passed it
    assert _problems(data) == ["画像として読み込めません。PNG か JPEG のファイルを選んでください。"]


def test_image_half_a_jpeg_is_refused():
    """Issue 19 A5: half a JPEG has a good header and verify() passes; decoding it fails."""
    noise = Image.effect_noise((1200, 809), 60).convert("RGB")
    out = io.BytesIO()
    noise.save(out, format="JPEG", quality=85)
    data = out.getvalue()
    half = data[: len(data) // 2]
    with Image.open(io.BytesIO(half)) as image:
        image.verify()  # the old check passed it
    assert _problems(half) == ["画像として読み込めません。PNG か JPEG のファイルを選んでください。"]
    assert check_image(data, LARGE) == "image/jpeg"  # the whole file is fine
