"""The unanswered-questions inbox: collect what the bot could not answer, group it, resolve it."""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import String, case, cast, func, or_, select

from bot import audit
from bot.extensions import db
from bot.knowledge.editing import add_alternate_question
from bot.matching.normalize import fold
from bot.models import Entry, InboxResolution, QuestionLog, utcnow

DEFAULT_DAYS = 90
DAY_CHOICES = (7, 30, 90, 180)
# One resident (user_hash) puts at most this many questions a day into the list; the rest are only counted,
# so one sender cannot bury the others' questions (3,200 junk messages once pushed a real one out).
PER_USER_DAY = 20
PAGE_SIZE = 25
# Near-duplicates are merged into the most asked groups only: comparing every wording with every other
# one is quadratic, and a rare wording that resembles only another rare one can wait on its own card.
MAX_FUZZY_GROUPS = 300
# fuzz.ratio on folded text: 1-2 character variations of a short Japanese question stay together.
SIMILARITY = 72
MAX_VARIANTS = 20
DISMISS_REASONS = {
    "out_of_scope": "市の業務の範囲外",
    "not_a_question": "質問ではない（あいさつ・試し打ちなど）",
    "personal": "個別の事情で、窓口・電話での対応が必要",
    "duplicate": "すでに回答があり、追加は不要",
    "other": "その他",
}


@dataclass
class Group:
    """Similar unanswered questions, counted once per resident."""

    key: str
    text: str
    ids: list[int] = field(default_factory=list)
    askers: set[str] = field(default_factory=set)
    variants: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    disliked: Counter = field(default_factory=Counter)
    candidates: dict[str, float] = field(default_factory=dict)
    # How many listed messages its lightest asker sent: a resident who asked one thing comes before a
    # sender of hundreds when both groups have the same number of askers.
    load: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    @property
    def count(self) -> int:
        """Return how many residents asked this (one resident's repeats count once)."""
        return len(self.askers)

    @property
    def times(self) -> int:
        """Return how many messages the group holds."""
        return len(self.ids)

    @property
    def token(self) -> str:
        """Return a short stable name of the group for forms."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:16]

    def top_candidates(self, n: int = 3) -> list[tuple[str, float]]:
        """Return the entries the matcher ranked best for these questions, best first."""
        return sorted(self.candidates.items(), key=lambda kv: kv[1], reverse=True)[:n]

    def _add(self, row: Any) -> None:
        self.ids.append(row.id)
        # Rows without a resident (simulator, command line) count one each.
        self.askers.add(row.user_hash or f"#{row.id}")
        self.variants[row.text] += 1
        self.outcomes["down" if row.feedback == "down" else row.outcome] += 1
        if row.feedback == "down" and row.entry_slug:
            self.disliked[row.entry_slug] += 1
        for c in row.candidates or []:
            slug, score = c.get("slug"), float(c.get("score") or 0)
            if slug and score > self.candidates.get(slug, -1.0):
                self.candidates[slug] = score
        if self.first_seen is None or row.created_at < self.first_seen:
            self.first_seen = row.created_at
        if self.last_seen is None or row.created_at > self.last_seen:
            self.last_seen = row.created_at

    def _merge(self, other: Group) -> None:
        self.load = min(self.load, other.load)
        self.ids += other.ids
        self.askers |= other.askers
        self.variants.update(other.variants)
        self.outcomes.update(other.outcomes)
        self.disliked.update(other.disliked)
        for slug, score in other.candidates.items():
            self.candidates[slug] = max(score, self.candidates.get(slug, -1.0))
        self.first_seen = min(d for d in (self.first_seen, other.first_seen) if d)
        self.last_seen = max(d for d in (self.last_seen, other.last_seen) if d)


@dataclass
class Inbox:
    """One page of the inbox and what lies outside it."""

    groups: list[Group]
    total_groups: int
    page: int
    pages: int
    held_back: int  # messages over a resident's daily limit: counted, not listed



def period(value: Any) -> int:
    """Return a period in days the inbox offers (the default otherwise)."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in DAY_CHOICES else DEFAULT_DAYS


def unanswered():
    """Return the condition for a logged question that belongs in the inbox."""
    return or_(QuestionLog.outcome.in_(("fallback", "suggest")), QuestionLog.feedback == "down")


def _open_since(since: datetime):
    return (
        select(QuestionLog.id)
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(InboxResolution.id.is_(None), QuestionLog.created_at >= since, unanswered())
    )


def _ranked(since: datetime):
    """Return open questions numbered per resident and day (both databases have window functions)."""
    asker = case((QuestionLog.user_hash == "", cast(QuestionLog.id, String)), else_=QuestionLog.user_hash)
    number = func.row_number().over(partition_by=(asker, func.date(QuestionLog.created_at)),
                                    order_by=QuestionLog.id)
    return (
        select(QuestionLog.id, QuestionLog.text, QuestionLog.user_hash, QuestionLog.created_at, QuestionLog.outcome,
               QuestionLog.feedback, QuestionLog.entry_slug, QuestionLog.candidates, number.label("n"))
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(InboxResolution.id.is_(None), QuestionLog.created_at >= since, unanswered())
        .subquery()
    )


def open_questions(days: int = DEFAULT_DAYS, now: datetime | None = None) -> tuple[list[Any], int]:
    """Return the listed open questions of the last `days` days (oldest first) and how many were held back."""
    ranked = _ranked((now or utcnow()) - timedelta(days=days))
    rows = db.session.execute(select(ranked).where(ranked.c.n <= PER_USER_DAY).order_by(ranked.c.id)).all()
    held = db.session.scalar(select(func.count()).select_from(ranked).where(ranked.c.n > PER_USER_DAY)) or 0
    return rows, held


