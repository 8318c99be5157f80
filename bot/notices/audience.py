"""Who receives a notice: active followers who asked for one of its topics, or everyone not opted out."""
from __future__ import annotations

from typing import Sequence

from sqlalchemy import Select, exists, func, select

from bot.extensions import db
from bot.models import Follower, FormSubmission, NoticeOptOut, Subscription

# Not a topic slug (those have no "@"): a notice to the supporters' club members who asked for LINE.
SUPPORTERS = "@supporters"
SUPPORTERS_FORM = "supporters-club"


def _supporters() -> list[str]:
    """Return the LINE users of members who chose LINE (contact_via) and have not withdrawn."""
    rows = db.session.execute(select(FormSubmission.line_user_id, FormSubmission.answers).where(
        FormSubmission.form_slug == SUPPORTERS_FORM, FormSubmission.line_user_id.is_not(None),
        FormSubmission.status != "cancelled", FormSubmission.withdrawn_at.is_(None)))
    # In Python: answers are JSON, with no portable query on SQLite and PostgreSQL; members number in the hundreds.
    return sorted({uid for uid, answers in rows if (answers or {}).get("contact_via") == "LINE"})


def _query(topics: Sequence[str]) -> Select:
    # Only active followers: unfollowing or blocking takes a person out of every audience. Simulated
    # residents (the simulator's, the CLI's) are in no audience at all.
    query = select(Follower.line_user_id).where(Follower.status == "active", Follower.simulated.is_(False))
    if SUPPORTERS in topics:
        return query.where(Follower.line_user_id.in_(_supporters()),
                           ~exists().where(NoticeOptOut.follower_id == Follower.id))
    if topics:
        # EXISTS rather than a join, so a resident subscribed to two of the topics is counted once.
        return query.where(exists().where(Subscription.follower_id == Follower.id,
                                          Subscription.topic.in_(list(topics))))
    return query.where(~exists().where(NoticeOptOut.follower_id == Follower.id))


def user_ids(topics: Sequence[str]) -> list[str]:
    """Return the LINE user ids a notice to these topics (none: everyone) goes to, in a stable order."""
    return list(db.session.scalars(_query(topics).order_by(Follower.id)))


def count(topics: Sequence[str]) -> int:
    """Return how many people a notice to these topics would reach now."""
    return db.session.scalar(select(func.count()).select_from(_query(topics).subquery())) or 0


def still_active(ids: Sequence[str]) -> set[str]:
    """Return which of these user ids still follow the account."""
    if not ids:
        return set()
    return set(db.session.scalars(select(Follower.line_user_id).where(
        Follower.line_user_id.in_(list(ids)), Follower.status == "active", Follower.simulated.is_(False))))


def anyone_left_since(moment) -> bool:
    """Tell whether any follower unfollowed or blocked at or after this moment (a cheap check before a costly one)."""
    return db.session.scalar(select(Follower.id).where(
        Follower.status != "active", Follower.last_seen >= moment).limit(1)) is not None
