"""Screen heartbeats, which screens have gone quiet, and the KPI 設置施設数 (facilities with a live screen)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from bot.extensions import db
from bot.models import Facility, Screen, utcnow

# A screen that polls every few seconds and has not been heard of for this long needs someone to look at it.
SILENT_AFTER = timedelta(minutes=10)
# Record a heartbeat at most this often per screen: polls every 10 s must not each write a row.
HEARTBEAT_EVERY = timedelta(seconds=30)
# 第２期総合戦略 78頁 ②行政情報発信のデジタル化の推進: 設置施設数 1 (令和4年度) → 5 (令和6年度).
KPI = {"baseline": 1, "baseline_year": "令和4年度", "target": 5, "target_year": "令和6年度",
       "source": "総合戦略78頁 ②行政情報発信のデジタル化の推進"}


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def heartbeat(screen: Screen, now: datetime) -> bool:
    """Note that a screen was seen, writing at most once per HEARTBEAT_EVERY; tell whether it wrote."""
    seen = _aware(screen.last_seen_at)
    if seen is not None and now - seen < HEARTBEAT_EVERY:
        return False
    screen.last_seen_at = now
    db.session.commit()
    return True


@dataclass(frozen=True)
class ScreenState:
    """How a screen is doing, as the console shows it."""

    code: str  # live | silent | never | retired
    label: str


def state(screen: Screen, now: datetime) -> ScreenState:
    """Return whether a screen is live, silent for 10 minutes, never connected or retired."""
    if screen.retired_at is not None:
        return ScreenState("retired", "廃止")
    seen = _aware(screen.last_seen_at)
    if seen is None:
        return ScreenState("never", "未接続")
    if now - seen >= SILENT_AFTER:
        return ScreenState("silent", "10分以上応答なし")
    return ScreenState("live", "表示中")


def live_facilities(now: datetime) -> int:
    """Return how many facilities have at least one screen seen in the last 10 minutes."""
    since = now - SILENT_AFTER
    rows = db.session.execute(select(Screen.facility_id).where(
        Screen.retired_at.is_(None), Screen.last_seen_at.is_not(None), Screen.last_seen_at > since).distinct())
    return len(rows.all())


def has_screens() -> bool:
    """Tell whether any screen is set up (and not retired): until then the KPI has nothing to count."""
    return db.session.scalar(select(Screen.id).where(Screen.retired_at.is_(None)).limit(1)) is not None


def kpi(now: datetime | None = None) -> dict:
    """Return the KPI 設置施設数: live facilities now, all facilities, and the plan's baseline and target."""
    now = now or utcnow()
    targets = {**KPI, **current_app.config.get("SIGNAGE_KPI", {})}
    total = db.session.scalar(select(db.func.count(Facility.id))) or 0
    return {**targets, "live": live_facilities(now), "facilities": total}
