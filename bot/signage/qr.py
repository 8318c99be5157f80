"""QR codes as SVG data URIs, drawn on the server with segno (no outside service)."""
from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def data_uri(url: str) -> str:
    """Return a QR code for url as an SVG data URI (cached: screens poll the same links every few seconds)."""
    # Error correction M with a quiet zone of 2 reads well from a phone at arm's length off a screen.
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=8, border=2, dark="#111", light="#fff")
