"""A notice's life: draft, request to send, approval by a second person, schedule, cancel, test-send."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from bot.extensions import db
from bot.line.client import LineGateway, SendResult
from bot.models import Entry, Notice, utcnow
from bot.notices import compose, topics
from bot.notices.delivery import notice_message
from bot.notices.settings import approval_required

EDITABLE = ("draft",)
CANCELLABLE = ("draft", "pending_approval", "scheduled")


class NoticeError(Exception):
    """A request the notice's state or content does not allow; problems maps field → reason."""

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}


@dataclass(frozen=True)
class Draft:
    """What staff typed into the compose form or on the command line."""

    title: str
    body: str
    url: str = ""
    entry_slug: str = ""
    topics: tuple[str, ...] = ()
    send_at: datetime | None = None  # UTC; None = as soon as allowed


def _check(draft: Draft) -> None:
    known = {t.slug for t in topics.all_topics()}
    found = compose.problems(
        compose.Content(draft.title, draft.body, draft.url, draft.entry_slug, topics=draft.topics),
        known_entries=list(db.session.scalars(select(Entry.slug).where(
            Entry.status == "published", Entry.archived.is_(False)))),
    )
    unknown = [t for t in draft.topics if t not in known]
    if unknown:
        found["topics"] = "知らないテーマです：" + "、".join(unknown)
    if found:
        raise NoticeError("the notice cannot be sent as it is", found)


def create(draft: Draft, by: str) -> Notice:
    """Save a new draft notice after checking it against LINE's limits."""
    _check(draft)
    notice = Notice(title=draft.title.strip(), body=draft.body.strip(), url=draft.url.strip(),
                    entry_slug=draft.entry_slug, topics=list(draft.topics), send_at=draft.send_at,
                    status="draft", created_by=by)
    db.session.add(notice)
    db.session.commit()
    return notice


def update(notice: Notice, draft: Draft) -> Notice:
    """Change a draft's content, audience or time."""
    if notice.status not in EDITABLE:
        raise NoticeError("only drafts can be edited")
    _check(draft)
    notice.title, notice.body, notice.url = draft.title.strip(), draft.body.strip(), draft.url.strip()
    notice.entry_slug, notice.topics, notice.send_at = draft.entry_slug, list(draft.topics), draft.send_at
    db.session.commit()
    return notice


def request_send(notice: Notice, by: str, now: datetime | None = None) -> Notice:
    """Ask to send a draft: it waits for approval when the two-person rule is on, else it is scheduled."""
    if notice.status != "draft":
        raise NoticeError(f"a {notice.status} notice cannot be sent again")
    notice.requested_by, notice.requested_at = by, now or utcnow()
    notice.status = "pending_approval" if approval_required() else "scheduled"
    db.session.commit()
    return notice


def approve(notice: Notice, by: str, now: datetime | None = None) -> Notice:
    """Approve a notice waiting for approval; the approver must not be its author."""
    if notice.status != "pending_approval":
        raise NoticeError("only notices waiting for approval can be approved")
    if by in (notice.created_by, notice.requested_by):
        raise NoticeError("the two-person rule: someone other than the author must approve")
    notice.status, notice.approved_by, notice.approved_at = "scheduled", by, now or utcnow()
    db.session.commit()
    return notice


def send_back(notice: Notice, by: str) -> Notice:
    """Return a notice waiting for approval to its author as a draft."""
    if notice.status != "pending_approval":
        raise NoticeError("only notices waiting for approval can be sent back")
    notice.status, notice.requested_by, notice.requested_at = "draft", "", None
    db.session.commit()
    return notice


def cancel(notice: Notice, by: str) -> Notice:
    """Cancel a notice that has not started going out."""
    if notice.status not in CANCELLABLE:
        raise NoticeError("a notice that is going out or went out cannot be cancelled")
    notice.status, notice.cancelled_by = "cancelled", by
    db.session.commit()
    return notice


def test_send(notice: Notice, staff_user_id: str, gateway: LineGateway | None = None) -> SendResult:
    """Push the notice to one staff member's LINE account to check how it looks."""
    staff_user_id = staff_user_id.strip()
    if not (staff_user_id.startswith("U") and len(staff_user_id) == 33):
        raise NoticeError("a LINE user id looks like U followed by 32 characters",
                          {"test_user_id": "LINE のユーザーID（U で始まる33文字）を入力してください。"})
    gateway = gateway or current_app.extensions["line_gateway"]
    result = gateway.push(staff_user_id, [notice_message(notice)], retry_key=str(uuid.uuid4()))
    if result.ok:
        notice.test_sent_to, notice.test_sent_at = staff_user_id, utcnow()
        db.session.commit()
    return result
