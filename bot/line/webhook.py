"""POST /<town>/callback: verify with the town's channel, parse, dedupe and answer LINE webhook events."""
from __future__ import annotations

import logging
import time
import traceback

from flask import Blueprint, abort, current_app, request
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.bodylimits import body_limit
from bot.chat import photo_fetch
from bot.conversation import prepare, respond_to_event
from bot.conversation.records import Claim, record_standby
from bot.core.tenancy import TownRef, current_ref
from bot.extensions import db
from bot.line.channels import BOT_USER_ID, Channel, record_bot_user_id, refreshed, resolve
from bot.line.client import LineGateway
from bot.line.events import is_standby, source_of, to_incoming
from bot.line.limits import MAX_MESSAGES_PER_REPLY
from bot.line.sender import Budget, ReplyJob, ReplySender

log = logging.getLogger(__name__)
bp = Blueprint("line", __name__)

# LINE waits 2 s for our 2xx; keep a margin for the network and the response itself.
DEFAULT_BUDGET_SECONDS = 1.5


@bp.post("/callback")
@body_limit("MAX_WEBHOOK_BYTES")
def callback():
    """Receive LINE webhook events for the request's town (/<slug>/callback; /callback: the default town)."""
    config = current_app.config
    ref = current_ref()
    if ref is None:
        abort(404)
    channel, gateway = resolve(ref)  # gateway None: the app settings' channel, the sender's own gateway
    if not channel.secret or not channel.access_token:
        if gateway is None:
            abort(503, "LINE is not configured: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN.")
        abort(503, "LINE is not configured for this town: set its channel with flask towns set-channel.")
    raw = request.get_data(cache=False)
    signature = request.headers.get("X-Line-Signature", "")
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("webhook rejected for town %s: body is not UTF-8 (%d bytes)", ref.slug, len(raw))
        abort(400, "The body is not UTF-8.")
    payload = _parse(body, signature, channel.secret, len(raw))
    if payload is _BAD_SIGNATURE:
        # Signed with another secret: another town's channel, a forgery, or a secret another process rotated.
        fresh = refreshed(ref)
        if fresh is not None:
            ref, (channel, gateway) = fresh, resolve(fresh)
            payload = _parse(body, signature, channel.secret, len(raw)) if channel.secret else _BAD_SIGNATURE
        if payload is _BAD_SIGNATURE:
            log.warning("webhook rejected for town %s: bad signature (%d bytes)", ref.slug, len(raw))
            abort(400, "Invalid signature.")
    if payload is None:
        abort(400, "Malformed webhook body.")
    ref, channel, gateway = _check_destination(ref, channel, gateway, getattr(payload, "destination", None))
    sender: ReplySender = current_app.extensions["line_sender"]
    budget = Budget(time.monotonic() + config.get("WEBHOOK_BUDGET_SECONDS", DEFAULT_BUDGET_SECONDS))
    for event in payload.events or []:
        _handle(event, sender, gateway, budget)
    return {"status": "ok"}


_BAD_SIGNATURE = object()


def _parse(body: str, signature: str, secret: str, size: int):
    """Return the verified payload, _BAD_SIGNATURE, or None for a body the SDK cannot read (logged)."""
    try:
        return WebhookParser(secret).parse(body, signature, as_payload=True)
    except InvalidSignatureError:
        return _BAD_SIGNATURE
    except Exception as exc:  # the SDK raises KeyError, TypeError, ValueError... on malformed bodies
        log.warning("webhook rejected: malformed body (%s, %d bytes)", type(exc).__name__, size)
        return None


def _check_destination(ref: TownRef, channel: Channel, gateway: LineGateway | None,
                       destination: object) -> tuple[TownRef, Channel, LineGateway | None]:
    """Refuse a verified body meant for another bot; record the bot's user id from the town's first webhook."""
    destination = destination if isinstance(destination, str) else ""
    if channel.bot_user_id:
        if destination == channel.bot_user_id:
            return ref, channel, gateway
        fresh = refreshed(ref)  # the bot user id may have been changed by an operator in another process
        if fresh is not None:
            ref, (channel, gateway) = fresh, resolve(fresh)
            if destination == channel.bot_user_id:
                return ref, channel, gateway
        log.warning("webhook rejected for town %s: the destination is not this town's bot", ref.slug)
        abort(400, "The webhook is for another bot (destination).")
    if not BOT_USER_ID.match(destination):
        # Nothing to compare with and nothing worth recording: LINE always names the bot; the signature stands.
        return ref, channel, gateway
    try:
        ref = record_bot_user_id(ref, destination)
    except (OperationalError, PoolTimeout) as exc:
        db.session.rollback()
        _log_failure("database unavailable while recording the bot user id", None, exc)
        abort(503, "The database is unavailable; LINE will redeliver the event.")
    channel, gateway = resolve(ref)
    if channel.bot_user_id != destination:  # another worker recorded another bot first
        log.warning("webhook rejected for town %s: the destination is not this town's bot", ref.slug)
        abort(400, "The webhook is for another bot (destination).")
    return ref, channel, gateway


