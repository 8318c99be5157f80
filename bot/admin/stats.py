"""Numbers for the overview page and the entry list: answer rates, feedback, most asked."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select, true

from bot.extensions import db
from bot.inbox import count_open_since
from bot.models import Entry, QuestionLog, utcnow
from bot.models.timeutil import local_today

QUESTION_OUTCOMES = ("answer", "suggest", "fallback")
# Whose questions the figures count: residents on LINE by default; staff trying the bot are not residents.
AUDIENCES = {"line": "住民（LINE）", "test": "職員の試し（シミュレーター・コマンドライン）", "all": "すべて"}
DEFAULT_AUDIENCE = "line"


def audience(value: str | None) -> str:
    """Return a known audience code (residents by default)."""
    return value if value in AUDIENCES else DEFAULT_AUDIENCE


def _whose(code: str):
    if code == "line":
        return QuestionLog.channel == "line"
    if code == "test":
        return QuestionLog.channel != "line"
    return true()


@dataclass
class Period:
    """Question counts over the last `days` days."""

    days: int
    questions: int
    answered: int
    suggested: int
    fallback: int
    up: int
    down: int

    @property
    def answer_rate(self) -> float | None:
        """Return the share of questions answered directly, or None without questions."""
        return self.answered / self.questions if self.questions else None


def period(days: int, who: str = DEFAULT_AUDIENCE) -> Period:
    """Count questions, outcomes and feedback over the last `days` days."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(QuestionLog.outcome, func.count(QuestionLog.id))
        .where(QuestionLog.created_at >= since, QuestionLog.outcome.in_(QUESTION_OUTCOMES), _whose(who))
        .group_by(QuestionLog.outcome)
    ).all()
    by_outcome = dict(rows)
    feedback = dict(db.session.execute(
        select(QuestionLog.feedback, func.count(QuestionLog.id))
        .where(QuestionLog.created_at >= since, QuestionLog.feedback.is_not(None), _whose(who))
        .group_by(QuestionLog.feedback)
    ).all())
    return Period(
        days=days, questions=sum(by_outcome.values()), answered=by_outcome.get("answer", 0),
        suggested=by_outcome.get("suggest", 0), fallback=by_outcome.get("fallback", 0),
        up=feedback.get("up", 0), down=feedback.get("down", 0),
    )


def ask_counts(days: int = 30, who: str = DEFAULT_AUDIENCE) -> dict[str, int]:
    """Return how often each entry was answered in the last `days` days, by slug."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(QuestionLog.entry_slug, func.count(QuestionLog.id))
        .where(QuestionLog.created_at >= since, QuestionLog.entry_slug.is_not(None), _whose(who),
               QuestionLog.outcome != "contact")  # a wish for staff names the entry read before; it answered nothing
        .group_by(QuestionLog.entry_slug)
    ).all()
    return {slug: count for slug, count in rows}


def most_asked(days: int = 30, limit: int = 10, who: str = DEFAULT_AUDIENCE) -> list[tuple[Entry, int]]:
    """Return the most answered entries with their counts."""
    counts = ask_counts(days, who)
    top = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    entries = {e.slug: e for e in db.session.scalars(select(Entry).where(Entry.slug.in_([s for s, _ in top])))}
    return [(entries[slug], n) for slug, n in top if slug in entries]


def needing_review(today: date | None = None) -> list[Entry]:
    """Return live entries whose review date has passed, oldest first."""
    today = today or local_today()
    return list(db.session.scalars(
        select(Entry).where(Entry.archived.is_(False), Entry.review_by.is_not(None), Entry.review_by <= today)
        .order_by(Entry.review_by)
    ))


def unanswered_this_week() -> int:
    """Return how many questions from the last 7 days still wait in the inbox."""
    return count_open_since(utcnow() - timedelta(days=7))
