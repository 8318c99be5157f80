"""The unanswered-questions inbox: collect what the bot could not answer, group it, resolve it."""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import and_, case, func, or_, select

from bot.core import audit
from bot.extensions import db
from bot.inbox.flagged import refuse_flagged_wording
from bot.inbox.log import DAY_CHOICES, DEFAULT_DAYS, PAGE_SIZE, asker_column, days_ago, period
from bot.knowledge.editing import add_alternate_question, save_entry
from bot.matching.normalize import fold
from bot.models import Entry, InboxResolution, QuestionLog

# One resident (user_hash) puts at most this many questions a day into the list; the rest are only counted,
# so one sender cannot bury the others' questions (3,200 junk messages once pushed a real one out).
PER_USER_DAY = 20
# Near-duplicates are merged into the most asked groups only: comparing every wording with every other
# one is quadratic, and a rare wording that resembles only another rare one can wait on its own card.
MAX_FUZZY_GROUPS = 300
# fuzz.ratio on folded text: 1-2 character variations of a short Japanese question stay together.
SIMILARITY = 72

DISMISS_REASONS = {
    "out_of_scope": "市の業務の範囲外",
    "not_a_question": "質問ではない（あいさつ・試し打ちなど）",
    "personal": "個別の事情で、窓口・電話での対応が必要",
    "duplicate": "すでに回答があり、追加は不要",
    "other": "その他",
}