def _handle(event, sender: ReplySender, gateway: LineGateway | None, budget: Budget) -> None:
    event_id = getattr(event, "webhook_event_id", None)
    incoming = to_incoming(event)
    if is_standby(event) and not (incoming and incoming.kind == "unfollow"):
        # Another channel (a module or a staff chat) is answering this resident: record the event, stay
        # silent. An unfollow still ends their subscriptions; it never has a reply.
        _claim_standby(event, event_id)
        return
    if incoming is None:
        log.info("ignoring %s event %s", getattr(event, "type", "unknown"), event_id or "-")
        return
    try:
        # A resident talking with staff (オンライン窓口) gets the safety check only, no FAQ matching.
        prepared = prepare(incoming, chatting=photo_fetch.chatting(incoming))
        claim = Claim(event_id, getattr(event, "type", "") or "") if event_id else None
        # The claim commits together with what the reply records (bot.conversation.service).
        reply = respond_to_event(incoming, prepared, claim)
        if reply is None:
            log.info("skipping redelivered event %s", event_id)
            return
    except (OperationalError, PoolTimeout) as exc:  # unreachable, or every pooled connection busy for too long
        db.session.rollback()
        _log_failure("database unavailable while handling event", event_id, exc)
        abort(503, "The database is unavailable; LINE will redeliver the event.")
    except Exception as exc:
        db.session.rollback()
        _log_failure("failed to handle event", event_id, exc)
        return
    if reply.messages and getattr(event, "reply_token", None):
        _, _, push_to = source_of(event)
        # Recorded and committed: from here a crash loses only this reply, and a redelivery is skipped, so
        # the reply goes out as soon as possible, from the sender's threads (LINE recommends answering
        # webhooks without waiting for the work they start).
        sender.submit(ReplyJob(event_id, event.reply_token, reply.messages[:MAX_MESSAGES_PER_REPLY], push_to, gateway),
                      budget)
    if reply.photo_ids:
        _fetch_photos(reply.photo_ids, event_id, budget)


def _fetch_photos(photo_ids: list[int], event_id: str | None, budget: Budget) -> None:
    """Fetch a chat's photos from LINE now that the event is recorded, while the webhook's budget lasts (a photo
    left for later is fetched when staff open the chat; a failure leaves a note for staff)."""
    try:
        for photo_id in photo_ids:
            if time.monotonic() >= budget.deadline:
                log.info("leaving the photos of event %s for staff to fetch", event_id or "-")
                return
            photo_fetch.fetch(photo_id)
    except (OperationalError, PoolTimeout) as exc:
        db.session.rollback()
        _log_failure("database unavailable while keeping a photo", event_id, exc)


def _claim_standby(event, event_id: str | None) -> None:
    """Record a standby event as handled, so that its redelivery is skipped too."""
    if not event_id:
        return
    try:
        record_standby(event_id, getattr(event, "type", "") or "")
    except (OperationalError, PoolTimeout) as exc:
        db.session.rollback()
        _log_failure("database unavailable while recording standby event", event_id, exc)
        abort(503, "The database is unavailable; LINE will redeliver the event.")
    log.info("not answering standby event %s", event_id)


def _log_failure(what: str, event_id: str | None, exc: BaseException) -> None:
    """Log where handling failed, without the exception's message."""
    # A database error's message can quote what the resident sent or their user id (PostgreSQL's DETAIL
    # names the conflicting key), so only the exception's type and the code path go to the log.
    where = "".join(traceback.format_tb(exc.__traceback__))
    log.error("%s %s: %s\n%s", what, event_id or "-", type(exc).__name__, where.rstrip())

