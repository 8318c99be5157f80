"""Helpers for the notice tests: settings, followers in bulk, and a notice ready to send."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from bot.extensions import db
from bot.models import Follower, Notice, Subscription, utcnow
from bot.notices import workflow

MULTICAST = "/v2/bot/message/multicast"
PUSH = "/v2/bot/message/push"
TOPICS = "kosodate=子育て・教育,iju=移住・応援団:移住・応援団"

# Tests must not depend on the hour they run at, nor wait seconds for retries.
FAST = {
    "NOTICE_TOPICS": TOPICS,
    "NOTICE_QUIET_HOURS": "",
    "NOTICE_APPROVAL_REQUIRED": False,
    "NOTICE_RETRY_BASE_SECONDS": 0.01,
    "NOTICE_RETRY_MAX_SECONDS": 0.05,
    "NOTICE_LEASE_SECONDS": 1.0,
    "NOTICE_SEND_TIMEOUT": 2.0,
    "NOTICE_POLL_SECONDS": 0.05,
}


def uid(n: int) -> str:
    """Return a LINE-shaped user id for test follower n."""
    return f"U{n:032x}"


def add_followers(numbers: range | list[int], topics: tuple[str, ...] = (), status: str = "active") -> list[str]:
    """Insert followers (and their subscriptions) in bulk; return their user ids."""
    now = utcnow()
    ids = [uid(n) for n in numbers]
    db.session.execute(insert(Follower), [
        {"line_user_id": u, "status": status, "first_seen": now, "last_seen": now} for u in ids])
    if topics:
        rows = db.session.execute(select(Follower.id).where(Follower.line_user_id.in_(ids))).scalars().all()
        db.session.execute(insert(Subscription), [
            {"follower_id": f, "topic": t, "source": "settings", "created_at": now} for f in rows for t in topics])
    db.session.commit()
    return ids


def scheduled_notice(topics: tuple[str, ...] = ("kosodate",), send_at: datetime | None = None,
                     title: str = "出産応援ギフトのお知らせ", **kw) -> Notice:
    """Create a notice and ask to send it (approval off in FAST: it is scheduled)."""
    notice = workflow.create(workflow.Draft(title, "申請の受付を始めました。", topics=topics, send_at=send_at, **kw),
                             by="author@example.jp")
    return workflow.request_send(notice, by="author@example.jp")


ADMIN2 = "admin2@example.invalid"
STAFF_UID = "U" + "e" * 32


def add_admin2(app) -> None:
    """Create a second admin on the command line, trusted to approve anyone's notice."""
    from bot.staff.accounts import create_user
    from tests.support.console import PASSWORD

    with app.app_context():
        create_user(ADMIN2, "admin", PASSWORD, actor="cli")


def add_test_recipient(app, name: str = "企画課 テスト端末", line_user_id: str = STAFF_UID) -> int:
    """Register a staff test recipient; return its id."""
    from bot.notices import test_recipients

    with app.app_context():
        return test_recipients.add(name, line_user_id, by="setup@example.invalid").id


def revision_on(html: str) -> int:
    """Return the revision the approve form on a notice page names."""
    import re

    return int(re.search(r'name="revision" type="hidden" value="(\d+)"', html).group(1))


def approve_as(client, notice_id: int, revision: int | None = None):
    """Open the notice page as this client, then post its approve form (optionally with an older revision)."""
    page = client.get(f"/admin/notices/{notice_id}").get_data(as_text=True)
    seen = revision if revision is not None else revision_on(page)
    return client.post(f"/admin/notices/{notice_id}/approve", data={"revision": str(seen)}, follow_redirects=True)
