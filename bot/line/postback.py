"""Encode and decode the postback data our buttons carry (≤ 300 characters)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from bot.line.limits import MAX_POSTBACK_DATA


def encode(action: str, **params: str | int) -> str:
    """Return postback data for an action and its parameters."""
    data = urlencode({"a": action, **{k: str(v) for k, v in params.items()}})
    if len(data) > MAX_POSTBACK_DATA:
        raise ValueError(f"postback data longer than {MAX_POSTBACK_DATA}: {data[:40]}…")
    return data


def decode(data: str) -> dict[str, str]:
    """Return the parameters of postback data; unknown or broken data gives {}."""
    if not data or len(data) > MAX_POSTBACK_DATA:
        return {}
    try:
        params = dict(parse_qsl(data, strict_parsing=True))
    except ValueError:
        return {}
    return params if "a" in params else {}
