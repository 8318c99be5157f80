"""Check an uploaded rich-menu image against LINE's rules, each problem in one clear Japanese sentence."""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageFile

from bot.core.problems import FORM, Invalid, Problem
from bot.richmenu.definition import Layout
from bot.richmenu.spec import MAX_IMAGE_BYTES

MIN_WIDTH, MAX_WIDTH, MIN_HEIGHT, MIN_RATIO = 800, 2500, 250, 1.45
TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
# Refuse before decoding anything larger than LINE's largest menu could ever be (2500 wide, ≤ 1.45 ratio).
MAX_PIXELS = 2500 * 1725


def _invalid(messages: list[str]) -> Invalid:
    return Invalid(Problem(FORM, "image", message) for message in messages)


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data))


def _decode(data: bytes) -> None:
    """Decode every pixel (the size was checked first, so this is bounded); raise on data Pillow cannot decode."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # a global someone may have set: half an image must never pass as whole
        raise OSError("Pillow is set to load truncated images")
    image = _open(data)  # verify() leaves the image unusable: open it again
    image.load()


def image_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) of image bytes already checked."""
    return _open(data).size


def check_image(data: bytes, layout: Layout) -> str:
    """Return the image's MIME type if it can be a menu for the layout; raise Invalid listing the problems."""
    if not data:
        raise _invalid(["画像ファイルを選んでください。"])
    problems = []
    if len(data) > MAX_IMAGE_BYTES:
        problems.append(f"画像のファイルサイズは 1MB 以下にしてください（いま {len(data) / 1024 / 1024:.1f}MB）。")
    try:
        image = _open(data)
        kind = image.format
        width, height = image.size
        if kind not in TYPES:
            raise _invalid(problems + ["画像は PNG か JPEG にしてください。"])
        if width * height <= MAX_PIXELS:  # larger ones fail on their size below, never decoded
            image.verify()  # reads the whole file: truncated or broken data fails here, not at LINE
            _decode(data)  # verify() checks chunks, not pixels: a corrupt IDAT or half a JPEG fails only here
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _invalid(problems + ["画像が大きすぎます。横 2500 ピクセル以下にしてください。"]) from None
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError…) for data it cannot read
        raise _invalid(problems + ["画像として読み込めません。PNG か JPEG のファイルを選んでください。"]) from None
    if width * height > MAX_PIXELS and width <= MAX_WIDTH:
        problems.append(f"画像が大きすぎます（{width}×{height}）。縦を短くしてください。")
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        problems.append(f"画像の横幅は {MIN_WIDTH}〜{MAX_WIDTH} ピクセルにしてください（いま {width} ピクセル）。")
    if height < MIN_HEIGHT:
        problems.append(f"画像の高さは {MIN_HEIGHT} ピクセル以上にしてください（いま {height} ピクセル）。")
    if height and width / height < MIN_RATIO:
        problems.append(f"画像の横幅は高さの {MIN_RATIO} 倍以上にしてください（いま {width / height:.2f} 倍）。"
                        "縦に長すぎます。")
    expected = layout.width / layout.height
    if height and abs(width / height - expected) > 0.02:
        # The areas follow the layout's grid; an image of another shape would put the buttons off their tiles.
        problems.append(f"形「{layout.label}」の画像は横:縦 = {layout.width}:{layout.height} にしてください"
                        f"（いま {width}×{height}）。ボタンの位置が画像の絵とずれてしまいます。")
    for x, y, w, h in layout.bounds(width, height):
        if x < 0 or y < 0 or x + w > width or y + h > height:
            problems.append("ボタンの範囲が画像の外にはみ出しています。")
            break
    if problems:
        raise _invalid(problems)
    return TYPES[kind]
