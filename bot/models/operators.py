"""The platform's operators (運用者) and what they did: platform tables, members of no town (no town_id).

An operator creates, suspends and configures towns and creates each town's first admins; they never read a
town's data. Every action they take leaves an `operator_audit` row naming the town by its slug, never personal
data (no resident's data, no staff e-mail, no credential)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from bot.extensions import db
from bot.models.accounts import new_session_token, password_method
from bot.models.timeutil import utcnow


class Operator(db.Model):
    """A platform operator who may log in to /operator/ (and nowhere else)."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the session cookie: a new token (logout, password change) ends every session made with the old one.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of the password (a fast hash only in a TESTING app), never the password."""
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class OperatorAudit(db.Model):
    """One operator action: who, when, what, on which town (by slug: the record outlives the town)."""

    __tablename__ = "operator_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # The operator's e-mail, or "cli" for the command line (not a foreign key: the record outlives the account).
    operator: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    town_slug: Mapped[str] = mapped_column(String(40), default="", index=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[Any | None] = mapped_column(JSON)
