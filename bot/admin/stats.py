"""Numbers for the overview page and the entry list: answer rates, feedback, most asked."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, select

from bot.extensions import db
from bot.inbox.flagged import CHECKED, FLAG_LABELS, Flagged, flagged
from bot.inbox.store import count_open_since
from bot.knowledge.listing import AUDIENCES, DEFAULT_AUDIENCE, ask_counts, audience  # noqa: F401
from bot.knowledge.listing import whose as _whose
from bot.models import Entry, InboxResolution, QuestionLog, utcnow
from bot.models.timeutil import local_today

JST = timezone(timedelta(hours=9), "JST")  # Japan has no daylight saving time: weeks start Monday 00:00 JST
SAFETY_WEEKS = 8
RECENT_FLAGGED = 5

QUESTION_OUTCOMES = ("answer", "suggest", "fallback")
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


@dataclass
class SafetyWeek:
    """How many safety replies (緊急) and crisis replies (要配慮) one week (Monday to Sunday, Japan time) had."""

    start: date
    urgent: int
    care: int

    @property
    def end(self) -> date:
        """Return the week's Sunday."""
        return self.start + timedelta(days=6)


def safety_weeks(weeks: int = SAFETY_WEEKS, who: str = DEFAULT_AUDIENCE, now: datetime | None = None) -> list[SafetyWeek]:
    """Count the 緊急 and 要配慮 replies of the last `weeks` weeks (this week included), newest first."""
    today = (now or utcnow()).astimezone(JST).date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(weeks)]
    # Week boundaries in UTC (midnight in Japan), compared in the database: one query, no time-zone functions.
    bounds = [datetime.combine(d, time(), JST).astimezone(timezone.utc) for d in starts]
    columns = []
    for n, begin in enumerate(bounds):
        within = QuestionLog.created_at >= begin if n == 0 else and_(QuestionLog.created_at >= begin,
                                                                      QuestionLog.created_at < bounds[n - 1])
        for flag in FLAG_LABELS:
            columns.append(func.sum(case((and_(within, QuestionLog.safety_flag == flag), 1), else_=0)))
    row = db.session.execute(select(*columns).where(QuestionLog.created_at >= bounds[-1], flagged(),
                                                    _whose(who))).one()
    counts = [int(v or 0) for v in row]
    return [SafetyWeek(start, counts[2 * n], counts[2 * n + 1]) for n, start in enumerate(starts)]


def recent_flagged(limit: int = RECENT_FLAGGED, who: str = DEFAULT_AUDIENCE) -> list[tuple[Flagged, bool]]:
    """Return the newest safety and crisis messages, each with whether staff have checked it."""
    rows = db.session.execute(
        select(QuestionLog.id, QuestionLog.text, QuestionLog.user_hash, QuestionLog.safety_flag,
               QuestionLog.created_at, QuestionLog.safety_reply, InboxResolution.action)
        .outerjoin(InboxResolution, InboxResolution.question_id == QuestionLog.id)
        .where(flagged(), _whose(who)).order_by(QuestionLog.id.desc()).limit(limit)
    ).all()
    return [(Flagged(r.text, r.user_hash or f"#{r.id}", r.safety_flag, 1, r.id, r.id, r.created_at, r.created_at,
                     list(r.safety_reply or [])), r.action == CHECKED) for r in rows]
