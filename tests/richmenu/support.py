"""Helpers for the rich-menu tests: MenuSpecs built by hand with a small Pillow image."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from bot.richmenu.spec import Area, MenuSpec

WIDTH, HEIGHT = 2500, 843


def image(color: str = "#1e6f3f", fmt: str = "PNG", size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    """Return a plain image of one colour in the given format."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def spec(mode: str = "normal", color: str = "#1e6f3f", labels: tuple[str, ...] = ("質問する", "メニュー", "お知らせ"),
         **kwargs) -> MenuSpec:
    """Return a menu of equal tiles in one row, each sending its label as text."""
    width = WIDTH // len(labels)
    areas = tuple(Area(i * width, 0, width, HEIGHT, {"type": "message", "label": label, "text": label})
                  for i, label in enumerate(labels))
    values = dict(mode=mode, name=f"test-{mode}", chat_bar_text="メニュー", width=WIDTH, height=HEIGHT,
                  areas=areas, image=image(color))
    values.update(kwargs)
    return MenuSpec(**values)


def corrupt_idat(data: bytes) -> bytes:
    """Return the PNG with its first IDAT's compressed bytes garbled and its CRC recomputed (so chunks still verify)."""
    start = data.index(b"IDAT") - 4
    length = struct.unpack(">I", data[start:start + 4])[0]
    body = bytearray(data[start + 8:start + 8 + length])
    for i in range(2, len(body)):  # keep the zlib header, garble the deflate stream
        body[i] ^= 0x5A
    chunk = b"IDAT" + bytes(body)
    return data[:start + 4] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[start + 12 + length:]

