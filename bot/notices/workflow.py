"""A notice's life: draft, request to send, approval by a second person, schedule, cancel, test-send."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update as sql_update

from bot.core import ratelimit
from bot.core import audit
from bot.core.problems import FORM, Invalid, Problem
from bot.staff import grants
from bot.extensions import db
from bot.line.channels import town_gateway
from bot.line.client import LineGateway, SendResult
from bot.models import Entry, Facility, Notice, TestRecipient, User, utcnow
from bot.notices import audience, channels, compose, public, topics
from bot.notices.delivery import notice_message
from bot.notices.settings import approval_required

log = logging.getLogger(__name__)

EDITABLE = ("draft",)
CANCELLABLE = ("draft", "pending_approval", "scheduled")
TEST_SENDABLE = ("draft", "pending_approval")
TEST_SEND_WINDOW = timedelta(hours=1)

SELF_APPROVAL = "このお知らせを作成・編集・依頼した人は承認できません。別の管理者が承認してください（二人確認）。"
PUPPET = ("このお知らせを作成・編集した人が作った（または管理者にした）アカウントでは承認できません。"
          "別の管理者が承認してください（二人確認）。")
STALE = "あなたが開いた後に、このお知らせの内容が変わりました。最新の内容を確認してから、もう一度承認してください。"


@dataclass(frozen=True)
class Draft:
    """What staff typed into the compose form or on the command line."""

    title: str
    body: str
    url: str = ""
    entry_slug: str = ""
    topics: tuple[str, ...] = ()
    send_at: datetime | None = None  # UTC; None = as soon as allowed
    channels: tuple[str, ...] = ("line",)
    facility_ids: tuple[int, ...] = ()  # signage: empty = every screen
    display_from: datetime | None = None  # UTC; None = from approval
    display_until: datetime | None = None  # UTC; None = until taken down


def _placement(draft: Draft) -> channels.Placement:
    return channels.Placement(tuple(dict.fromkeys(draft.channels)), tuple(dict.fromkeys(draft.facility_ids)),
                              draft.display_from, draft.display_until)


def _check(draft: Draft) -> None:
    known = {t.slug for t in topics.all_topics()} | {audience.SUPPORTERS}
    found = compose.problems(
        compose.Content(draft.title, draft.body, draft.url, draft.entry_slug, topics=draft.topics),
        known_entries=list(db.session.scalars(select(Entry.slug).where(
            Entry.status == "published", Entry.archived.is_(False)))),
    )
    unknown = [t for t in draft.topics if t not in known]
    if unknown:
        found["topics"] = "知らないテーマです：" + "、".join(unknown)
    found.update(channels.problems(_placement(draft), utcnow(), set(db.session.scalars(select(Facility.id))),
                                   send_at=draft.send_at))
    if found:
        raise Invalid([Problem(FORM, name, reason) for name, reason in found.items()],
                      summary="このままでは送れません：" + " ".join(found.values()))


def people(notice: Notice) -> set[str]:
    """Return everyone who wrote, changed or asked to send the notice."""
    return {p for p in (*(notice.editors or ()), notice.created_by, notice.requested_by) if p}


def approver_problem(notice: Notice, by: str) -> str | None:
    """Return why this person may not approve (or send back) the notice, or None when they may."""
    involved = people(notice)
    if by in involved:
        return SELF_APPROVAL
    user_id = db.session.scalar(select(User.id).where(User.email == by))
    if user_id is not None and grants.granted_by_any(user_id, involved):
        return PUPPET
    return None


def may_withdraw(notice: Notice, by: str) -> bool:
    """Tell whether this person may take their own request back."""
    return notice.status == "pending_approval" and by in (notice.created_by, notice.requested_by)


def placement(notice: Notice) -> dict:
    """Return where and when a notice is shown, as plain data for the audit log."""
    return {"channels": list(notice.channels or ()), "facilities": list(notice.signage_facility_ids or ()),
            "display_from": notice.display_from.isoformat() if notice.display_from else None,
            "display_until": notice.display_until.isoformat() if notice.display_until else None}


def _audit(notice: Notice, by: str, action: str) -> None:
    audit.record(by, action, "notice", notice.id, notice.title, after={"revision": notice.revision})


def create(draft: Draft, by: str) -> Notice:
    """Save a new draft notice after checking it against LINE's limits, audited."""
    _check(draft)
    notice = Notice(title=draft.title.strip(), body=draft.body.strip(), url=draft.url.strip(),
                    entry_slug=draft.entry_slug, topics=list(draft.topics), send_at=draft.send_at,
                    status="draft", created_by=by, editors=[by], revision=1)
    _place(notice, draft)
    db.session.add(notice)
    db.session.flush()
    audit.record(by, "notice.create", "notice", notice.id, notice.title, after=placement(notice))
    db.session.commit()
    return notice


