"""Deliver outbox batches with LINE multicast: claim, send under the batch's retry key, record the outcome.

Never twice: every try of a batch carries the same X-Line-Retry-Key, so when an earlier try got through
LINE answers 409 and delivers nothing. Never lost: a batch stays claimed only for a lease; if its worker
dies, another worker takes it over after the lease and resends it under the same key.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update

from bot.extensions import db
from bot.line.channels import town_gateway
from bot.line.client import LineGateway, SendResult
from bot.line.messages import Message
from bot.models import Entry, Notice, OutboxBatch, utcnow
from bot.notices import audience, compose, locks
from bot.notices.schedule import as_utc

log = logging.getLogger(__name__)

LOCK_NAME = "notice-delivery"
# LINE remembers a retry key for 24 hours; past that a resend could deliver twice, so we stop before.
RETRY_KEY_LIFETIME = timedelta(hours=23)


def worker_name() -> str:
    """Return a name for this worker that is unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def uses_single_worker_lock() -> bool:
    """Tell whether the database lacks row locks, so workers take turns (SQLite)."""
    return db.engine.dialect.name == "sqlite"


def notice_message(notice: Notice) -> Message:
    """Return the LINE message a notice is sent as."""
    entry_title = ""
    if notice.entry_slug:
        entry_title = db.session.scalar(select(Entry.title).where(Entry.slug == notice.entry_slug)) or ""
    return compose.message(compose.Content(
        title=notice.title, body=notice.body, url=notice.url, entry_slug=notice.entry_slug,
        entry_title=entry_title, topics=tuple(notice.topics or ())))


@dataclass(frozen=True)
class Outcome:
    """What became of one try of a batch."""

    batch_id: int
    status: str  # delivered | pending (will retry) | failed
    http_status: int | None
    reason: str = ""


def _due(now: datetime, lease: timedelta):
    return or_(
        and_(OutboxBatch.status == "pending", OutboxBatch.next_attempt_at <= now),
        # A worker that claimed a batch and went silent past the lease died or hung: take the batch over.
        and_(OutboxBatch.status == "sending", OutboxBatch.claimed_at <= now - lease),
    )


