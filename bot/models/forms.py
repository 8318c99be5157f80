"""Forms defined in the pack (the supporters' club registration…), their versions and what residents sent."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.models.tenancy import TownScoped, require_town_id
from bot.models.timeutil import utcnow

# new → confirmed → in_progress → done; cancelled when the resident withdraws or staff cancel.
SUBMISSION_STATUSES = ("new", "confirmed", "in_progress", "done", "cancelled")
ACTIVE_LINE_USER = "line_user_id IS NOT NULL AND status <> 'cancelled'"


class FormVersion(TownScoped, db.Model):
    """One version of a form's definition; a changed form is a new version, never an edit of an old one."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("town_id", "slug", "version", name="uq_form_versions_slug_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254), default="")


class FormSubmission(TownScoped, db.Model):
    """What one resident sent through one form version: personal data, kept only in this table."""

    __tablename__ = "form_submissions"
    # One active registration per LINE user and form, however many of their links are submitted at once. A
    # second application with the same e-mail address is allowed (knowing an address proves nothing) and is
    # flagged for staff instead; the same confirm step posted twice is one row through the unique receipt_no.
    __table_args__ = (
        UniqueConstraint("town_id", "receipt_no", name="uq_form_submissions_receipt_no"),
        Index("uq_form_submissions_active_line_user", "town_id", "form_slug", "line_user_id", unique=True,
              sqlite_where=text(ACTIVE_LINE_USER), postgresql_where=text(ACTIVE_LINE_USER)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(20))  # 受付番号, shown to the resident
    form_slug: Mapped[str] = mapped_column(String(80), index=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    memo: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(10), default="web")  # web | line
    # The LINE user the signed link tied the application to; never put in a URL or a log.
    line_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # A keyed hash of the normalised e-mail address, to find a second application without a scan of answers.
    email_key: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    version: Mapped[FormVersion] = relationship()


class FormSetting(TownScoped, db.Model):
    """Staff's settings for one form: paper registrations counted in the KPI, and how long records are kept."""

    __tablename__ = "form_settings"

    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), primary_key=True, default=require_town_id)
    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    paper_registrations: Mapped[int] = mapped_column(Integer, default=0)
    retention_days: Mapped[int | None] = mapped_column(Integer)  # None: kept until deleted
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
