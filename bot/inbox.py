"""The unanswered-questions inbox: collect what the bot could not answer, group it, resolve it."""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import String, and_, case, cast, func, or_, select

from bot.core import audit
from bot.core.problems import Invalid
from bot.extensions import db
from bot.knowledge.editing import add_alternate_question
from bot.matching.normalize import fold
from bot.models import Entry, InboxResolution, QuestionLog, utcnow
from bot.safety import current_rules

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


def period(value: Any) -> int:
    """Return a period in days the inbox offers (the default otherwise)."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in DAY_CHOICES else DEFAULT_DAYS


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


def _since(days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


def _asker():
    # Rows without a resident (simulator, command line) are each their own asker.
    return case((QuestionLog.user_hash == "", "#" + cast(QuestionLog.id, String)), else_=QuestionLog.user_hash)


def _ranked(since: datetime):
    """Return open questions numbered per resident and day (both databases have window functions)."""
    asker = _asker()
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
    ranked = _ranked(_since(days, now))
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
    _details(groups, _since(days))
    for group in groups:
        group.since = _since(days)
    return groups


def inbox_page(days: int = DEFAULT_DAYS, page: int = 1) -> Inbox:
    """Return one page of groups, so the page stays the same size however full the inbox is."""
    rows, held = open_questions(days)
    groups = group_questions(rows)
    pages = max((len(groups) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    shown = groups[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    _details(shown, _since(days))
    return Inbox(shown, len(groups), page, pages, held)


def find_group(days: int, token: str) -> Group | None:
    """Return the open group with this token, as the inbox shows it now."""
    group = next((g for g in group_questions(open_questions(days)[0]) if g.token == token), None)
    if group is not None:
        group.since = _since(days)
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
    since = group.since or _since(max(DAY_CHOICES))
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


# Safety and crisis messages (question_log.safety_flag): listed on their own above the unanswered groups,
# never capped per resident, never offered for FAQ learning, closed only by a member of staff's 確認済み.
FLAG_LABELS = {"urgent": "緊急", "care": "要配慮"}
CHECKED = "checked"  # InboxResolution.action of a flagged message staff have looked at
# How many open flagged groups one page lists (each is one resident's wording, however often sent): a bound
# for the page, not a filter. Staff see how many more wait, and checking one brings the next up.
FLAGGED_MAX = 200


@dataclass
class Flagged:
    """One resident's safety or crisis message (repeats of the same wording together)."""

    text: str
    asker: str
    flag: str
    times: int
    first_id: int
    last_id: int
    first_seen: datetime | None
    last_seen: datetime | None
    replies: list[dict[str, Any]] = field(default_factory=list)  # the rules the bot answered with
    checked_by: str = ""
    checked_at: datetime | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """Return 緊急 or 要配慮."""
        return FLAG_LABELS.get(self.flag, FLAG_LABELS["urgent"])

    @property
    def token(self) -> str:
        """Return a short stable name of the message for forms (never the resident's hash itself)."""
        return hashlib.sha256(f"{self.flag}\x00{self.asker}\x00{self.text}".encode()).hexdigest()[:16]

    @property
    def numbers(self) -> list[str]:
        """Return the numbers the bot gave, first to last, each once."""
        return list(dict.fromkeys(n for r in self.replies for n in r.get("numbers") or ()))

    @property
    def reply_note(self) -> str:
        """Return what the bot told the resident, for staff: 「119番・110番をご案内済み」."""
        numbers = [f"{n}番" if n.isdigit() and len(n) == 3 else n for n in self.numbers]
        return f"{'・'.join(numbers)}をご案内済み" if numbers else "緊急の案内を返信済み"


@dataclass
class FlaggedList:
    """The flagged messages of one view (open or 確認済み) and how many there are in all."""

    items: list[Flagged]
    total: int
    page: int = 1
    pages: int = 1


def flagged():
    """Return the condition for a safety or crisis message."""
    return QuestionLog.safety_flag.is_not(None)


def _flagged_groups(since: datetime | None, checked: bool):
    """Return the flagged messages since a moment, one row per (wording, resident, flag) and, when checked, checker."""
    base = [QuestionLog.id, QuestionLog.text, _asker().label("asker"), QuestionLog.safety_flag.label("flag"),
            QuestionLog.created_at]
    if checked:
        rows = select(*base, InboxResolution.actor, InboxResolution.reason, InboxResolution.created_at.label("at")).join(
            InboxResolution, InboxResolution.question_id == QuestionLog.id).where(InboxResolution.action == CHECKED)
    else:
        rows = select(*base).outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id).where(
            InboxResolution.id.is_(None))
    # The asker is worked out in a subquery and grouped by name: PostgreSQL will not match a CASE with bound
    # values in GROUP BY to the same CASE in the select list.
    if since is not None:
        rows = rows.where(QuestionLog.created_at >= since)
    r = rows.where(flagged()).subquery()
    columns = [r.c.text, r.c.asker, r.c.flag, func.count().label("times"), func.min(r.c.id).label("first_id"),
               func.max(r.c.id).label("last_id"), func.min(r.c.created_at).label("first_seen"),
               func.max(r.c.created_at).label("last_seen")]
    keys = [r.c.text, r.c.asker, r.c.flag]
    if checked:
        columns += [r.c.actor, r.c.reason, func.max(r.c.at).label("at")]
        keys += [r.c.actor, r.c.reason]
    return select(*columns).group_by(*keys)


