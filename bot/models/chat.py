"""オンライン窓口: a resident's chat with staff, its messages (text and photos), and the staff's 定型文."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow

# waiting: asked outside the counter's hours (the bot still answers); open: staff answer, the bot steps aside.
WAITING, OPEN, ENDED = "waiting", "open", "ended"
ACTIVE_STATUSES = (WAITING, OPEN)


class Chat(TownScoped, db.Model):
    """One conversation between a resident and the town's staff, from the request to its end."""

    __tablename__ = "chats"
    __table_args__ = (Index("ix_chats_town_user_status", "town_id", "line_user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))  # the one id a push can go to; deleted with the chat
    user_hash: Mapped[str] = mapped_column(String(64), default="")  # joins the (masked) question log
    status: Mapped[str] = mapped_column(String(10), default=OPEN, index=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_resident_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str] = mapped_column(String(254), default="")  # a staff e-mail, "resident" or "quiet"
    assigned_to: Mapped[str] = mapped_column(String(254), default="")
    memo: Mapped[str] = mapped_column(Text, default="")  # internal: never sent to the resident
    unread: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[bool] = mapped_column(default=False)  # LINE refused a push (403/400): blocked or gone
    read_token: Mapped[str] = mapped_column(String(300), default="")  # the last markAsReadToken not yet used
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every change: the list's ETag

    messages: Mapped[list[ChatMessage]] = relationship(back_populates="chat", order_by="ChatMessage.id",
                                                       cascade="all, delete-orphan", passive_deletes=True)


class ChatMessage(TownScoped, db.Model):
    """One message of a chat: from the resident (text, photo), from staff (pushed), or the bot's own notice."""

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(10))  # resident | staff | bot
    author: Mapped[str] = mapped_column(String(254), default="")  # the staff member's e-mail
    kind: Mapped[str] = mapped_column(String(10), default="text")  # text | image
    text: Mapped[str] = mapped_column(Text, default="")
    flag: Mapped[str | None] = mapped_column(String(10))  # urgent | care: the safety detector answered it
    # Pushes (staff and bot): sending → sent | unsent (no answer, refused) | blocked (403/400)
    status: Mapped[str] = mapped_column(String(10), default="")
    error: Mapped[str] = mapped_column(String(200), default="")
    retry_key: Mapped[str] = mapped_column(String(36), default="")
    line_message_id: Mapped[str] = mapped_column(String(40), default="")
    image: Mapped[bytes | None] = mapped_column(LargeBinary)  # EXIF stripped; None until fetched
    image_type: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    chat: Mapped[Chat] = relationship(back_populates="messages")


class ChatTemplate(TownScoped, db.Model):
    """A 定型文 staff pick when replying."""

    __tablename__ = "chat_templates"
    __table_args__ = (UniqueConstraint("town_id", "title", name="uq_chat_templates_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
