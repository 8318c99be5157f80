"""Mask personal data in logged text and hash user ids with a key."""
from __future__ import annotations

import hashlib
import hmac
import re

# Digits may arrive full-width from Japanese keyboards.
_D = "[0-9０-９]"
_SEP = "[-‐－―ー−() （）]?"
# ASCII only: \w would swallow the Japanese text around an address.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+[@＠][A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# 12-digit numbers (My Number) with optional separators every four digits.
_TWELVE = re.compile(rf"(?<!{_D}){_D}{{4}}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}(?!{_D})")
# Japanese phone numbers: 0 + 9 or 10 more digits, with or without separators.
_PHONE = re.compile(rf"(?<!{_D})[0０]{_D}{{1,4}}{_SEP}{_D}{{1,4}}{_SEP}{_D}{{3,4}}(?!{_D})")


def mask(text: str) -> str:
    """Replace e-mail addresses, 12-digit numbers and phone numbers with placeholders."""
    text = _EMAIL.sub("［メール］", text)
    text = _TWELVE.sub("［番号］", text)
    return _PHONE.sub("［電話］", text)


def user_hash(user_id: str | None, key: str) -> str:
    """Return a keyed hash of a LINE user id, so logs can count people without storing ids."""
    if not user_id:
        return ""
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:32]
