"""One set of rules for text, links and phone numbers that staff type and residents receive.

Offices, town settings, the knowledge pack and the safety rules check their fields with these, and every LINE
message checks each link once more where it is built (bot/line/flex.py), as LINE itself will.
"""
from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

MAX_SLUG = 80  # a slug or key (entries, offices, shelters, forms): the database columns hold 80
MAX_URL = 500  # a page link staff store with an entry or an office (its database column)
MAX_URI = 1000  # a LINE uri action's link (Messaging API reference, "URI action"); the longest link we accept
# NUL cannot be stored by PostgreSQL, lone surrogates cannot be encoded, other controls are invisible.
# Tab and line breaks are allowed in text that may have several lines.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# One-line text and links: no line break or tab either.
CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
# A slug (entries, offices, shelters, forms, notice topics): lower-case letters and digits in hyphenated words.
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# What the pack and the forms accept as a link (checked in full by web_url_problem).
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
# A DNS host name (dot-separated labels of letters, digits and inner hyphens), or an IP address.
_HOST = re.compile(r"(?=.{1,253}$)(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)*(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# Digits, hyphens and parentheses only: anything else could change what a tel: button dials.
PHONE_RE = re.compile(r"^[0-9()\-]+$")
# An e-mail address (offices, the forms' e-mail fields, staff accounts): a dot-atom local part, host-name labels.
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
MAX_EMAIL, MAX_EMAIL_LOCAL = 254, 64  # RFC 5321: a whole address, the part before the @
MIN_DIGITS, MAX_DIGITS = 3, 15  # 110 up to the longest E.164 number
# The tel: links this service builds (bot/line/messages.py tel_uri): digits, +, -, * and %23 for #.
_TEL = re.compile(r"tel:(?:[0-9*+-]|%23)+")


def is_email(text: str) -> bool:
    """Return whether text is an e-mail address mail can be sent to (the rule offices, forms and accounts share)."""
    return bool(EMAIL_RE.fullmatch(text)) and len(text) <= MAX_EMAIL and len(text.split("@")[0]) <= MAX_EMAIL_LOCAL


def has_control(text: str, *, one_line: bool = False) -> bool:
    """Return whether text holds a control character (or, for one-line text, a line break or tab)."""
    return bool((CONTROL_OR_BREAK if one_line else CONTROL).search(text))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _web_problem(url: str) -> str | None:
    """Return why url is not a web link LINE and browsers open (an English reason), or None."""
    if len(url) > MAX_URI:
        return f"longer than {MAX_URI} characters"
    if CONTROL_OR_BREAK.search(url) or re.search(r"\s", url):
        return "contains a control character or a space"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        return "cannot be read as a link"
    if parts.scheme not in ("https", "http"):
        return "is not an https link"
    if parts.username is not None or parts.password is not None:
        return "carries a user name"
    host = parts.hostname or ""
    if not (_HOST.fullmatch(host) or _is_ip(host)):
        return "has no valid host name"
    if port == 0:
        return "has port 0"
    return None


def web_url_problem(url: str, label: str = "URL") -> str | None:
    """Return, in Japanese, why url cannot be a page link in replies and forms, or None when it can."""
    reason = _web_problem(url)
    if reason is None:
        return None
    if reason.startswith("longer"):
        return f"{label}は{MAX_URI}文字以内にしてください"
    if reason.startswith("contains"):
        return f"{label}に空白や改行・制御文字は使えません"
    if reason.startswith("is not"):
        return f"{label}は http:// か https:// で始めてください"
    return f"{label}の形が正しくありません（例：https://www.city.ashibetsu.hokkaido.jp/）"


def phone_problem(phone: str) -> str | None:
    """Return why a phone number cannot be dialled from a 電話する button, or None when it can."""
    if not PHONE_RE.match(phone):
        return "電話番号は半角の数字・ハイフン（-）・かっこだけで書いてください（例：0123-45-6789）"
    digits = sum(c.isdigit() for c in phone)
    if not MIN_DIGITS <= digits <= MAX_DIGITS:
        return f"電話番号の数字は{MIN_DIGITS}〜{MAX_DIGITS}桁にしてください"
    return None


@lru_cache(maxsize=1024)
def line_uri_problem(uri: str) -> str | None:
    """Return why LINE would refuse uri in a uri action (an English reason for the log), or None.

    LINE takes http, https, line and tel links of at most 1000 characters; this service builds https pages,
    tel: numbers and line:// links. A message with one bad link is refused whole, so the builder drops the button.
    """
    if not isinstance(uri, str) or not uri:
        return "is empty"
    if len(uri) > MAX_URI:
        return f"longer than {MAX_URI} characters"
    if CONTROL_OR_BREAK.search(uri) or re.search(r"\s", uri):
        return "contains a control character or a space"
    scheme = uri.split(":", 1)[0].lower()
    if scheme == "tel":
        return None if _TEL.fullmatch(uri) else "is not a tel: number"
    if scheme == "line":
        return None if uri.startswith("line://") and len(uri) > len("line://") else "is not a line:// link"
    return _web_problem(uri)
