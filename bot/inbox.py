"""The unanswered-questions inbox: collect what the bot could not answer, group it, resolve it."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz, process
from sqlalchemy import or_, select

from bot import audit
from bot.extensions import db
from bot.knowledge.editing import add_alternate_question
from bot.matching.normalize import fold
from bot.models import Entry, InboxResolution, QuestionLog, utcnow
from bot.urlnumbers import MAX_ID

DEFAULT_DAYS = 90
MAX_ROWS = 3000
# fuzz.ratio on folded text: 1-2 character variations of a short Japanese question stay together.
SIMILARITY = 72
DISMISS_REASONS = {
    "out_of_scope": "市の業務の範囲外",
    "not_a_question": "質問ではない（あいさつ・試し打ちなど）",
    "personal": "個別の事情で、窓口・電話での対応が必要",
    "duplicate": "すでに回答があり、追加は不要",
    "other": "その他",
}


@dataclass
class Group:
    """Similar unanswered questions, counted together."""

    key: int
    text: str
    ids: list[int] = field(default_factory=list)
    variants: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    picked: Counter = field(default_factory=Counter)
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    @property
    def count(self) -> int:
        """Return how many times residents asked this."""
        return len(self.ids)

    @property
    def suggested_slug(self) -> str | None:
        """Return the entry residents picked or the matcher liked best, as a default target."""
        return self.picked.most_common(1)[0][0] if self.picked else None


def unanswered():
    """Return the condition for a logged question that belongs in the inbox."""
    return or_(QuestionLog.outcome.in_(("fallback", "suggest")), QuestionLog.feedback == "down")


def open_questions(days: int = DEFAULT_DAYS, now: datetime | None = None) -> list[QuestionLog]:
    """Return unresolved inbox questions from the last `days` days, oldest first."""
    since = (now or utcnow()) - timedelta(days=days)
    query = (
        select(QuestionLog)
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(InboxResolution.id.is_(None), QuestionLog.created_at >= since, unanswered())
        .order_by(QuestionLog.created_at.desc())
        .limit(MAX_ROWS)
    )
    return list(reversed(db.session.scalars(query).all()))


def group_questions(rows: list[QuestionLog]) -> list[Group]:
    """Group similar questions (most asked first, then most recent)."""
    groups: list[Group] = []
    folded_reps: list[str] = []
    for row in rows:
        key = fold(row.text) or row.text
        match = process.extractOne(key, folded_reps, scorer=fuzz.ratio, score_cutoff=SIMILARITY) if folded_reps else None
        if match is None:
            group = Group(key=row.id, text=row.text, first_seen=row.created_at)
            groups.append(group)
            folded_reps.append(key)
        else:
            group = groups[match[2]]
        group.ids.append(row.id)
        group.variants[row.text] += 1
        group.outcomes["down" if row.feedback == "down" else row.outcome] += 1
        if row.entry_slug:
            group.picked[row.entry_slug] += 1
        elif row.candidates and row.candidates[0].get("slug"):
            # The matcher's best guess is a weaker hint than a resident's pick, but better than none.
            group.picked[row.candidates[0]["slug"]] += 0
        group.last_seen = row.created_at
    for group in groups:
        # Show the wording residents used most, not merely the first one.
        group.text = group.variants.most_common(1)[0][0]
    groups.sort(key=lambda g: (g.count, g.last_seen), reverse=True)
    return groups


def open_groups(days: int = DEFAULT_DAYS) -> list[Group]:
    """Return the inbox: unresolved questions grouped by similarity."""
    return group_questions(open_questions(days))


def count_open_since(since: datetime) -> int:
    """Return how many unresolved inbox questions arrived since a moment."""
    query = (
        select(db.func.count(QuestionLog.id))
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(InboxResolution.id.is_(None), QuestionLog.created_at >= since, unanswered())
    )
    return db.session.scalar(query) or 0


def _open_ids(ids: list[int]) -> list[int]:
    """Keep only ids that are still open inbox questions (the form may be stale or forged)."""
    if not ids:
        return []
    query = (
        select(QuestionLog.id)
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(QuestionLog.id.in_(ids), InboxResolution.id.is_(None), unanswered())
    )
    return list(db.session.scalars(query))


def _resolve(ids: list[int], action: str, actor: str, reason: str = "", entry_slug: str | None = None) -> int:
    open_ids = _open_ids(ids)
    for question_id in open_ids:
        db.session.add(InboxResolution(question_id=question_id, action=action, reason=reason,
                                       entry_slug=entry_slug, actor=actor))
    return len(open_ids)


def parse_ids(raw: str) -> list[int]:
    """Return the question ids from a form's comma-separated list."""
    # ASCII digits only ("²".isdigit() is true, int("²") fails), short enough for int(), no id beyond a column.
    parts = [part.strip() for part in (raw or "").split(",")]
    return [int(p) for p in parts if p.isascii() and p.isdigit() and len(p) <= 10 and int(p) <= MAX_ID][:MAX_ROWS]


def add_as_alternate(ids: list[int], entry: Entry, question: str, actor: str) -> bool:
    """Add the wording to an entry (answered from the next message on) and close the group."""
    try:
        added = add_alternate_question(entry, question, actor, commit=False)
        closed = _resolve(ids, "alternate", actor, entry_slug=entry.slug)
        audit.record(actor, "inbox.alternate", "entry", entry.slug,
                     f"受信箱の{closed}件を「{entry.title}」の想定質問に追加", None, {"question": question, "ids": ids})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return added


def dismiss(ids: list[int], reason_code: str, note: str, actor: str) -> int:
    """Close a group as out of scope (or similar) with a reason; return how many questions."""
    if reason_code not in DISMISS_REASONS:
        raise ValueError(f"unknown reason {reason_code!r}")
    reason = DISMISS_REASONS[reason_code] + (f"：{note.strip()}" if note and note.strip() else "")
    closed = _resolve(ids, "dismissed", actor, reason=reason)
    audit.record(actor, "inbox.dismiss", "inbox", ids[0] if ids else "", f"受信箱の{closed}件を対応不要にしました",
                 None, {"reason": reason, "ids": ids})
    db.session.commit()
    return closed


def close_for_new_entry(ids: list[int], entry: Entry, actor: str) -> int:
    """Close the group that a newly created entry now answers."""
    closed = _resolve(ids, "new_entry", actor, entry_slug=entry.slug)
    if closed:
        audit.record(actor, "inbox.new_entry", "entry", entry.slug,
                     f"受信箱の{closed}件から「{entry.title}」を作成", None, {"ids": ids})
        db.session.commit()
    return closed
