"""Each town's LINE channel: its credentials, encrypted at rest with TOWN_SECRETS_KEY (Fernet, from `cryptography`),
and the channel the webhook and every call to LINE use for the current town (`town_channel`, `town_gateway`).

TOWN_SECRETS_KEY holds one or more Fernet keys, comma-separated: the first encrypts, every one decrypts, so a key
is rotated by putting the new one first and running `flask towns reencrypt`. Outside production, with no key set,
one is derived from SECRET_KEY so that `make run` needs no set-up; production refuses to store credentials
without TOWN_SECRETS_KEY.

A town with stored credentials uses them; the default town (DEFAULT_TOWN) with none stored uses the app settings
LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN, as a single-town deployment always has. The decrypted channel and
its gateway are cached per town (a TOWN_CACHE_TOWNS LRU) under the town's `channel_stamp`, a digest of the stored
row's channel columns: whenever a process reads the town again (the town directory, every TOWN_CACHE_SECONDS, or at
once in the process that changed it) a new stamp makes it decrypt again, so a rotation reaches every worker.
"""
from __future__ import annotations

import base64
import hashlib

import logging
import re
import time
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import select, update

from bot.core import audit
from bot.core.tenancy import TownRef, current_ref, town_by_slug, town_lru
from bot.extensions import db
from bot.line.client import LineGateway
from bot.models.tenancy import NoTownSelected, Tenant

log = logging.getLogger(__name__)

# The bot's own user id as a webhook body's `destination` names it: "U" and 32 hex digits.
BOT_USER_ID = re.compile(r"^U[0-9a-f]{32}$")


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
    """Return a stored value encrypted again with the first key (key rotation); MissingKey when no key opens it."""
    if not stored:
        return ""
    try:
        return _fernet().rotate(stored.encode()).decode()
    except InvalidToken as exc:
        raise MissingKey("保存されたLINEの資格情報を TOWN_SECRETS_KEY で復号できません（鍵を確認してください）") from exc


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


# ---------------------------------------------------------------------------------------------------------------
# The current town's channel, cached per town under its stamp.

@dataclass(frozen=True)
class _TownLine:
    """A town's stored channel, decrypted once per stamp, and the gateway built from its token."""

    stamp: str
    stored: Channel
    gateway: LineGateway

    @property
    def has_own(self) -> bool:
        """Tell whether the town stores credentials of its own (else: the default town uses the app settings)."""
        return bool(self.stored.secret or self.stored.access_token)


def _gateway(token: str) -> LineGateway:
    config = current_app.config
    return LineGateway(token, config["LINE_API_ENDPOINT"], config["LINE_API_TIMEOUT"], config["LINE_API_CONNECTIONS"])


def _town_line(ref: TownRef, app: Flask) -> _TownLine:
    lru = app.extensions.get(("town_lru", "line_channel")) or town_lru("line_channel", app)

    def build() -> _TownLine:
        stored = stored_channel(ref.id)
        return _TownLine(ref.channel_stamp, stored, _gateway(stored.access_token))

    line = lru.get(ref.id, build)
    if line.stamp != ref.channel_stamp:  # the row changed since: credentials rotated, bot user id recorded
        line = build()
        lru.put(ref.id, line)
    return line


def resolve(ref: TownRef | None = None) -> tuple[Channel, LineGateway | None]:
    """Return the current (or given) town's channel and the gateway built from its own token; the gateway is None
    when the town is the default town using the app settings (their gateway is app.extensions["line_gateway"]).

    Empty secret or token: the town has no channel. One call per webhook: a dictionary look-up and a comparison."""
    ref = ref or current_ref()
    if ref is None:
        raise NoTownSelected("a town's LINE channel was asked for with no current town")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    line = _town_line(ref, app)
    config = app.config
    if line.has_own or not ref.slug or ref.slug != config.get("DEFAULT_TOWN", "default"):
        return line.stored, line.gateway
    return Channel(config["LINE_CHANNEL_SECRET"], config["LINE_CHANNEL_ACCESS_TOKEN"], line.stored.bot_user_id), None


def town_channel(ref: TownRef | None = None) -> Channel:
    """Return the current (or given) town's LINE channel; empty secret or token: the town has none."""
    return resolve(ref)[0]


def uses_settings(ref: TownRef | None = None) -> bool:
    """Tell whether the town's channel comes from the app settings (the default town with none stored)."""
    return resolve(ref)[1] is None


def town_gateway(ref: TownRef | None = None) -> LineGateway:
    """Return the gateway that calls LINE with the current (or given) town's access token.

    Its `configured` is False when the town has no token (nothing can reach LINE)."""
    return resolve(ref)[1] or current_app.extensions["line_gateway"]  # else the app settings' (single-town mode)


def refreshed(ref: TownRef) -> TownRef | None:
    """Read a town again when its cached channel failed a webhook (a rotation another process made): the new
    reference when the stored channel changed, else None. At most once a second per town and process, so a flood
    of forged bodies costs no more than one query a second."""
    seen = current_app.extensions.setdefault("line_channel_refreshed", {})
    now = time.monotonic()
    if now - seen.get(ref.id, -1e9) < 1.0:
        return None
    if len(seen) > 10_000:
        seen.clear()
    seen[ref.id] = now
    fresh = town_by_slug(ref.slug, fresh=True)
    return fresh if fresh is not None and fresh.channel_stamp != ref.channel_stamp else None


def record_bot_user_id(ref: TownRef, destination: str) -> TownRef:
    """Record the bot's user id from the first verified webhook of a town that has none; return the town as it is now.

    One UPDATE that changes the row only while the id is still empty, so of two workers racing the first webhooks
    one records it and the other reads what was recorded. Audited in the town's log (the bot's id is no one's
    personal data)."""
    recorded = db.session.execute(
        update(Tenant).where(Tenant.id == ref.id, Tenant.line_bot_user_id == "")
        .values(line_bot_user_id=destination).execution_options(synchronize_session=False)).rowcount
    if recorded:
        audit.record("system", "town.bot_user_id", "town", ref.id, "ボットのユーザーIDをLINEからの最初の通知で記録",
                     after={"bot_user_id": destination})
        log.info("town %s: recorded the bot user id from its first verified webhook", ref.slug)
    db.session.commit()
    fresh = town_by_slug(ref.slug, fresh=True)  # this process sees it at once; the others at their next read
    return fresh or ref