class Deliverer:
    """One worker's delivery loop state: its name, the gateway and the messages it built."""

    @property
    def gateway(self) -> LineGateway:
        """Return the gateway for the current town's batches: the one given, else the town's channel."""
        return self._gateway or town_gateway()

    def __init__(self, gateway: LineGateway | None = None, name: str | None = None) -> None:
        config = current_app.config
        self._gateway = gateway  # given (the demo's stand-in); else each batch's town's own channel
        self.name = name or worker_name()
        # Threads of one worker process share SQLite's single-worker lock under the process's name.
        self.lock_holder = self.name
        self.lease = timedelta(seconds=config["NOTICE_LEASE_SECONDS"])
        self.timeout = config["NOTICE_SEND_TIMEOUT"]
        self.max_attempts = config["NOTICE_MAX_ATTEMPTS"]
        self.retry_base = config["NOTICE_RETRY_BASE_SECONDS"]
        self.retry_max = config["NOTICE_RETRY_MAX_SECONDS"]
        self._messages: dict[int, list[Message]] = {}
        self._queued: dict[int, datetime | None] = {}
        # Tests replace this to die between the send and the bookkeeping, as a killed worker would.
        self.after_send: Callable[[OutboxBatch, SendResult], None] = lambda batch, result: None

    # -- claiming -------------------------------------------------------------------------

    def claim(self, now: datetime | None = None) -> OutboxBatch | None:
        """Claim the next due batch for this worker, committing the claim; None when nothing is due."""
        now = now or utcnow()
        due = _due(now, self.lease)
        for _ in range(5):
            query = select(OutboxBatch.id).where(due).order_by(OutboxBatch.next_attempt_at, OutboxBatch.id).limit(1)
            if db.engine.dialect.name == "postgresql":
                # Workers on other machines skip rows another worker is claiming instead of queueing behind it.
                query = query.with_for_update(skip_locked=True)
            batch_id = db.session.scalar(query)
            if batch_id is None:
                db.session.rollback()
                return None
            # Compare-and-set: on SQLite (no row locks) two claimers cannot both win the same batch.
            won = db.session.execute(
                update(OutboxBatch).where(OutboxBatch.id == batch_id, due)
                .values(status="sending", claimed_at=now, claimed_by=self.name,
                        attempts=OutboxBatch.attempts + 1,
                        first_attempt_at=func.coalesce(OutboxBatch.first_attempt_at, now))
                .execution_options(synchronize_session=False)
            ).rowcount
            if won == 1:
                db.session.commit()
                batch = db.session.get(OutboxBatch, batch_id)
                db.session.refresh(batch)
                return batch
            db.session.rollback()
        return None

    # -- sending --------------------------------------------------------------------------

    def deliver_once(self, now: datetime | None = None) -> Outcome | None:
        """Claim one due batch, send it and record the outcome; None when nothing is due."""
        batch = self.claim(now)
        if batch is None:
            return None
        return self.deliver(batch)

    def deliver(self, batch: OutboxBatch) -> Outcome:
        """Send a claimed batch and record what LINE answered."""
        if batch.first_attempt_at and utcnow() - as_utc(batch.first_attempt_at) > RETRY_KEY_LIFETIME:
            return self._finish(batch, "failed", None,
                                "retry key expired after 24 hours; not resent so nobody gets it twice")
        if batch.attempts == 1:
            self._drop_unfollowed(batch)
        if not batch.user_ids:
            return self._finish(batch, "delivered", None, "")
        result = self.gateway.multicast(batch.user_ids, self._message_for(batch.notice_id), batch.retry_key,
                                        timeout=self.timeout)
        self.after_send(batch, result)
        return self.record(batch, result)

    def _message_for(self, notice_id: int) -> list[Message]:
        if notice_id not in self._messages:
            self._messages[notice_id] = [notice_message(db.session.get(Notice, notice_id))]
        return self._messages[notice_id]

    def _queued_at(self, notice_id: int) -> datetime | None:
        if notice_id not in self._queued:
            self._queued[notice_id] = db.session.scalar(select(Notice.queued_at).where(Notice.id == notice_id))
        return self._queued[notice_id]

    def _drop_unfollowed(self, batch: OutboxBatch) -> None:
        """Leave out people who unfollowed since the notice was queued (first try only: retries resend as sent)."""
        queued_at = self._queued_at(batch.notice_id)
        if queued_at is not None and not audience.anyone_left_since(queued_at):
            return  # nobody left since the notice was queued: skip the per-recipient check
        active = audience.still_active(batch.user_ids)
        kept = [u for u in batch.user_ids if u in active]
        if len(kept) != len(batch.user_ids):
            batch.skipped = len(batch.user_ids) - len(kept)
            batch.user_ids = kept
            batch.size = len(kept)
            db.session.commit()

    # -- bookkeeping ----------------------------------------------------------------------

    def record(self, batch: OutboxBatch, result: SendResult) -> Outcome:
        """Turn LINE's answer into delivered, a retry later, or failed with the reason."""
        if result.ok:
            return self._finish(batch, "delivered", result.status, "", result.request_id)
        if result.status == 409:
            # An earlier try with this retry key got through; LINE delivered nothing this time.
            return self._finish(batch, "delivered", 409, "409: accepted by an earlier try", result.request_id)
        reason = f"{result.status or 'no answer'}: {result.error}"[:1000]
        if result.status == 429 and "monthly limit" in result.error.lower():
            return self._finish(batch, "failed", 429, "429: the channel's monthly message limit is reached")
        if result.status == 429 or result.status is None or result.status >= 500:
            if batch.attempts >= self.max_attempts:
                return self._finish(batch, "failed", result.status,
                                    f"gave up after {batch.attempts} attempts; last: {reason}")
            wait = result.retry_after if result.status == 429 and result.retry_after else self._backoff(batch.attempts)
            return self._retry(batch, result.status, reason, wait)
        return self._finish(batch, "failed", result.status, reason, result.request_id)

    def _backoff(self, attempts: int) -> float:
        # Exponential with jitter, so many workers recovering from one outage do not retry in step.
        return min(self.retry_max, self.retry_base * 2 ** (attempts - 1)) * random.uniform(0.8, 1.0)

    def _mine(self, batch: OutboxBatch):
        # Only the worker that holds the claim may settle it; one whose lease ran out must not overwrite.
        return and_(OutboxBatch.id == batch.id, OutboxBatch.status == "sending",
                    OutboxBatch.claimed_by == self.name, OutboxBatch.attempts == batch.attempts)

    def _retry(self, batch: OutboxBatch, http_status: int | None, reason: str, wait: float) -> Outcome:
        db.session.execute(update(OutboxBatch).where(self._mine(batch)).values(
            status="pending", next_attempt_at=utcnow() + timedelta(seconds=wait), claimed_at=None,
            last_status=http_status, last_error=reason).execution_options(synchronize_session=False))
        db.session.commit()
        log.warning("notice %s batch %s: %s; retrying in %.1fs with the same key",
                    batch.notice_id, batch.id, reason[:200], wait)
        return Outcome(batch.id, "pending", http_status, reason)

    def _finish(self, batch: OutboxBatch, status: str, http_status: int | None, reason: str,
                request_id: str = "") -> Outcome:
        now = utcnow()
        db.session.execute(update(OutboxBatch).where(self._mine(batch)).values(
            status=status, finished_at=now, last_status=http_status, last_error=reason,
            request_id=request_id[:64]).execution_options(synchronize_session=False))
        db.session.commit()
        if status == "failed":
            log.error("notice %s batch %s failed: %s", batch.notice_id, batch.id, reason[:300])
        self._close_notice_if_done(batch.notice_id, now)
        return Outcome(batch.id, status, http_status, reason)

    @staticmethod
    def _close_notice_if_done(notice_id: int, now: datetime) -> None:
        open_batches = exists().where(OutboxBatch.notice_id == notice_id,
                                      OutboxBatch.status.in_(("pending", "sending")))
        db.session.execute(update(Notice).where(Notice.id == notice_id, Notice.status == "sending", ~open_batches)
                           .values(status="sent", finished_at=now).execution_options(synchronize_session=False))
        db.session.commit()

    # -- loops ----------------------------------------------------------------------------

    def drain(self, max_wait: float = 60.0, stop: Callable[[], bool] = lambda: False) -> int:
        """Deliver until nothing is left to send or to retry within max_wait seconds; return batches settled."""
        deadline = time.monotonic() + max_wait
        settled = 0
        while not stop():
            if uses_single_worker_lock() and not locks.acquire(LOCK_NAME, self.lock_holder,
                                                                    self.lease.total_seconds()):
                wait = 0.5
            else:
                outcome = self.deliver_once()
                if outcome is not None:
                    settled += outcome.status != "pending"
                    continue
                wait = self._seconds_until_next()
                if wait is None:
                    return settled
            if time.monotonic() + wait > deadline:
                return settled
            time.sleep(min(max(wait, 0.01), 1.0))
        return settled

    def _seconds_until_next(self) -> float | None:
        """Return how long until a batch may be claimed again, or None when the outbox is empty."""
        now = utcnow()
        nearest = db.session.scalar(select(func.min(OutboxBatch.next_attempt_at))
                                    .where(OutboxBatch.status == "pending"))
        claimed = db.session.scalar(select(func.min(OutboxBatch.claimed_at))
                                    .where(OutboxBatch.status == "sending"))
        db.session.rollback()
        moments = [as_utc(nearest)] if nearest else []
        if claimed:
            moments.append(as_utc(claimed) + self.lease)
        if not moments:
            return None
        return max(0.0, (min(moments) - now).total_seconds())
