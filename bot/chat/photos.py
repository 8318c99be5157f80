"""Residents' photos: checked and re-encoded with Pillow, which drops every EXIF tag (GPS location included)."""
from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # a 10 MB photo from a phone is well under; a decompression bomb is not
_FORMATS = {"JPEG": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"), "WEBP": ("JPEG", "image/jpeg"),
            "GIF": ("PNG", "image/png"), "HEIF": ("JPEG", "image/jpeg"), "MPO": ("JPEG", "image/jpeg")}


class PhotoRefused(ValueError):
    """The bytes are not a photo the counter keeps (the message says why, in Japanese)."""


def clean_photo(data: bytes) -> tuple[bytes, str]:
    """Return the photo re-encoded without metadata, and its content type; raise PhotoRefused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in _FORMATS:
                    raise PhotoRefused("写真（JPEG・PNG）ではありません")
                if probe.width * probe.height > MAX_PIXELS:
                    raise PhotoRefused("画素数が多すぎます")
                probe.load()
                image = ImageOps.exif_transpose(probe)  # keep the picture upright once its EXIF is gone
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            SyntaxError):
        raise PhotoRefused("画像として読み取れません") from None
    out_format, content_type = _FORMATS[fmt]
    if out_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    # No exif=, no icc/xmp: the new file carries the pixels only.
    image.save(buffer, format=out_format, **({"quality": 90} if out_format == "JPEG" else {}))
    return buffer.getvalue(), content_type
