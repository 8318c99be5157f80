"""Write a notice's recipients into the outbox: batches of at most 500, each with its own retry key."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, update

from bot.extensions import db
from bot.line.limits import MAX_MULTICAST_RECIPIENTS
from bot.models import Notice, OutboxBatch, utcnow
from bot.notices import audience


def enqueue(notice_id: int, now: datetime | None = None) -> int | None:
    """Queue a scheduled notice in one transaction; return the recipient count, or None if not ours to queue."""
    now = now or utcnow()
    # Compare-and-set on the status: of two schedulers racing, exactly one queues the notice.
    taken = db.session.execute(
        update(Notice).where(Notice.id == notice_id, Notice.status == "scheduled")
        .values(status="sending", queued_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.rollback()
        return None
    notice = db.session.get(Notice, notice_id)
    db.session.refresh(notice)
    # Approval covers every channel, but only a notice for LINE goes into the outbox; the others are simply shown.
    ids = audience.user_ids(notice.topics or []) if "line" in (notice.channels or ()) else []
    rows = [
        {"notice_id": notice_id, "user_ids": ids[i:i + MAX_MULTICAST_RECIPIENTS],
         "size": len(ids[i:i + MAX_MULTICAST_RECIPIENTS]), "retry_key": str(uuid.uuid4()), "status": "pending",
         "attempts": 0, "next_attempt_at": now, "claimed_by": "", "last_error": "", "request_id": "",
         "skipped": 0}
        for i in range(0, len(ids), MAX_MULTICAST_RECIPIENTS)
    ]
    if rows:
        db.session.execute(insert(OutboxBatch), rows)
    notice.recipients = len(ids)
    if not ids:
        notice.status, notice.finished_at = "sent", now
    db.session.commit()
    return len(ids)
