"""The question log as the inbox reads it: the periods it offers and who asked."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, case, cast

from bot.models import QuestionLog, utcnow

DEFAULT_DAYS = 90
DAY_CHOICES = (7, 30, 90, 180)
PAGE_SIZE = 25


def period(value: Any) -> int:
    """Return a period in days the inbox offers (the default otherwise)."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in DAY_CHOICES else DEFAULT_DAYS


def days_ago(days: int, now: datetime | None = None) -> datetime:
    """Return the moment `days` days before now."""
    return (now or utcnow()) - timedelta(days=days)


def asker_column():
    """Return who asked a logged question: the resident's hash, or the row itself when there is none."""
    # Rows without a resident (simulator, command line) are each their own asker.
    return case((QuestionLog.user_hash == "", "#" + cast(QuestionLog.id, String)), else_=QuestionLog.user_hash)
