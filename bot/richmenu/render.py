"""Draw a rich-menu image from the tiles' labels with Pillow and Noto Sans CJK: large, high-contrast, under 1 MB."""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bot.richmenu.definition import LAYOUTS
from bot.richmenu.spec import MAX_IMAGE_BYTES

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/opentype", "/usr/share/fonts")
FONT_FILES = ("NotoSansCJK-Bold.ttc", "NotoSansCJKjp-Bold.otf", "NotoSansCJK-Regular.ttc")
FONT_FAMILY = "Noto Sans CJK JP"
# A 2500 px image shows about 360 CSS px wide on a phone: 110 px glyphs come out near 16 CSS px.
MIN_LABEL_PX = 110
MAX_LABEL_PX = 150
SUB_PX = 68


class RenderError(RuntimeError):
    """Raised when the menu image cannot be drawn (the font is missing); the message is Japanese."""


@dataclass(frozen=True)
class Palette:
    """The colours of one menu; every text colour has ≥ 4.5:1 contrast on its tile."""

    background: str  # the grid lines between tiles
    tile: str
    accent: str  # the bar at the top of each tile
    label: str
    sub: str


PALETTES = {
    # Ashibetsu's 星の降る里: a night blue on white tiles.
    "normal": Palette(background="#C9D3E0", tile="#FFFFFF", accent="#1F4E8C", label="#12305A", sub="#3B4A5E"),
    # A warning red; white text on it stays above 4.5:1.
    "disaster": Palette(background="#FFD54F", tile="#B3261E", accent="#FFD54F", label="#FFFFFF", sub="#FFF3E0"),
}


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """Return the WCAG contrast ratio of two #RRGGBB colours."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@lru_cache(maxsize=1)
def font_path() -> Path:
    """Return the Noto Sans CJK bold font file; raise RenderError in Japanese when it is not installed."""
    for directory in FONT_DIRS:
        for name in FONT_FILES:
            path = Path(directory) / name
            if path.is_file():
                return path
    raise RenderError("メニュー画像を作るためのフォント（Noto Sans CJK）が見つかりません。"
                      "サーバーに fonts-noto-cjk を入れてください（README の手順）。")


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    path = font_path()
    if path.suffix == ".ttc":
        # A collection holds JP, KR, SC… faces; pick Japanese glyph shapes.
        for index in range(16):
            try:
                face = ImageFont.truetype(str(path), size, index=index)
            except OSError:
                break
            if face.getname()[0] == FONT_FAMILY:
                return face
    return ImageFont.truetype(str(path), size)


def _fit(text: str, width: int, largest: int) -> ImageFont.FreeTypeFont:
    size = largest
    while size > MIN_LABEL_PX and _font(size).getlength(text) > width:
        size -= 4
    return _font(size)


def render(menu: dict[str, Any], mode: str) -> bytes:
    """Return a PNG of the menu's tiles, sized for its layout."""
    layout = LAYOUTS[menu["layout"]]
    palette = PALETTES.get(mode, PALETTES["normal"])
    image = Image.new("RGB", (layout.width, layout.height), palette.background)
    draw = ImageDraw.Draw(image)
    gap = 8  # half the grid line drawn inside each tile, so tiles still meet exactly
    accent = 28
    for (x, y, w, h), tile in zip(layout.bounds(), menu["tiles"]):
        box = (x + gap, y + gap, x + w - gap - 1, y + h - gap - 1)
        draw.rectangle(box, fill=palette.tile)
        draw.rectangle((box[0], box[1], box[2], box[1] + accent), fill=palette.accent)
        label, sub = tile.get("label", ""), tile.get("sub", "")
        inner = w - 2 * gap - 80
        label_font = _fit(label, inner, MAX_LABEL_PX if layout.cols == 2 else MIN_LABEL_PX + 16)
        sub_font = _font(SUB_PX)
        centre_x = x + w / 2
        centre_y = y + accent / 2 + h / 2
        if sub:
            spacing = 44
            label_h = label_font.size
            block = label_h + spacing + SUB_PX
            top = centre_y - block / 2
            draw.text((centre_x, top + label_h / 2), label, font=label_font, fill=palette.label, anchor="mm")
            draw.text((centre_x, top + label_h + spacing + SUB_PX / 2), sub, font=_fit_sub(sub, inner),
                      fill=palette.sub, anchor="mm")
        else:
            draw.text((centre_x, centre_y), label, font=label_font, fill=palette.label, anchor="mm")
        del sub_font
    return _png(image)


def _fit_sub(text: str, width: int) -> ImageFont.FreeTypeFont:
    size = SUB_PX
    while size > 48 and _font(size).getlength(text) > width:
        size -= 4
    return _font(size)


def _png(image: Image.Image) -> bytes:
    # Flat colours quantise to a small palette losslessly enough; the anti-aliased glyph edges keep 64 shades.
    out = io.BytesIO()
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    data = out.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise RenderError("作ったメニュー画像が 1MB を超えました。ボタンの文字を短くしてください。")
    return data
