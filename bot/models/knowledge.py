"""Knowledge entries, their revisions and the knowledge version counter."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow

CONTENT_FIELDS = (
    "slug", "title", "category", "answer", "questions", "keywords",
    "url", "office", "contact", "source", "updated_on", "review_by", "status", "review_note",
)


class Entry(TownScoped, db.Model):
    """One answerable topic of the knowledge pack."""

    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("town_id", "slug", name="uq_entries_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(80), index=True)
    answer: Mapped[str] = mapped_column(Text)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str] = mapped_column(String(500), default="")
    # The key of the office (担当課) residents should contact; empty when the source names none.
    office: Mapped[str] = mapped_column(String(80), default="")
    contact: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_on: Mapped[date | None] = mapped_column(Date)
    review_by: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # What staff still have to check or fill in (phone, page URL, amounts the source does not give).
    review_note: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
    # Optimistic locking: a save must name the version it was edited from.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # Hash of the content as last imported from the pack; differs once staff edit it.
    imported_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    revisions: Mapped[list[EntryRevision]] = relationship(
        back_populates="entry", order_by="EntryRevision.number", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    def content(self) -> dict[str, Any]:
        """Return the pack fields as plain data (dates as ISO strings)."""
        data: dict[str, Any] = {}
        for name in CONTENT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, date):
                value = value.isoformat()
            if isinstance(value, list):
                value = list(value)
            data[name] = value if value is not None else ("" if name not in ("questions", "keywords") else [])
        return data

    @property
    def is_answerable(self) -> bool:
        """Tell whether residents may be answered with this entry."""
        return self.status == "published" and not self.archived


class EntryRevision(TownScoped, db.Model):
    """A snapshot of an entry's content after one change."""

    __tablename__ = "entry_revisions"
    __table_args__ = (UniqueConstraint("town_id", "entry_id", "number", name="uq_entry_revisions_entry_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(String(40), default="edit")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="revisions")


class KnowledgeVersion(TownScoped, db.Model):
    """A single-row counter bumped on every knowledge change, so every worker rebuilds its index."""

    __tablename__ = "knowledge_version"
    __table_args__ = (UniqueConstraint("town_id", name="uq_knowledge_version_town"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
