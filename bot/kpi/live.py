"""The two KPIs the bot counts itself: the supporters' club (paper + online) and facilities with a live screen."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bot.forms.kpi import registrations
from bot.models.timeutil import to_local
from bot.signage.health import has_screens, live_facilities

# The form whose registrations are the club's members (knowledge/forms/supporters-club.yaml).
SUPPORTERS_FORM = "supporters-club"
SOURCES = {"supporters_club": "自動集計：応援団の登録（紙で受け付けた数＋オンラインの申込み）",
           "signage_facilities": "自動集計：10分以内に連絡のあったサイネージ画面がある施設"}


@dataclass(frozen=True)
class Count:
    """A live count: its value now, the day it describes and where it comes from."""

    value: Decimal
    as_of: date
    source: str


def count(live: str, now: datetime) -> Count | None:
    """Return the live count named in kpi.yaml, or None when there is nothing to count (no such form)."""
    today = to_local(now).date()
    if live == "supporters_club":
        total = registrations(SUPPORTERS_FORM)
        return None if total is None else Count(Decimal(total), today, SOURCES[live])
    if live == "signage_facilities":
        if not has_screens():
            return None  # no screen set up yet: 未入力, not a count of zero
        return Count(Decimal(live_facilities(now)), today, SOURCES[live])
    return None
