"""A named, expiring lease in the database: the single-worker lock SQLite needs."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from bot.extensions import db
from bot.models import WorkerLease, utcnow


def acquire(name: str, holder: str, seconds: float, now: datetime | None = None) -> bool:
    """Take or renew the lease; False while another live holder has it."""
    now = now or utcnow()
    expires = now + timedelta(seconds=seconds)
    renewed = db.session.execute(
        update(WorkerLease).where(WorkerLease.name == name,
                                  or_(WorkerLease.holder == holder, WorkerLease.expires_at <= now))
        .values(holder=holder, expires_at=expires).execution_options(synchronize_session=False)
    ).rowcount
    if renewed:
        db.session.commit()
        return True
    db.session.add(WorkerLease(name=name, holder=holder, expires_at=expires))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # someone else holds it
        return False
    return True


def release(name: str, holder: str) -> None:
    """Give the lease up so another worker can start at once."""
    db.session.execute(delete(WorkerLease).where(WorkerLease.name == name, WorkerLease.holder == holder))
    db.session.commit()
