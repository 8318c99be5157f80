"""Safety and crisis messages in the inbox (question_log.safety_flag): listed apart, checked (確認済み) by staff."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.core import audit
from bot.core.problems import Invalid
from bot.extensions import db
from bot.inbox.log import DEFAULT_DAYS, PAGE_SIZE, asker_column, days_ago
from bot.models import InboxResolution, QuestionLog
from bot.safety import urgent_rules

# Safety and crisis messages (question_log.safety_flag): listed on their own above the unanswered groups,
# never capped per resident, never offered for FAQ learning, closed only by a member of staff's 確認済み.
FLAG_LABELS = {"urgent": "緊急", "care": "要配慮"}
# A reply the learned model chose (knowledge/safety-model.yaml) when the rules found nothing: staff should review it.
LEARNED_LABEL = "自動判定（学習モデル）"
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
    def learned(self) -> float:
        """Return P(urgent) when the learned model chose the reply (the rules found nothing), else 0."""
        return max((float(r.get("learned") or 0) for r in self.replies), default=0.0)

    @property
    def reply_note(self) -> str:
        """Return what the bot told the resident, for staff: 「119番・110番をご案内済み」, and
        「自動判定（学習モデル）」 when the learned model, not a rule, chose the reply."""
        numbers = [f"{n}番" if n.isdigit() and len(n) == 3 else n for n in self.numbers]
        note = f"{'・'.join(numbers)}をご案内済み" if numbers else "緊急の案内を返信済み"
        if self.learned:
            note += f"・{LEARNED_LABEL}（確率{self.learned:.0%}）"
        return note


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
    base = [QuestionLog.id, QuestionLog.text, asker_column().label("asker"), QuestionLog.safety_flag.label("flag"),
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
    groups = _flagged_groups(days_ago(days), checked=True).subquery()
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
    # The safety rules (and the learned model after them) run before any FAQ matching: a wording they catch could
    # never reach the entry anyway.
    if flagged_wordings([*texts, question]) or urgent_rules(question):
        raise Invalid("緊急・要配慮のメッセージは想定質問に追加できません（住民の言葉をFAQの学習に使わないためです）。")
