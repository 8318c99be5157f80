"""POST /callback: verify, parse, dedupe and answer LINE webhook events."""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, request
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhook import WebhookParser
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.conversation import prepare, respond
from bot.conversation.records import claim_event
from bot.extensions import db
from bot.line.client import LineGateway
from bot.line.events import source_of, to_incoming
from bot.line.limits import MAX_MESSAGES_PER_REPLY

log = logging.getLogger(__name__)
bp = Blueprint("line", __name__)

# Retry keys for push fallbacks derive from the event id, so a redelivered event cannot push twice.
_RETRY_NAMESPACE = uuid.UUID("6f1c1c86-7d8e-4c4b-9a51-3f0b6e7c2a10")

# LINE waits 2 s for our 2xx; keep a margin for the network and the response itself.
DEFAULT_BUDGET_SECONDS = 1.5


@dataclass
class _Budget:
    """The time left for one webhook request, and whether LINE has already failed to answer in it."""

    deadline: float
    line_stalled: bool = False

    def allows(self, timeout: float) -> bool:
        """Tell whether a call to LINE may start: always, unless LINE stalled and it could finish late."""
        # A healthy LINE is always called, even late under load: a late reply still reaches the resident.
        return not self.line_stalled or time.monotonic() + timeout <= self.deadline

    def saw(self, result) -> None:
        """Remember a call that got no answer (timeout, connection refused)."""
        self.line_stalled = self.line_stalled or result.timed_out


@bp.post("/callback")
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
    gateway: LineGateway = current_app.extensions["line_gateway"]
    budget = _Budget(time.monotonic() + config.get("WEBHOOK_BUDGET_SECONDS", DEFAULT_BUDGET_SECONDS))
    for event in payload.events or []:
        _handle(event, gateway, budget)
    return {"status": "ok"}


def _handle(event, gateway: LineGateway, budget: _Budget) -> None:
    event_id = getattr(event, "webhook_event_id", None)
    incoming = to_incoming(event)
    if incoming is None:
        log.info("ignoring %s event %s", getattr(event, "type", "unknown"), event_id or "-")
        return
    try:
        prepared = prepare(incoming)
        try:
            reply = _claim_and_respond(event, event_id, incoming, prepared)
        except IntegrityError:
            # Two webhooks raced to create the same row (a new resident's first messages arrive
            # together): the other one has committed it and this transaction, claim included, is
            # rolled back, so one more try finds the row and nothing has been sent yet.
            db.session.rollback()
            log.info("retrying event %s after a concurrent insert", event_id or "-")
            reply = _claim_and_respond(event, event_id, incoming, prepared)
        if reply is None:
            log.info("skipping redelivered event %s", event_id)
            return
    except OperationalError:
        db.session.rollback()
        log.exception("database unavailable while handling event %s", event_id or "-")
        abort(503, "The database is unavailable; LINE will redeliver the event.")
    except Exception:
        db.session.rollback()
        log.exception("failed to handle event %s", event_id or "-")
        return
    if reply.messages and getattr(event, "reply_token", None):
        _send(event, event_id, reply.messages[:MAX_MESSAGES_PER_REPLY], gateway, budget)


def _claim_and_respond(event, event_id: str | None, incoming, prepared):
    """Claim the event and build its reply; None when another request already claimed it."""
    if event_id and not claim_event(event_id, getattr(event, "type", "") or ""):
        db.session.rollback()
        return None
    return respond(incoming, prepared)  # commits the claim together with what the reply records


def _send(event, event_id: str | None, messages, gateway: LineGateway, budget: _Budget) -> None:
    if not budget.allows(gateway.timeout):
        # LINE is not answering and another try would make the whole webhook late (LINE then counts
        # it as failed and may suspend the channel's webhook): give up on this reply and say so.
        log.warning("not replying to event %s: LINE stopped answering and the webhook budget is spent",
                    event_id or "-")
        return
    result = gateway.reply(event.reply_token, messages)
    budget.saw(result)
    if result.ok or result.status != 400 or "reply token" not in result.error.lower():
        return
    # The reply token expired (slow redelivery): push instead, once per event thanks to the retry key.
    _, _, push_to = source_of(event)
    if push_to and budget.allows(gateway.timeout):
        key = str(uuid.uuid5(_RETRY_NAMESPACE, event_id or event.reply_token))
        gateway.push(push_to, messages, retry_key=key)
