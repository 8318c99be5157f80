"""Residents' choices: which topics they hear about, and whether they hear anything at all."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, bindparam, delete, exists, select, text

from bot.extensions import db
from bot.core.tenancy import execute_core
from bot.models.tenancy import require_town_id
from bot.models import Follower, NoticeOptOut, Subscription, TopicOffer, utcnow
from bot.notices import topics as topic_list

if TYPE_CHECKING:
    from bot.followers import FollowerState


@dataclass(frozen=True)
class Choices:
    """What one resident receives now."""

    topics: tuple[str, ...]  # subscribed topic slugs
    general: bool  # notices addressed to every follower

    @property
    def nothing(self) -> bool:
        """Tell whether the resident receives no notice at all."""
        return not self.topics and not self.general


def follower(user_id: str) -> Follower:
    """Return the follower record for a LINE user, creating it as active when it is missing."""
    row = db.session.scalar(select(Follower).where(Follower.line_user_id == user_id))
    if row is None:
        now = utcnow()
        row = Follower(line_user_id=user_id, status="active", first_seen=now, last_seen=now)
        db.session.add(row)
        db.session.flush()
    return row


def choices(row: Follower) -> Choices:
    """Return what a follower receives now."""
    known = [t.slug for t in topic_list.all_topics()]
    subscribed = set(db.session.scalars(select(Subscription.topic).where(Subscription.follower_id == row.id)))
    opted_out = db.session.scalar(select(NoticeOptOut.id).where(NoticeOptOut.follower_id == row.id)) is not None
    return Choices(tuple(t for t in known if t in subscribed), not opted_out)


def subscribe(row: Follower, topic: str, source: str = "settings") -> bool:
    """Subscribe a follower to a topic; False when already subscribed."""
    exists = db.session.scalar(select(Subscription.id).where(
        Subscription.follower_id == row.id, Subscription.topic == topic))
    if exists is not None:
        return False
    # Notices to everyone stay as the resident set them: a topic is no reason to undo 「配信停止」 for the rest.
    db.session.add(Subscription(follower_id=row.id, topic=topic, source=source))
    db.session.flush()
    return True


def unsubscribe(row: Follower, topic: str) -> bool:
    """Unsubscribe a follower from a topic; False when they were not subscribed."""
    result = db.session.execute(delete(Subscription).where(
        Subscription.follower_id == row.id, Subscription.topic == topic))
    return bool(result.rowcount)


def set_general(row: Follower, on: bool) -> None:
    """Turn notices addressed to every follower on or off for one follower."""
    if on:
        db.session.execute(delete(NoticeOptOut).where(NoticeOptOut.follower_id == row.id))
    elif db.session.scalar(select(NoticeOptOut.id).where(NoticeOptOut.follower_id == row.id)) is None:
        db.session.add(NoticeOptOut(follower_id=row.id))
    db.session.flush()


def stop_all(row: Follower) -> None:
    """Stop every notice for a follower: all topics and notices to everyone."""
    db.session.execute(delete(Subscription).where(Subscription.follower_id == row.id))
    set_general(row, False)


def forget(user_id: str) -> None:
    """Drop an unfollowed or blocking user's subscriptions and offers: they leave every audience."""
    row = db.session.scalar(select(Follower).where(Follower.line_user_id == user_id))
    if row is None:
        return
    db.session.execute(delete(Subscription).where(Subscription.follower_id == row.id))
    db.session.execute(delete(TopicOffer).where(TopicOffer.follower_id == row.id))
    db.session.execute(delete(NoticeOptOut).where(NoticeOptOut.follower_id == row.id))


def _offer_flags():
    offers, subs, opt_outs = TopicOffer.__table__, Subscription.__table__, NoticeOptOut.__table__
    follower, topic = bindparam("follower_id"), bindparam("topic")
    return select(
        exists().where(offers.c.follower_id == follower, offers.c.topic == topic),
        exists().where(subs.c.follower_id == follower, subs.c.topic == topic),
        exists().where(opt_outs.c.follower_id == follower),
    )


# Built once: these run under every answer a follower gets, and building them cost more than running them.
_OFFER_FLAGS = _offer_flags()
# Text, like the webhook's other upserts (bot/conversation/records.py): SQLAlchemy cannot cache ON CONFLICT.
_OFFER = text(
    f"INSERT INTO {TopicOffer.__tablename__} (town_id, follower_id, topic, offered_at) "
    "VALUES (:town, :follower_id, :topic, :at) ON CONFLICT (town_id, follower_id, topic) DO NOTHING RETURNING id"
).bindparams(bindparam("at", type_=DateTime(timezone=True)))


def offer_once(row: Follower | FollowerState, topic: str) -> bool:
    """Record that a topic is offered to a follower; False when it was offered before or is unwanted."""
    offered, subscribed, opted_out = execute_core(_OFFER_FLAGS, {"follower_id": row.id, "topic": topic}).one()
    if offered or subscribed or opted_out:
        # Offered before, already subscribed, or said 「配信停止」: offering would be noise.
        return False
    offered = execute_core(_OFFER, {"town": require_town_id(), "follower_id": row.id, "topic": topic, "at": utcnow()}).first()
    return offered is not None