def update(notice: Notice, draft: Draft, by: str) -> Notice:
    """Change a draft's content, audience or time, remembering who changed it, audited."""
    if notice.status not in EDITABLE:
        raise Invalid("下書きだけが編集できます。")
    _check(draft)
    before = placement(notice)
    notice.title, notice.body, notice.url = draft.title.strip(), draft.body.strip(), draft.url.strip()
    notice.entry_slug, notice.topics, notice.send_at = draft.entry_slug, list(draft.topics), draft.send_at
    _place(notice, draft)
    if by not in (notice.editors or []):
        notice.editors = [*(notice.editors or []), by]  # a new list: JSON columns do not see in-place changes
    notice.revision = (notice.revision or 1) + 1
    audit.record(by, "notice.edit", "notice", notice.id, notice.title,
                 before=before, after={"revision": notice.revision, **placement(notice)})
    db.session.commit()
    return notice


def submit(draft: Draft, by: str) -> Notice:
    """Create a notice and ask to send it at once (the command line's `notices create`)."""
    return request_send(create(draft, by), by)


def _place(notice: Notice, draft: Draft) -> None:
    placement = _placement(draft)
    notice.channels, notice.signage_facility_ids = list(placement.channels), list(placement.facility_ids)
    notice.display_from, notice.display_until = placement.display_from, placement.display_until


def request_send(notice: Notice, by: str, now: datetime | None = None) -> Notice:
    """Ask to send a draft: it waits for approval when the two-person rule is on, else it is scheduled."""
    if notice.status != "draft":
        raise Invalid("下書きのお知らせだけが送信の手続きに進めます。")
    notice.requested_by, notice.requested_at = by, now or utcnow()
    notice.status = "pending_approval" if approval_required() else "scheduled"
    _audit(notice, by, "notice.request")
    db.session.commit()
    return notice