def group_questions(rows: list[Any]) -> list[Group]:
    """Group similar questions (most residents first, then most recent) in about linear time."""
    exact: dict[str, Group] = {}
    for row in rows:
        key = fold(row.text) or row.text
        group = exact.get(key)
        if group is None:
            group = exact[key] = Group(key=key, text=row.text)
        group._add(row)
    sent = Counter(row.user_hash or f"#{row.id}" for row in rows)
    for group in exact.values():
        group.load = min(sent[a] for a in group.askers)
    ordered = sorted(exact.values(), key=_rank)
    heads: list[Group] = []
    head_keys: list[str] = []
    singles: list[Group] = []
    for group in ordered:
        match = process.extractOne(group.key, head_keys, scorer=fuzz.ratio, score_cutoff=SIMILARITY) \
            if head_keys else None
        if match is not None:
            heads[match[2]]._merge(group)
        elif len(heads) < MAX_FUZZY_GROUPS:
            heads.append(group)
            head_keys.append(group.key)
        else:
            singles.append(group)
    groups = heads + singles
    for group in groups:
        # Show the wording residents used most, not merely the first one.
        group.text = group.variants.most_common(1)[0][0]
    groups.sort(key=_rank)
    return groups


def _rank(group: Group) -> tuple:
    """Order groups: most residents first, then the lightest senders, then the most recent."""
    return (-group.count, group.load, -group.last_seen.timestamp() if group.last_seen else 0)


def open_groups(days: int = DEFAULT_DAYS) -> list[Group]:
    """Return every group of unresolved questions, most asked first."""
    return group_questions(open_questions(days)[0])


def inbox_page(days: int = DEFAULT_DAYS, page: int = 1) -> Inbox:
    """Return one page of groups, so the page stays the same size however full the inbox is."""
    rows, held = open_questions(days)
    groups = group_questions(rows)
    pages = max((len(groups) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    return Inbox(groups[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], len(groups), page, pages, held)


def find_group(days: int, token: str) -> Group | None:
    """Return the open group with this token, as the inbox shows it now."""
    return next((g for g in open_groups(days) if g.token == token), None)


def needs_confirmation(score: float | None, suggest_threshold: float) -> bool:
    """Tell whether adding a wording to an entry that fits it this badly needs a second confirmation."""
    # Below the suggest cut-off the matcher would not even offer the entry for this wording. Every
    # dev-set paraphrase of an entry scores 0.39 or more for it; out-of-scope questions' best is 0.27
    # (「水道料金はいくらですか」 -> 産後ケア事業 0.23).
    return score is None or score < suggest_threshold


def count_open_since(since: datetime) -> int:
    """Return how many unresolved inbox questions arrived since a moment."""
    return db.session.scalar(select(func.count()).select_from(_open_since(since).subquery())) or 0


def _open_ids(ids: list[int]) -> list[int]:
    """Keep only ids that are still open inbox questions."""
    if not ids:
        return []
    query = (
        select(QuestionLog.id)
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(QuestionLog.id.in_(ids), InboxResolution.id.is_(None), unanswered())
    )
    return list(db.session.scalars(query))


def _resolve(ids: list[int], action: str, actor: str, reason: str = "", entry_slug: str | None = None) -> int:
    open_ids = []
    for start in range(0, len(ids), 500):  # stay below the databases' bound-parameter limits
        open_ids += _open_ids(ids[start:start + 500])
    for question_id in open_ids:
        db.session.add(InboxResolution(question_id=question_id, action=action, reason=reason,
                                       entry_slug=entry_slug, actor=actor))
    return len(open_ids)


def add_as_alternate(group: Group, entry: Entry, question: str, actor: str) -> bool:
    """Add the wording to an entry (answered from the next message on) and close the group."""
    try:
        added = add_alternate_question(entry, question, actor, commit=False)
        closed = _resolve(group.ids, "alternate", actor, entry_slug=entry.slug)
        audit.record(actor, "inbox.alternate", "entry", entry.slug,
                     f"受信箱の{closed}件を「{entry.title}」の想定質問に追加", None,
                     {"question": question, "count": closed})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return added


def dismiss(group: Group, reason_code: str, note: str, actor: str) -> int:
    """Close a group as out of scope (or similar) with a reason; return how many questions."""
    if reason_code not in DISMISS_REASONS:
        raise ValueError(f"unknown reason {reason_code!r}")
    reason = DISMISS_REASONS[reason_code] + (f"：{note.strip()}" if note and note.strip() else "")
    closed = _resolve(group.ids, "dismissed", actor, reason=reason)
    audit.record(actor, "inbox.dismiss", "inbox", group.token, f"受信箱の{closed}件を対応不要にしました",
                 None, {"reason": reason, "question": group.text, "count": closed})
    db.session.commit()
    return closed


def close_for_new_entry(group: Group | None, entry: Entry, actor: str) -> int:
    """Close the group that a newly created entry now answers."""
    if group is None:
        return 0
    closed = _resolve(group.ids, "new_entry", actor, entry_slug=entry.slug)
    if closed:
        audit.record(actor, "inbox.new_entry", "entry", entry.slug,
                     f"受信箱の{closed}件から「{entry.title}」を作成", None, {"question": group.text, "count": closed})
        db.session.commit()
    return closed
