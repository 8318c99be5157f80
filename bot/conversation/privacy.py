"""Mask personal data in logged text and hash user ids with a key."""
from __future__ import annotations

import hashlib
import hmac
import re

# Residents type on phone keyboards: digits, letters and signs arrive half- or full-width.
_D = "[0-9０-９]"
_NO_D_BEFORE, _NO_D_AFTER = rf"(?<!{_D})", rf"(?!{_D})"
_SPACE = "[ \u3000]"
# Every dash a Japanese keyboard or converter produces (‐ ‑ ‒ – — ― ー ｰ － −), and dots.
_DASH = "[-\u2010-\u2015\u30fc\uff70\uff0d\u2212.．・]"
# Between digit groups: a dash or parenthesis with optional spaces around it, spaces alone, or nothing.
_SEP = rf"(?:{_SPACE}*(?:{_DASH}|[()（）]{{1,2}}){_SPACE}*|{_SPACE}{{1,2}})?"
_PLAIN_SEP = rf"(?:{_SPACE}*{_DASH}{_SPACE}*|{_SPACE}{{1,2}})?"  # no parenthesis: +81(0) has its own pattern
_GROUPS = rf"{_D}{{1,4}}{_SEP}{_D}{{1,4}}{_SEP}{_D}{{3,4}}{_NO_D_AFTER}"

# ASCII only, plus its full-width twin: \w would swallow the Japanese text around an address.
_LOCAL = "[A-Za-z0-9._%+\\-Ａ-Ｚａ-ｚ０-９．＿％＋－]"
_LABEL = "[A-Za-z0-9\\-Ａ-Ｚａ-ｚ０-９－]"
_EMAIL = re.compile(rf"{_LOCAL}+{_SPACE}?[@＠]{_SPACE}?{_LABEL}+(?:[.．]{_LABEL}+)+")
# 12-digit numbers (My Number) in groups of four.
_TWELVE = re.compile(rf"{_NO_D_BEFORE}{_D}{{4}}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_NO_D_AFTER}")
# Domestic numbers: 0 + area code (1-4 more digits) + exchange + subscriber, 10 or 11 digits in all
# (0120/0800 free dial, 0570 navi dial, 050 IP and 070/080/090 mobile included), written with any
# separators, with or without the area code in parentheses.
_DOMESTIC = re.compile(rf"{_NO_D_BEFORE}[(（]?[0０]{_GROUPS}|{_NO_D_BEFORE}[0０]{_D}{{9,10}}{_NO_D_AFTER}")
# The same numbers from abroad: +81, the leading 0 dropped (or kept in parentheses), 9 or 10 digits.
_INTERNATIONAL = re.compile(
    rf"[+＋][8８][1１]{_PLAIN_SEP}(?:[(（][0０][)）]{_SPACE}*)?(?:{_GROUPS}|{_D}{{9,10}}{_NO_D_AFTER})")
# A house number with 番地 (3番地, 1丁目3番地5, 12番地の4): with a district name it points at one household.
# A district alone (北1条東1丁目, the town hall's own address) stays readable.
_ADDRESS = re.compile(rf"(?:{_D}+丁目{_SPACE}*)?{_D}+{_SPACE}*番地(?:{_SPACE}*(?:の|{_DASH})?{_SPACE}*{_D}+号?)?")
_DIGIT = re.compile(_D)
_MAYBE = re.compile(r"[0-9０-９@＠]")


def _count(match: re.Match[str]) -> int:
    return len(_DIGIT.findall(match.group()))


def _domestic(match: re.Match[str]) -> str:
    return "［電話］" if _count(match) in (10, 11) else match.group()


def _international(match: re.Match[str]) -> str:
    # Counted without the 81 and a (0): what is left is the national number without its leading 0.
    digits = _count(match) - 2 - (1 if re.search(r"[(（][0０][)）]", match.group()) else 0)
    return "［電話］" if digits in (9, 10) else match.group()


def mask(text: str) -> str:
    """Replace e-mail addresses, 12-digit numbers, phone numbers and house numbers with placeholders."""
    if not _MAYBE.search(text):
        return text  # most messages carry no digit and no @: spare them the patterns below
    text = _EMAIL.sub("［メール］", text)
    text = _INTERNATIONAL.sub(_international, text)  # before _TWELVE: +819012345678 has 12 digits
    text = _TWELVE.sub("［番号］", text)
    text = _DOMESTIC.sub(_domestic, text)
    return _ADDRESS.sub("［番地］", text)


def user_hash(user_id: str | None, key: str) -> str:
    """Return a keyed hash of a LINE user id, so logs can count people without storing ids."""
    if not user_id:
        return ""
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:32]
