"""Issue 19 B10: /favicon.ico answered 404 on every page load; it is a small static icon, served with no cookie."""
from __future__ import annotations

from io import BytesIO

from PIL import Image


def test_the_favicon_is_a_small_icon_without_a_cookie(app):
    client = app.test_client()
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert response.data[:4] == b"\x00\x00\x01\x00" and len(response.data) < 10_000
    assert Image.open(BytesIO(response.data)).format == "ICO"
    assert "Set-Cookie" not in response.headers
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    # A HEAD and a conditional GET behave like any static file.
    assert client.head("/favicon.ico").status_code == 200
    etag = response.headers.get("ETag")
    if etag:
        assert client.get("/favicon.ico", headers={"If-None-Match": etag}).status_code == 304
