"""Build the MenuSpec to publish for a mode: the stored definition, its areas, and its image."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from bot.core.problems import Invalid
from bot.publicurl import absolute, base_url
from bot.richmenu import render
from bot.richmenu.image import check_image, image_size
from bot.richmenu.definition import LAYOUTS, MODE_LABELS, line_action
from bot.richmenu.spec import Area, MenuSpec
from bot.richmenu.store import check, load
from bot.town.settings import current_town


@lru_cache(maxsize=16)
def _rendered(definition_json: str, mode: str) -> bytes:
    return render.render(json.loads(definition_json), mode)


def rendered_image(definition: dict[str, Any], mode: str) -> bytes:
    """Return the PNG drawn from the definition's labels, cached per definition (drawing takes most of a second)."""
    return _rendered(json.dumps(definition, ensure_ascii=False, sort_keys=True), mode)


def areas(definition: dict[str, Any], base: str, width: int | None = None,
          height: int | None = None) -> tuple[Area, ...]:
    """Return the tap areas of a definition, tiling its image (the layout's size unless given), with LINE actions."""
    layout = LAYOUTS[definition["layout"]]
    return tuple(Area(x, y, w, h, line_action(tile, lambda path: absolute(path, base)))
                 for (x, y, w, h), tile in zip(layout.bounds(width, height), definition["tiles"]))


def spec_for(mode: str, definition: dict[str, Any], image: bytes | None = None, image_type: str | None = None,
             town_name: str = "") -> MenuSpec:
    """Return the MenuSpec for a checked definition; without an image it is rendered from the labels."""
    layout = LAYOUTS[definition["layout"]]
    width, height = layout.width, layout.height
    uploaded = image is not None
    if image is None:
        image, image_type = rendered_image(definition, mode), "image/png"
    else:
        width, height = image_size(image)  # a designed image may be smaller than LINE's full size
    name = f"{town_name}・{MODE_LABELS[mode]}" if town_name else MODE_LABELS[mode]
    return MenuSpec(mode=mode, name=name[:300], chat_bar_text=definition["chat_bar_text"], width=width,
                    height=height, areas=areas(definition, base_url(), width, height), image=image,
                    image_type=image_type or "image/png", definition=definition, uploaded_image=uploaded)


def build_spec(mode: str) -> MenuSpec:
    """Return the mode's menu ready to publish; raise Invalid or render.RenderError in Japanese."""
    stored = load(mode)
    definition = check(stored.definition)  # categories may have been renamed since it was saved
    if stored.image is not None:
        # Checked again, decoded in full: an image stored before a check existed must not reach LINE either.
        try:
            check_image(stored.image, LAYOUTS[definition["layout"]])
        except Invalid as exc:
            raise Invalid("登録した画像に問題があります：" + " ".join(p.message for p in exc.problems)
                          + "画像を登録し直すか、削除して自動作成に戻してください。", "image") from None
    return spec_for(mode, definition, stored.image, stored.image_type, current_town().name)
