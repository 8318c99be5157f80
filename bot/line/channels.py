"""Each town's LINE channel credentials, encrypted at rest with TOWN_SECRETS_KEY (Fernet, from `cryptography`).

TOWN_SECRETS_KEY holds one or more Fernet keys, comma-separated: the first encrypts, every one decrypts, so a key
is rotated by putting the new one first and running `flask towns reencrypt`. Outside production, with no key set,
one is derived from SECRET_KEY so that `make run` needs no set-up; production refuses to store credentials
without TOWN_SECRETS_KEY.
"""
from __future__ import annotations

import base64
import hashlib

from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import select

from bot.extensions import db
from bot.models.tenancy import Tenant


class MissingKey(RuntimeError):
    """Credentials cannot be stored or read: TOWN_SECRETS_KEY is not set (production)."""


def _fernet() -> MultiFernet:
    configured = [k.strip() for k in (current_app.config.get("TOWN_SECRETS_KEY") or "").split(",") if k.strip()]
    if not configured:
        if current_app.config.get("APP_ENV") == "production":
            raise MissingKey("TOWN_SECRETS_KEY が設定されていません（LINEの資格情報を暗号化する鍵）")
        digest = hashlib.sha256(b"town-secrets:" + current_app.config["SECRET_KEY"].encode()).digest()
        configured = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key.encode()) for key in configured])
    except ValueError as exc:
        raise MissingKey("TOWN_SECRETS_KEY の形式が正しくありません（Fernet の鍵: 32バイトを URL-safe base64 で）") from exc


def seal(value: str) -> str:
    """Return the value encrypted for storage ('' stays '': not set)."""
    return _fernet().encrypt(value.encode()).decode() if value else ""


def unseal(stored: str) -> str:
    """Return a stored value decrypted ('' when not set); raise MissingKey when no configured key opens it."""
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken as exc:
        raise MissingKey("保存されたLINEの資格情報を TOWN_SECRETS_KEY で復号できません（鍵を確認してください）") from exc


def reseal(stored: str) -> str:
    """Return a stored value encrypted again with the first key (key rotation)."""
    return _fernet().rotate(stored.encode()).decode() if stored else ""


def new_key() -> str:
    """Return a fresh key for TOWN_SECRETS_KEY."""
    return Fernet.generate_key().decode()


@dataclass(frozen=True)
class Channel:
    """A town's LINE channel, decrypted for the request or job that uses it (empty: not set)."""

    secret: str
    access_token: str
    bot_user_id: str


def stored_channel(town_id: int) -> Channel:
    """Return a town's LINE channel as stored, decrypted (empty fields: not set)."""
    row = db.session.execute(select(Tenant.line_channel_secret, Tenant.line_access_token, Tenant.line_bot_user_id)
                             .where(Tenant.id == town_id)).one()
    return Channel(unseal(row.line_channel_secret), unseal(row.line_access_token), row.line_bot_user_id)
