"""What a screen shows: the displayed notices for its facility, as public fields only, and their ETag."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app

from bot.town.model import Town
from bot.core.tenancy import current_town_id
from bot.models import Notice, Screen
from bot.models.tenancy import DEFAULT_TOWN_ID
from bot.kpi.store import signage_panel
from bot.notices.public import display_start, displayed
from bot.signage import qr
from bot.models.timeutil import to_local
from bot.town.settings import current_town

WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class Item:
    """One notice as a screen shows it: nothing but public text, its period and a QR code."""

    title: str
    body: str
    period: str
    until: str  # ISO 8601 UTC, so the page drops the notice on time even while offline; "" when open-ended
    qr: str
    qr_label: str

    def as_dict(self) -> dict:
        """Return the item as plain JSON data."""
        return {"title": self.title, "body": self.body, "period": self.period, "until": self.until,
                "qr": self.qr, "qr_label": self.qr_label}


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)  # SQLite hands back naive UTC
    return value


def month_day(value: datetime) -> str:
    """Return a date as 12月1日 in Japan time."""
    local = to_local(value)
    return f"{local.month}月{local.day}日"


def clock_text(value: datetime) -> str:
    """Return the date and time as a screen shows it: 12月1日（火） 10:05."""
    local = to_local(value)
    return f"{local.month}月{local.day}日（{WEEKDAYS[local.weekday()]}） {local:%H:%M}"


def period_text(notice: Notice) -> str:
    """Return 掲載期間 12月1日〜12月15日 for a notice (from approval when no start was given)."""
    start = display_start(notice) or _aware(notice.display_from)
    until = _aware(notice.display_until)
    if until is None:
        return f"掲載期間 {month_day(start)}から" if start else ""
    # An end at midnight means "through the day before" to a reader.
    last = until - timedelta(seconds=1)
    return f"掲載期間 {month_day(start) if start else ''}〜{month_day(last)}"


def fallback_link(town: Town) -> tuple[str, str]:
    """Return the QR target for notices without a link: the LINE account, else the town's website."""
    # LINE_ADD_FRIEND_URL is the deployment's own (default) town's account: another town's screens never show it.
    add_friend = current_app.config.get("LINE_ADD_FRIEND_URL", "") if current_town_id() == DEFAULT_TOWN_ID else ""
    if add_friend:
        return add_friend, "LINEで友だち追加"
    return town.website, f"{town.kind}のホームページ"


def item(notice: Notice, fallback: tuple[str, str]) -> Item:
    """Return a notice's public face on a screen."""
    if notice.url:
        link, label = notice.url, "くわしくはこちら"
    else:
        link, label = fallback
    until = _aware(notice.display_until)
    return Item(title=notice.title, body=notice.body, period=period_text(notice),
                until=until.astimezone(timezone.utc).isoformat() if until else "",
                qr=qr.data_uri(link) if link else "", qr_label=label if link else "")


def payload(screen: Screen, now: datetime) -> dict:
    """Return everything a screen shows now, as JSON data (no ids, authors or approvers)."""
    town = current_town()  # one query for the name, the website, the banner and whether disaster mode is on
    fallback = fallback_link(town)
    items = [item(n, fallback).as_dict() for n in displayed(None, now, "signage", screen.facility_id)]
    link, label = fallback
    return {"town": town.name, "facility": screen.facility.name,
            "idle": {"qr": qr.data_uri(link) if link else "", "qr_label": label if link else ""},
            "disaster": town.disaster_banner if town.disaster else "", "notices": items,
            "shelters": shelters_shown() if town.disaster else [],
            # まちの目標（総合戦略のKPI）: a strip under the notices, left out in disaster mode.
            "kpi": [] if town.disaster else signage_panel(now),
            "poll": current_app.config["SIGNAGE_POLL_SECONDS"], "rotate": current_app.config["SIGNAGE_ROTATE_SECONDS"]}


def shelters_shown() -> list[dict]:
    """Return the open and full shelters as a screen shows them in disaster mode: public fields only."""
    from bot.shelters.answer import public_shelters  # the shelters room builds on the conversation
    from bot.shelters.reply import local_time

    return [{"name": s.name, "address": s.address, "status": s.status, "label": s.status_label,
             "updated": f"{local_time(s.updated)} 更新" if s.updated else ""} for s in public_shelters()]


def etag(data: dict) -> str:
    """Return a strong ETag for the content (the same content gives the same tag on every worker)."""
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()[:32]
