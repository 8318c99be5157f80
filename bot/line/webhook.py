"""POST /callback: verify, parse, dedupe and answer LINE webhook events."""
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
from bot.conversation import prepare, respond_to_event
from bot.conversation.records import Claim, record_standby
from bot.extensions import db
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
    """Receive LINE webhook events."""
    config = current_app.config
    if not config["LINE_CHANNEL_SECRET"] or not config["LINE_CHANNEL_ACCESS_TOKEN"]:
        abort(503, "LINE is not configured: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN.")
    raw = request.get_data(cache=False)
    signature = request.headers.get("X-Line-Signature", "")
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("webhook rejected: body is not UTF-8 (%d bytes)", len(raw))
        abort(400, "The body is not UTF-8.")
    parser = WebhookParser(config["LINE_CHANNEL_SECRET"])
    try:
        payload = parser.parse(body, signature, as_payload=True)
    except InvalidSignatureError:
        log.warning("webhook rejected: bad signature (%d bytes)", len(raw))
        abort(400, "Invalid signature.")
    except Exception as exc:  # the SDK raises KeyError, TypeError, ValueError... on malformed bodies
        log.warning("webhook rejected: malformed body (%s, %d bytes)", type(exc).__name__, len(raw))
        abort(400, "Malformed webhook body.")
    sender: ReplySender = current_app.extensions["line_sender"]
    budget = Budget(time.monotonic() + config.get("WEBHOOK_BUDGET_SECONDS", DEFAULT_BUDGET_SECONDS))
    for event in payload.events or []:
        _handle(event, sender, budget)
    return {"status": "ok"}


def _handle(event, sender: ReplySender, budget: Budget) -> None:
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
        prepared = prepare(incoming)
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
        sender.submit(ReplyJob(event_id, event.reply_token, reply.messages[:MAX_MESSAGES_PER_REPLY], push_to), budget)


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