@dataclass(slots=True)
class Group:
    """Similar unanswered questions, counted once per resident."""

    key: str
    text: str
    askers: set[str] = field(default_factory=set)
    variants: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    disliked: Counter = field(default_factory=Counter)
    about: Counter = field(default_factory=Counter)  # entries that residents who asked for staff had just read
    # How many listed messages its lightest asker sent: a resident who asked one thing comes before a
    # sender of hundreds when both groups have the same number of askers.
    load: int = 0
    first_id: int = 0
    last_id: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    since: datetime | None = None  # the period it was found in: resolving it closes what it holds there

    @property
    def count(self) -> int:
        """Return how many residents asked this (one resident's repeats count once)."""
        return len(self.askers)

    @property
    def times(self) -> int:
        """Return how many messages the group holds."""
        return sum(self.variants.values())

    @property
    def token(self) -> str:
        """Return a short stable name of the group for forms."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:16]

    def _add(self, row: Any) -> None:
        self.askers.add(row.asker)
        self.variants[row.text] += row.times
        down, fallback, contact = row.down or 0, row.fallback or 0, getattr(row, "contact", 0) or 0
        for outcome, n in (("contact", contact), ("down", down), ("fallback", fallback),
                           ("suggest", row.times - down - fallback - contact)):
            if n:
                self.outcomes[outcome] += n
        self.first_id = min(self.first_id or row.first_id, row.first_id)
        self.last_id = max(self.last_id, row.last_id)

    def _merge(self, other: Group) -> None:
        self.load = min(self.load, other.load)
        self.askers |= other.askers
        self.variants.update(other.variants)
        self.outcomes.update(other.outcomes)
        self.about.update(other.about)
        self.first_id = min(self.first_id, other.first_id)
        self.last_id = max(self.last_id, other.last_id)


@dataclass
class Inbox:
    """One page of the inbox and what lies outside it."""

    groups: list[Group]
    total_groups: int
    page: int
    pages: int
    held_back: int  # messages over a resident's daily limit: counted, not listed


def unanswered():
    """Return the condition for a logged question that belongs in the inbox."""
    # contact: the resident asked for a person (「人と話したい」); staff see who and about what.
    return or_(QuestionLog.outcome.in_(("fallback", "suggest", "contact")), QuestionLog.feedback == "down")


def _open_since(since: datetime):
    return (
        select(QuestionLog.id)
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(InboxResolution.id.is_(None), QuestionLog.created_at >= since, unanswered())
    )


def _ranked(since: datetime):
    """Return open questions numbered per resident and day (both databases have window functions)."""
    asker = asker_column()
    number = func.row_number().over(partition_by=(asker, func.date(QuestionLog.created_at)),
                                    order_by=QuestionLog.id)
    return (
        select(QuestionLog.id, QuestionLog.text, asker.label("asker"), QuestionLog.outcome, QuestionLog.feedback,
               number.label("n"))
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(InboxResolution.id.is_(None), QuestionLog.created_at >= since, unanswered())
        .subquery()
    )


def open_questions(days: int = DEFAULT_DAYS, now: datetime | None = None) -> tuple[list[Any], int]:
    """Return one row per (wording, resident) of the listed open questions, and how many were held back."""
    ranked = _ranked(days_ago(days, now))
    down = func.sum(case((ranked.c.feedback == "down", 1), else_=0))
    fallback = func.sum(case((and_(ranked.c.outcome == "fallback", func.coalesce(ranked.c.feedback, "") != "down"), 1),
                             else_=0))
    contact = func.sum(case((and_(ranked.c.outcome == "contact", func.coalesce(ranked.c.feedback, "") != "down"), 1),
                            else_=0))
    # The database does the counting: Python sees each wording once per resident, however often it came.
    rows = db.session.execute(
        select(ranked.c.text, ranked.c.asker, func.count().label("times"), func.min(ranked.c.id).label("first_id"),
               func.max(ranked.c.id).label("last_id"), down.label("down"), fallback.label("fallback"),
               contact.label("contact"))
        .where(ranked.c.n <= PER_USER_DAY).group_by(ranked.c.text, ranked.c.asker)
    ).all()
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
    sent = Counter()
    for row in rows:
        sent[row.asker] += row.times
    for group in exact.values():
        group.load = min(sent[a] for a in group.askers)
    groups = _merge_similar(sorted(exact.values(), key=_rank))
    for group in groups:
        # Show the wording residents used most, not merely the first one.
        group.text = group.variants.most_common(1)[0][0]
    groups.sort(key=_rank)
    return groups


def _merge_similar(ordered: list[Group]) -> list[Group]:
    """Merge near-duplicate wordings into the most asked groups, with one matrix of scores each step."""
    if not ordered:
        return []
    # One C-level score matrix instead of a Python call per pair: 8,000 wordings against 300 heads in ~0.1 s.
    top, rest = ordered[:MAX_FUZZY_GROUPS], ordered[MAX_FUZZY_GROUPS:]
    keys = [g.key for g in top]
    within = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=SIMILARITY, dtype=np.uint8)
    absorbed: set[int] = set()
    heads: list[Group] = []
    for i, group in enumerate(top):
        if i in absorbed:
            continue
        heads.append(group)
        for j in np.nonzero(within[i, i + 1:])[0] + i + 1:
            if int(j) not in absorbed:
                absorbed.add(int(j))
                group._merge(top[int(j)])
    singles: list[Group] = []
    if rest:
        scores = process.cdist([g.key for g in rest], [h.key for h in heads], scorer=fuzz.ratio,
                               score_cutoff=SIMILARITY, dtype=np.uint8)
        best = scores.argmax(axis=1)
        for group, column, row in zip(rest, best, scores):
            if row[column]:
                heads[int(column)]._merge(group)
            else:
                singles.append(group)
    return heads + singles


def _rank(group: Group) -> tuple:
    """Order groups: most residents first, then the lightest senders, then the most recent."""
    return (-group.count, group.load, -group.last_id)


def _details(groups: list[Group], since: datetime) -> None:
    """Fill in dates and disliked answers for the groups shown."""
    ids = {g.first_id for g in groups} | {g.last_id for g in groups}
    query = select(QuestionLog.id, QuestionLog.created_at).where(QuestionLog.id.in_(ids))
    when = dict(db.session.execute(query).all()) if ids else {}
    by_text = {text: g for g in groups for text in g.variants}
    for g in groups:
        g.first_seen, g.last_seen = when.get(g.first_id), when.get(g.last_id)
    if any(g.outcomes.get("contact") for g in groups):
        about = db.session.execute(
            select(QuestionLog.text, QuestionLog.entry_slug, func.count())
            .where(QuestionLog.id.in_(_open_since(since)), QuestionLog.outcome == "contact",
                   QuestionLog.entry_slug.is_not(None))
            .group_by(QuestionLog.text, QuestionLog.entry_slug)
        ).all()
        for text, slug, n in about:
            if text in by_text:
                by_text[text].about[slug] += n
    if not any(g.outcomes.get("down") for g in groups):
        return
    disliked = db.session.execute(
        select(QuestionLog.text, QuestionLog.entry_slug, func.count())
        .where(QuestionLog.id.in_(_open_since(since)), QuestionLog.feedback == "down",
               QuestionLog.entry_slug.is_not(None))
        .group_by(QuestionLog.text, QuestionLog.entry_slug)
    ).all()
    for text, slug, n in disliked:
        if text in by_text:
            by_text[text].disliked[slug] += n


def open_groups(days: int = DEFAULT_DAYS) -> list[Group]:
    """Return every group of unresolved questions, most asked first, with dates and disliked answers."""
    groups = group_questions(open_questions(days)[0])
    _details(groups, days_ago(days))
    for group in groups:
        group.since = days_ago(days)
    return groups


def inbox_page(days: int = DEFAULT_DAYS, page: int = 1) -> Inbox:
    """Return one page of groups, so the page stays the same size however full the inbox is."""
    rows, held = open_questions(days)
    groups = group_questions(rows)
    pages = max((len(groups) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    shown = groups[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    _details(shown, days_ago(days))
    return Inbox(shown, len(groups), page, pages, held)


def find_group(days: int, token: str) -> Group | None:
    """Return the open group with this token, as the inbox shows it now."""
    group = next((g for g in group_questions(open_questions(days)[0]) if g.token == token), None)
    if group is not None:
        group.since = days_ago(days)
    return group


def needs_confirmation(score: float | None, suggest_threshold: float) -> bool:
    """Tell whether adding a wording to an entry that fits it this badly needs a second confirmation."""
    # Below the suggest cut-off the matcher would not even offer the entry for this wording. Every
    # dev-set paraphrase of an entry scores 0.39 or more for it; out-of-scope questions' best is 0.27
    # (「水道料金はいくらですか」 -> 産後ケア事業 0.23).
    return score is None or score < suggest_threshold


def count_open_since(since: datetime) -> int:
    """Return how many unresolved inbox questions arrived since a moment."""
    return db.session.scalar(select(func.count()).select_from(_open_since(since).subquery())) or 0


def _resolve(group: Group, action: str, actor: str, reason: str = "", entry_slug: str | None = None,
             outcome: str | None = None) -> int:
    """Close every open question of the group's wordings in its period (repeats over the daily limit too)."""
    since = group.since or days_ago(max(DAY_CHOICES))
    texts = list(group.variants)
    open_ids: list[int] = []
    for start in range(0, len(texts), 500):  # stay below the databases' bound-parameter limits
        query = _open_since(since).where(QuestionLog.text.in_(texts[start:start + 500]))
        if outcome is not None:
            query = query.where(QuestionLog.outcome == outcome)
        open_ids += db.session.scalars(query)
    for question_id in open_ids:
        db.session.add(InboxResolution(question_id=question_id, action=action, reason=reason,
                                       entry_slug=entry_slug, actor=actor))
    return len(open_ids)


