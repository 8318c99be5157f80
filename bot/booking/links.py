"""Signed tokens of the booking pages: the LINE link that says which resident is booking, and the confirm step.

As the forms' (bot/forms/links.py): each names the town it was made in and is refused in any other, and each town
signs with a salt of its own. The link carries a follower's row id, never the LINE user id.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.models.tenancy import require_town_id

LINK_SALT = "booking.line-link"
DRAFT_SALT = "booking.draft"
LINK_MAX_AGE = 24 * 3600  # a day: the link in a LINE message is tapped again later the same day
DRAFT_MAX_AGE = 3600

EXPIRED = "LINE から開いたリンクの有効期限が切れています。LINE でもう一度「施設を予約する」と送って、新しいリンクから開いてください。"
FORGED = "LINE から開いたリンクが正しくありません。LINE で「施設を予約する」と送って、届いたボタンから開いてください。"
NO_LINK = "施設の予約は LINE から受け付けています。LINE で「施設を予約する」と送って、届いたボタンから開いてください。"
DRAFT_EXPIRED = "確認画面を開いてから時間がたちすぎました。もう一度枠を選んでください。"
DRAFT_FORGED = "確認画面の情報が正しくありません。もう一度枠を選んでください。"


class TokenError(Exception):
    """A token is missing, forged or expired; the message is Japanese and safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"{salt}:town{require_town_id()}")


def make_link(follower_id: int) -> str:
    """Return the signed token of a resident's 「施設を予約する」 button."""
    return _serializer(LINK_SALT).dumps({"f": follower_id, "w": require_town_id()})


def read_link(token: str | None) -> int:
    """Return the follower row id a link names; raise TokenError when it is missing, forged or expired."""
    if not token:
        raise TokenError(NO_LINK)
    if len(token) > 300:
        raise TokenError(FORGED)
    try:
        data = _serializer(LINK_SALT).loads(token, max_age=current_app.config.get("BOOKING_LINK_MAX_AGE", LINK_MAX_AGE))
    except SignatureExpired:
        raise TokenError(EXPIRED) from None
    except BadSignature:
        raise TokenError(FORGED) from None
    if not isinstance(data, dict) or data.get("w") != require_town_id() or not isinstance(data.get("f"), int):
        raise TokenError(FORGED)
    return data["f"]


def make_draft(data: dict[str, Any]) -> str:
    return _serializer(DRAFT_SALT).dumps({**data, "w": require_town_id()})


def read_draft(token: str | None) -> dict[str, Any]:
    if not token or len(token) > 2000:
        raise TokenError(DRAFT_FORGED)
    try:
        data = _serializer(DRAFT_SALT).loads(token, max_age=DRAFT_MAX_AGE)
    except SignatureExpired:
        raise TokenError(DRAFT_EXPIRED) from None
    except BadSignature:
        raise TokenError(DRAFT_FORGED) from None
    if not isinstance(data, dict) or data.get("w") != require_town_id():
        raise TokenError(DRAFT_FORGED)
    return data
