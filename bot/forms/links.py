"""Signed tokens: the LINE link that ties an application to its resident, the confirm step's draft, withdrawal.

Every token names the town it was made in (`w`), and is refused in any other: follower ids and receipt numbers mean
nothing outside their town (a receipt number is unique only within it). A token without `w` was made before towns
existed, in the town the migration made (DEFAULT_TOWN_ID).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.models.tenancy import DEFAULT_TOWN_ID, require_town_id

LINK_SALT = "forms.line-link"
DRAFT_SALT = "forms.draft"
WITHDRAW_SALT = "forms.withdraw"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    # Each town signs with a salt of its own: a token one town signed (a follower's row id, a receipt number) means
    # nothing in another town, where the same id or number may be someone else's. The default town keeps the salt
    # it had before towns, so the links residents kept from a single-town deployment still work after the upgrade.
    town_id = require_town_id()
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                  salt=salt if town_id == DEFAULT_TOWN_ID else f"{salt}:town{town_id}")


def _here(data: Any) -> bool:
    """Tell whether a token's payload was made in the current town."""
    return isinstance(data, dict) and data.get("w", DEFAULT_TOWN_ID) == require_town_id()


@dataclass(frozen=True)
class Link:
    """What a valid LINE link says: which follower row (never the LINE user id itself) and its one-time nonce."""

    follower_id: int
    nonce: str
    slug: str


class TokenError(Exception):
    """A token is forged, damaged or expired; the message is Japanese and safe to show."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.message = message
        self.expired = expired


def make_link_token(follower_id: int, slug: str) -> str:
    """Return a signed token for a LINE button that opens a form for one follower."""
    return _serializer(LINK_SALT).dumps({"f": follower_id, "n": secrets.token_hex(16), "s": slug,
                                         "w": require_town_id()})


def read_link_token(token: str, slug: str) -> Link:
    """Return the link a token carries; raise TokenError when it is forged or older than the setting allows."""
    try:
        data = _serializer(LINK_SALT).loads(token, max_age=current_app.config["FORM_LINK_MAX_AGE"])
    except SignatureExpired:
        raise TokenError("LINE から開いたリンクの有効期限が切れています。このまま申し込めますが、LINE との連携はされません。"
                         "連携するには、LINE でもう一度「応援団に登録する」を押してください。", expired=True) from None
    except BadSignature:
        raise TokenError("LINE から開いたリンクが正しくありません。このまま申し込めますが、LINE との連携はされません。") from None
    if not _here(data) or data.get("s") != slug or not isinstance(data.get("f"), int) \
            or not isinstance(data.get("n"), str):
        raise TokenError("LINE から開いたリンクが正しくありません。このまま申し込めますが、LINE との連携はされません。")
    return Link(data["f"], data["n"], data["s"])


def make_draft(data: dict[str, Any]) -> str:
    """Return the confirm step's signed draft (version, nonce, link, answers' hash)."""
    return _serializer(DRAFT_SALT).dumps({**data, "w": require_town_id()})


def read_draft(token: str) -> dict[str, Any]:
    """Return a confirm step's draft; raise TokenError when it is forged or stale."""
    try:
        data = _serializer(DRAFT_SALT).loads(token, max_age=current_app.config["FORM_DRAFT_MAX_AGE"])
    except SignatureExpired:
        raise TokenError("確認画面を開いてから時間がたちすぎました。内容を確かめて、もう一度「確認へ進む」を押してください。",
                         expired=True) from None
    except BadSignature:
        raise TokenError("確認画面の情報が正しくありません。内容を確かめて、もう一度「確認へ進む」を押してください。") from None
    if not _here(data) or not isinstance(data.get("n"), str) or not isinstance(data.get("v"), int):
        raise TokenError("確認画面の情報が正しくありません。内容を確かめて、もう一度「確認へ進む」を押してください。")
    return data


def make_withdraw_token(receipt_no: str) -> str:
    """Return the signed token of a receipt page's withdrawal link."""
    return _serializer(WITHDRAW_SALT).dumps({"r": receipt_no, "w": require_town_id()})


def read_withdraw_token(token: str) -> str:
    """Return the receipt number a withdrawal token names; raise TokenError when it is forged."""
    try:
        data = _serializer(WITHDRAW_SALT).loads(token, max_age=current_app.config["FORM_WITHDRAW_MAX_AGE"])
    except SignatureExpired:
        raise TokenError("取消しのリンクの有効期限が切れています。お手数ですが市役所へご連絡ください。", expired=True) from None
    except BadSignature:
        raise TokenError("取消しのリンクが正しくありません。受付完了のページのリンクをそのまま開いてください。") from None
    if not _here(data) or not isinstance(data.get("r"), str):
        raise TokenError("取消しのリンクが正しくありません。受付完了のページのリンクをそのまま開いてください。")
    return data["r"]