def _flagged_items(rows: list[Any]) -> list[Flagged]:
    ids = [row.last_id for row in rows]
    replies = dict(db.session.execute(
        select(QuestionLog.id, QuestionLog.safety_reply).where(QuestionLog.id.in_(ids))).all()) if ids else {}
    return [Flagged(row.text, row.asker, row.flag, row.times, row.first_id, row.last_id, row.first_seen,
                    row.last_seen, list(replies.get(row.last_id) or []), getattr(row, "actor", ""),
                    getattr(row, "at", None), getattr(row, "reason", "")) for row in rows]


def open_flagged(limit: int = FLAGGED_MAX) -> FlaggedList:
    """Return the safety and crisis messages staff have not checked yet, newest first: no daily cap, no period."""
    # However old (until `flask logs purge` deletes it), an unchecked one stays: the period filter is for
    # the unanswered questions, which wait for an answer, not for a person to look.
    groups = _flagged_groups(None, checked=False).subquery()
    total = db.session.scalar(select(func.count()).select_from(groups)) or 0
    rows = db.session.execute(select(groups).order_by(groups.c.last_id.desc()).limit(limit)).all()
    return FlaggedList(_flagged_items(rows), total)


def count_open_flagged() -> int:
    """Return how many safety and crisis messages no member of staff has checked yet."""
    return db.session.scalar(
        select(func.count(QuestionLog.id)).outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(InboxResolution.id.is_(None), flagged())) or 0


def checked_flagged(days: int = DEFAULT_DAYS, page: int = 1) -> FlaggedList:
    """Return one page of the flagged messages staff marked 確認済み, most recently checked first."""
    groups = _flagged_groups(_since(days), checked=True).subquery()
    total = db.session.scalar(select(func.count()).select_from(groups)) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    rows = db.session.execute(select(groups).order_by(groups.c.at.desc(), groups.c.last_id.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return FlaggedList(_flagged_items(rows), total, page, pages)


def find_flagged(token: str) -> Flagged | None:
    """Return the open flagged message with this token, as the inbox shows it now."""
    groups = _flagged_groups(None, checked=False).subquery()
    for row in db.session.execute(select(groups)).all():
        item = Flagged(row.text, row.asker, row.flag, row.times, row.first_id, row.last_id, row.first_seen,
                       row.last_seen)
        if item.token == token:
            return item
    return None


def check_flagged(item: Flagged, seen_last_id: int, note: str, actor: str) -> int:
    """Mark a flagged message 確認済み (who and when, audited), up to the last one staff saw; return how many."""
    asker = (QuestionLog.id == int(item.asker[1:])) if item.asker.startswith("#") else (
        QuestionLog.user_hash == item.asker)
    ids = list(db.session.scalars(
        select(QuestionLog.id).outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(InboxResolution.id.is_(None), flagged(), QuestionLog.safety_flag == item.flag,
               QuestionLog.text == item.text, asker, QuestionLog.id <= seen_last_id)))
    note = (note or "").strip()
    for question_id in ids:
        db.session.add(InboxResolution(question_id=question_id, action=CHECKED, reason=note, actor=actor))
    if ids:
        # The message itself stays out of the audit log: its id is enough to find it while it is kept.
        audit.record(actor, "inbox.check", "inbox", item.token,
                     f"受信箱の{item.label}のメッセージ{len(ids)}件を確認済みにしました", None,
                     {"flag": item.flag, "count": len(ids), "question_ids": ids, "note": note})
    db.session.commit()
    return len(ids)


def flagged_wordings(texts: list[str]) -> set[str]:
    """Return which of these wordings were logged as a safety or crisis message."""
    found: set[str] = set()
    texts = list(dict.fromkeys(texts))
    for start in range(0, len(texts), 500):
        found.update(db.session.scalars(
            select(QuestionLog.text).where(flagged(), QuestionLog.text.in_(texts[start:start + 500])).distinct()))
    return found


def refuse_flagged_wording(texts: list[str], question: str) -> None:
    """Raise Invalid when a wording was logged as a safety or crisis message, or the question is one now."""
    # The safety rules run before any FAQ matching: a wording they catch could never reach the entry anyway.
    if flagged_wordings([*texts, question]) or current_rules().match(question):
        raise Invalid("緊急・要配慮のメッセージは想定質問に追加できません（住民の言葉をFAQの学習に使わないためです）。")
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