def add_as_alternate(group: Group, entry: Entry, question: str, actor: str) -> bool:
    """Add the wording to an entry (answered from the next message on) and close the group."""
    # A safety or crisis message is never recycled as an FAQ wording, whatever the form posted.
    refuse_flagged_wording(list(group.variants), question)
    try:
        added = add_alternate_question(entry, question, actor, commit=False)
        closed = _resolve(group, "alternate", actor, entry_slug=entry.slug)
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
    closed = _resolve(group, "dismissed", actor, reason=reason)
    audit.record(actor, "inbox.dismiss", "inbox", group.token, f"受信箱の{closed}件を対応不要にしました",
                 None, {"reason": reason, "question": group.text, "count": closed})
    db.session.commit()
    return closed


def close_for_new_entry(group: Group | None, entry: Entry, actor: str) -> int:
    """Close the group that a newly created entry now answers."""
    if group is None:
        return 0
    closed = _resolve(group, "new_entry", actor, entry_slug=entry.slug)
    if closed:
        audit.record(actor, "inbox.new_entry", "entry", entry.slug,
                     f"受信箱の{closed}件から「{entry.title}」を作成", None, {"question": group.text, "count": closed})
        db.session.commit()
    return closed


def create_entry(data: dict[str, Any], actor: str, *, days: Any = None, token: str = "") -> tuple[Entry, int]:
    """Create an entry from the console and close the inbox group it was started from (if any); return the entry
    and how many questions were closed. The entry is saved first; closing the group is its own step, as before."""
    entry = save_entry(None, data, actor).entry
    group = find_group(period(days), token) if token else None
    return entry, close_for_new_entry(group, entry, actor)


HANDLED = "handled"


def is_handover(group: Group) -> bool:
    """Tell whether every message of the group asked for a person: it needs a call back, not an FAQ answer."""
    return bool(group.outcomes) and set(group.outcomes) == {"contact"}


def mark_handled(group: Group, note: str, actor: str) -> int:
    """Close the group's wishes to talk to staff as 対応済み（折り返し済み）, audited with who and when."""
    note = (note or "").strip()
    closed = _resolve(group, HANDLED, actor, reason=note, outcome="contact")
    if closed:
        audit.record(actor, "inbox.handled", "inbox", group.token,
                     f"受信箱の職員対応の希望{closed}件を対応済み（折り返し済み）にしました", None,
                     {"question": group.text, "count": closed, "note": note})
    db.session.commit()
    return closed


@dataclass(frozen=True)
class Handled:
    """One group of wishes staff marked as called back: what, how many, who and when."""

    question: str
    count: int
    note: str
    actor: str
    at: datetime


def recently_handled(limit: int = 10) -> list[Handled]:
    """Return the latest wishes to talk to staff marked as handled, newest first (from the audit log)."""
    from bot.models import AuditLog

    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "inbox.handled")
                              .order_by(AuditLog.id.desc()).limit(limit))
    return [Handled(str((r.after or {}).get("question", "")), int((r.after or {}).get("count", 0) or 0),
                    str((r.after or {}).get("note", "")), r.actor, r.created_at) for r in rows]
