"""LINE Messaging API limits, and helpers that keep text within them."""
from __future__ import annotations

MAX_MESSAGES_PER_REPLY = 5
MAX_QUICK_REPLY_ITEMS = 13
MAX_POSTBACK_DATA = 300
MAX_TEXT_UTF16 = 5000
MAX_ALT_TEXT = 400
MAX_ACTION_LABEL = 20
MAX_MULTICAST_RECIPIENTS = 500


def utf16_len(text: str) -> int:
    """Return the length of text in UTF-16 code units, as LINE counts it."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten text to at most limit UTF-16 code units, marking the cut."""
    if utf16_len(text) <= limit:
        return text
    budget = limit - utf16_len(ellipsis)
    out: list[str] = []
    used = 0
    for ch in text:
        size = utf16_len(ch)
        if used + size > budget:
            break
        out.append(ch)
        used += size
    return "".join(out) + ellipsis


def label(text: str) -> str:
    """Fit text into an action label."""
    return clip(text, MAX_ACTION_LABEL)
