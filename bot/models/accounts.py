"""Staff accounts, who granted their roles, the audit log and login attempts (for throttling)."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow

ROLES = ("admin", "editor")
PASSWORD_METHOD = "scrypt"  # werkzeug's default: memory-hard


def password_method() -> str:
    """Return how new passwords are hashed: scrypt, or the cheap method a test app asks for."""
    # Only a TESTING app may choose: hundreds of test accounts would otherwise cost minutes of scrypt.
    if has_app_context() and current_app.testing:
        return current_app.config.get("TEST_PASSWORD_HASH_METHOD") or PASSWORD_METHOD
    return PASSWORD_METHOD


def new_session_token() -> str:
    """Return a fresh random session token (rotating it ends every session of the user)."""
    return secrets.token_urlsafe(32)


class User(UserMixin, TownScoped, db.Model):
    """A city staff member who may log in to the console."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("town_id", "email", name="uq_users_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="editor")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every session cookie's user id: a new token ends all sessions made with the old one.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # Set when someone else chose the password (a new account, a reset): the owner must replace it first.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # 申込み担当: may see residents' applications (admins always may).
    handles_applications: Mapped[bool] = mapped_column(default=False)
    # 施設予約担当: may see who booked a facility (admins always may).
    handles_bookings: Mapped[bool] = mapped_column(default=False)
    # 窓口担当: may read and answer residents' chats at the オンライン窓口 (admins always may).
    handles_chat: Mapped[bool] = mapped_column(default=False)

    def get_id(self) -> str:
        """Return the id Flask-Login keeps in the session: the user id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password, method=password_method())

    def check_password(self, password: str) -> bool:
        """Tell whether the password matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        """Tell whether the user may manage users and settings."""
        return self.role == "admin"


class RoleGrant(TownScoped, db.Model):
    """That a role was given to an account, and by whom: the approval rule refuses accounts a notice's author made."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    # NULL: done on the command line, which needs server access and is trusted.
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # An admin grant made in the console waits for another admin: "confirmed" or "refused" (None: waiting,
    # or nothing to decide). A confirmed grant no longer ties the account to whoever made it.
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_by: Mapped[str | None] = mapped_column(String(254))  # e-mail, or "cli"
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditLog(TownScoped, db.Model):
    """One change made through the console: who, when, what, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # The e-mail, not a foreign key: the record must outlive a deleted account.
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