def approve(notice: Notice, by: str, revision: int, now: datetime | None = None) -> Notice:
    """Approve the revision of a waiting notice the approver saw; nobody who wrote or asked for it may."""
    if notice.status != "pending_approval":
        raise Invalid("承認待ちのお知らせではありません。")
    problem = approver_problem(notice, by)
    if problem:
        raise Invalid(problem)
    # Compare and set in one statement: a send-back and edit racing this approval cannot slip through.
    changed = db.session.execute(
        sql_update(Notice).where(Notice.id == notice.id, Notice.status == "pending_approval",
                                 Notice.revision == revision)
        .values(status="scheduled", approved_by=by, approved_at=now or utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        db.session.rollback()
        raise Invalid(STALE)
    _audit(notice, by, "notice.approve")
    db.session.commit()
    db.session.refresh(notice)
    return notice


def send_back(notice: Notice, by: str) -> Notice:
    """Return a waiting notice to its author as a draft; only someone who may approve it may."""
    if notice.status != "pending_approval":
        raise Invalid("承認待ちのお知らせではありません。")
    problem = approver_problem(notice, by)
    if problem:
        raise Invalid(problem.replace("承認できません", "差し戻せません"))
    return _to_draft(notice, by, "notice.send_back")


def withdraw(notice: Notice, by: str) -> Notice:
    """Take one's own request back: the notice becomes a draft again."""
    if notice.status != "pending_approval":
        raise Invalid("承認待ちのお知らせではありません。")
    if not may_withdraw(notice, by):
        raise Invalid("依頼を取り下げられるのは、作成した人か承認を依頼した人だけです。")
    return _to_draft(notice, by, "notice.withdraw")


def _to_draft(notice: Notice, by: str, action: str) -> Notice:
    notice.status, notice.requested_by, notice.requested_at = "draft", "", None
    _audit(notice, by, action)
    db.session.commit()
    return notice


def may_unpublish(notice: Notice, now: datetime | None = None) -> bool:
    """Tell whether a notice already out on LINE is still shown (or about to be) and can be taken down."""
    return notice.status in ("sending", "sent") and public.display_state(notice, now) in ("live", "upcoming")


def cancel(notice: Notice, by: str, now: datetime | None = None) -> Notice:
    """Cancel a notice that has not started going out, or take one that has off the page, feed and screens; audited."""
    if may_unpublish(notice, now):
        # LINE cannot recall what it delivered: the status stays as sent and only the display ends.
        notice.unpublished_at, notice.unpublished_by = now or utcnow(), by
        _audit(notice, by, "notice.unpublish")
        db.session.commit()
        return notice
    if notice.status not in CANCELLABLE:
        raise Invalid("送信中または送信済みのお知らせは取り消せません。")
    if public.display_state(notice, now) == "live":
        notice.unpublished_at = now or utcnow()  # when it left the page: the feed's Last-Modified must move on
    notice.status, notice.cancelled_by = "cancelled", by
    _audit(notice, by, "notice.cancel")
    db.session.commit()
    return notice


def _test_send_limit() -> ratelimit.Limit:
    return ratelimit.Limit("notice_test_send", int(current_app.config["NOTICE_TEST_SENDS_PER_HOUR"]),
                           int(TEST_SEND_WINDOW.total_seconds()))


def test_sends_left(by: str, now: datetime | None = None) -> int:
    """Return how many test sends this person has left now (the limit is shared by every worker)."""
    return ratelimit.remaining(_test_send_limit(), ratelimit.in_town(by), now.timestamp() if now else None)


def test_send(notice: Notice, recipient: TestRecipient, by: str, gateway: LineGateway | None = None) -> SendResult:
    """Push a draft or waiting notice to one registered staff test recipient, within the hourly limit."""
    if notice.status not in TEST_SENDABLE:
        raise Invalid("テスト送信できるのは、下書きと承認待ちのお知らせだけです。")
    gateway = gateway or town_gateway()
    if not gateway.configured:
        raise Invalid("LINE との接続がまだ設定されていません（チャネルアクセストークンが未設定です）。"
                          "設定が済むまでテスト送信はできません。")
    # Counts this try, atomically, in every worker's shared count; per town (another town's staff may share the e-mail).
    if not _test_send_limit().hit(ratelimit.in_town(by)):
        raise Invalid(f"テスト送信は1時間に{current_app.config['NOTICE_TEST_SENDS_PER_HOUR']}回までです。"
                          "しばらくしてからもう一度お試しください。")
    result = gateway.push(recipient.line_user_id, [notice_message(notice)], retry_key=str(uuid.uuid4()))
    # Every try counts against the hourly limit and is audited, whether LINE took it or not.
    audit.record(by, "notice.test_send", "notice", notice.id, f"{recipient.name} にテスト送信"[:300],
                 after={"recipient": recipient.id, "ok": result.ok, "status": result.status})
    if result.ok:
        notice.test_sent_to, notice.test_sent_at = recipient.name[:64], utcnow()
    else:
        log.warning("test send of notice %s failed: status=%s %s", notice.id, result.status, result.error[:200])
    db.session.commit()
    return result
