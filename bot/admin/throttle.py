"""Login throttling: record each attempt first, then count recent failures, so concurrent guesses cannot slip past."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, text

from bot.extensions import db
from bot.models import LoginAttempt, utcnow

# Five wrong passwords for one account from one client pause that pair for a quarter hour; a client
# gets more room across accounts (a shared office NAT). Only the pair and the client are locked, so a
# stranger who knows a staff e-mail cannot lock its owner out from elsewhere.
WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT_CLIENT = 5
MAX_PER_CLIENT = 20
# A high ceiling per account against guessing spread over many addresses.
ACCOUNT_WINDOW = timedelta(hours=1)
MAX_PER_ACCOUNT = 100
LIMITS = {"pair": MAX_PER_ACCOUNT_CLIENT, "client": MAX_PER_CLIENT, "account": MAX_PER_ACCOUNT}
# Advisory-lock namespaces (PostgreSQL): one for accounts, one for clients, so their keys never collide.
_LOCK_ACCOUNT, _LOCK_CLIENT = 7305, 7306


@dataclass
class Admission:
    """Whether an attempt may check a password, and which limits it reaches if that check fails."""

    attempt_id: int
    throttled: bool
    at_limit: list[str] = field(default_factory=list)


def _lock(email: str, ip: str) -> None:
    """Serialise attempts on the same account or client until the transaction ends."""
    if db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the INSERT below takes the database's single write lock for the whole transaction
    # Always the account first, then the client: every transaction takes them in the same order, so no deadlock.
    lock = text("SELECT pg_advisory_xact_lock(:ns, hashtext(:key))")
    db.session.execute(lock, {"ns": _LOCK_ACCOUNT, "key": email})
    db.session.execute(lock, {"ns": _LOCK_CLIENT, "key": ip})


def admit(email: str, ip: str) -> Admission:
    """Record an attempt and decide, atomically with the count, whether it may check a password; commit."""
    _lock(email, ip)
    # The attempt counts as a failure from the start: a concurrent attempt sees it before its password is checked.
    attempt = LoginAttempt(email=email, ip=ip, success=False)
    db.session.add(attempt)
    db.session.flush()
    now = utcnow()
    failures = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.success.is_(False), LoginAttempt.throttled.is_(False))
    counts = {
        "pair": db.session.scalar(failures.where(
            LoginAttempt.email == email, LoginAttempt.ip == ip, LoginAttempt.created_at >= now - WINDOW)) or 0,
        "client": db.session.scalar(failures.where(
            LoginAttempt.ip == ip, LoginAttempt.created_at >= now - WINDOW)) or 0,
        "account": db.session.scalar(failures.where(
            LoginAttempt.email == email, LoginAttempt.created_at >= now - ACCOUNT_WINDOW)) or 0,
    }
    throttled = any(counts[key] > limit for key, limit in LIMITS.items())
    attempt.throttled = throttled
    db.session.commit()  # releases the lock; the slow password check runs outside it
    at_limit = [] if throttled else [key for key, limit in LIMITS.items() if counts[key] == limit]
    return Admission(attempt.id, throttled, at_limit)

