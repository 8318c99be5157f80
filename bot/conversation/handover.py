"""Answer a resident who asks for a person: the switchboard, the office for their last topic, a note for staff."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.conversation import contact
from bot.extensions import db
from bot.knowledge.index import EntryView, Snapshot
from bot.line import messages, postback
from bot.line.messages import Chip, Message
from bot.town.model import Town
from bot.models import QuestionLog, utcnow

# 「人と話したい」 right after an answer is about that answer; an hour later it may be about anything.
RECENT = timedelta(minutes=30)
# Rows that name the entry the resident last read: answered, picked from a menu or suggestions, read on.
_TOPIC_OUTCOMES = ("answer", "choice", "suggest", "detail")


def last_entry(user_hash: str, kb: Snapshot) -> EntryView | None:
    """Return the entry this resident was last answered with in the last 30 minutes, if it is still published."""
    if not user_hash:
        return None  # groups and rooms: nobody's questions can be told apart
    slug = db.session.scalar(
        select(QuestionLog.entry_slug)
        .where(QuestionLog.user_hash == user_hash, QuestionLog.entry_slug.is_not(None),
               QuestionLog.outcome.in_(_TOPIC_OUTCOMES), QuestionLog.created_at >= utcnow() - RECENT)
        .order_by(QuestionLog.id.desc()).limit(1))
    return kb.entries.get(slug) if slug else None


def office_for(kb: Snapshot, entry: EntryView) -> contact.Office | None:
    """Return the office that handles an entry's topic, when the knowledge names one."""
    # Without an office the reply names the entry's own contact text (「お問い合わせ先」), which every entry has.
    return kb.office_for(entry.slug)


def message(town: Town, kb: Snapshot, entry: EntryView | None) -> Message:
    """Return the contact reply for a resident, about their last topic when there was one."""
    office = office_for(kb, entry) if entry is not None else None
    body = contact.reply_text(town, entry.title if entry else "", entry.contact if entry else "", office)
    return messages.text(body, [Chip("メニュー", postback.encode("menu"), "メニュー")])
