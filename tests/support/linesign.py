"""Sign webhook bodies exactly as LINE does."""
import base64
import hashlib
import hmac
import json
from typing import Any


def sign(body: bytes, secret: str) -> str:
    """Return base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def body_of(events: list[dict[str, Any]], destination: str = "U" + "0" * 32) -> bytes:
    """Return a webhook body as LINE sends it."""
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False).encode()
