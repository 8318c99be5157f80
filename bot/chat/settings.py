"""The counter's settings (町の設定 → オンライン窓口): hours and days, the hand switch, the quiet period, the push quota,
mark-as-read and retention. Stored as town settings (chat_*); the app's CHAT_* settings give the defaults."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app

from bot.core import audit
from bot.core.problems import FORM, Invalid, Problem
from bot.core.tenancy import keyed
from bot.extensions import db
from bot.models import TownSetting, utcnow
from bot.models.timeutil import to_local

DAY_NAMES = "月火水木金土日"  # Python's weekday() order
AUTO, OPEN, CLOSED = "auto", "open", "closed"
SWITCHES = {AUTO: "時間どおり", OPEN: "開ける（時間外も）", CLOSED: "閉める（時間内も）"}
KEYS = ("chat_hours", "chat_days", "chat_switch", "chat_quiet_minutes", "chat_push_quota", "chat_mark_read",
        "chat_retention_days")
_HOURS = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)[-〜~]([01]?\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class CounterSettings:
    """The counter's settings as one town has them now."""

    hours: str  # "08:30-17:15"; empty: no hours (open only by hand)
    days: str  # "月火水木金"
    switch: str  # auto | open | closed
    quiet_minutes: int
    push_quota: int | None  # None: no limit (地方公共団体プラン)
    mark_read: bool
    retention_days: int

    @property
    def span(self) -> tuple[time, time] | None:
        match = _HOURS.match(self.hours)
        if not match:
            return None
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        return time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))

    def within_hours(self, moment: datetime) -> bool:
        span, local = self.span, to_local(moment)
        if span is None or DAY_NAMES[local.weekday()] not in self.days:
            return False
        return span[0] <= local.time().replace(tzinfo=None) < span[1]

    def is_open(self, moment: datetime | None = None) -> bool:
        """Tell whether staff answer chats now: the hand switch, else the hours."""
        if self.switch != AUTO:
            return self.switch == OPEN
        return self.within_hours(moment or utcnow())

    def next_opening(self, moment: datetime | None = None) -> datetime | None:
        """Return when the counter next opens by its hours (local time), or None when it has none."""
        span = self.span
        if span is None or not any(d in DAY_NAMES for d in self.days):
            return None
        local = to_local(moment or utcnow())
        for ahead in range(0, 8):
            day = (local + timedelta(days=ahead)).date()
            if DAY_NAMES[day.weekday()] not in self.days:
                continue
            start = datetime.combine(day, span[0], tzinfo=local.tzinfo)
            if start > local:
                return start
        return None

    def hours_text(self) -> str:
        if self.span is None:
            return "受付時間は設定されていません"
        return f"{_days_text(self.days)} {self.hours.replace('-', '〜')}"


def _days_text(days: str) -> str:
    ordered = "".join(d for d in DAY_NAMES if d in days)
    return {"月火水木金": "平日（月〜金）", DAY_NAMES: "毎日"}.get(ordered, "・".join(ordered))


def defaults() -> dict[str, str]:
    config = current_app.config
    return {"chat_hours": config["CHAT_HOURS"], "chat_days": config["CHAT_DAYS"], "chat_switch": AUTO,
            "chat_quiet_minutes": str(config["CHAT_QUIET_MINUTES"]), "chat_push_quota": config["CHAT_PUSH_QUOTA"],
            "chat_mark_read": "off", "chat_retention_days": str(config["LOG_RETENTION_DAYS"])}


def _stored() -> dict[str, str]:
    rows = db.session.execute(db.select(TownSetting).where(TownSetting.key.in_(KEYS))).scalars()
    return {row.key: row.value for row in rows}


def raw_values() -> dict[str, str]:
    """Return each setting as text: what staff set, else the default."""
    return {**defaults(), **_stored()}


def current() -> CounterSettings:
    """Return the current town's counter settings."""
    v = raw_values()
    quota = v["chat_push_quota"].strip()
    return CounterSettings(
        hours=v["chat_hours"].strip(), days=v["chat_days"], switch=v["chat_switch"] if v["chat_switch"] in SWITCHES else AUTO,
        quiet_minutes=_int(v["chat_quiet_minutes"], 60), push_quota=int(quota) if quota.isdigit() else None,
        mark_read=v["chat_mark_read"] == "on", retention_days=_int(v["chat_retention_days"], 180))


def _int(value: str, default: int) -> int:
    return int(value) if value.strip().isdigit() else default


def problems(values: dict[str, str]) -> list[Problem]:
    """Return, in Japanese, what is wrong with the values (each with its key)."""
    out = []
    hours = values.get("chat_hours", "").strip()
    if hours and not _HOURS.match(hours):
        out.append(Problem(FORM, "chat_hours", "受付時間は 08:30-17:15 の形で入力してください（空欄：時間を決めない）。"))
    elif hours:
        h1, m1, h2, m2 = (int(x) for x in _HOURS.match(hours).groups())
        if (h1, m1) >= (h2, m2):
            out.append(Problem(FORM, "chat_hours", "受付時間の終わりは始まりより後にしてください。"))
    days = values.get("chat_days", "")
    if any(d not in DAY_NAMES for d in days):
        out.append(Problem(FORM, "chat_days", "受付日は「月火水木金」のように曜日の漢字で選んでください。"))
    if values.get("chat_switch", AUTO) not in SWITCHES:
        out.append(Problem(FORM, "chat_switch", "窓口の状態は「時間どおり」「開ける」「閉める」から選んでください。"))
    for key, label, low, high in (("chat_quiet_minutes", "自動で終える時間（分）", 1, 7 * 24 * 60),
                                  ("chat_retention_days", "保存期間（日）", 1, 100 * 366)):
        raw = values.get(key, "").strip()
        if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
            out.append(Problem(FORM, key, f"{label}は {low}〜{high} の整数で入力してください。"))
    quota = values.get("chat_push_quota", "").strip()
    if quota and not (quota.isascii() and quota.isdigit() and int(quota) <= 100_000_000):
        out.append(Problem(FORM, "chat_push_quota", "月の送信上限は整数で入力してください（空欄：上限なし）。"))
    if values.get("chat_mark_read", "off") not in ("on", "off"):
        out.append(Problem(FORM, "chat_mark_read", "既読の設定は on か off です。"))
    return out


def save(values: dict[str, str], actor: str) -> list[str]:
    """Store the settings that changed, audited, and commit; raise Invalid for a bad value."""
    values = {k: (v or "").strip() for k, v in values.items() if k in KEYS}
    found = problems({**raw_values(), **values})
    if found:
        raise Invalid(found)
    now = raw_values()
    before, after = {}, {}
    for key, value in values.items():
        if value != now[key]:
            before[key], after[key] = now[key], value
            _put(key, value, actor)
    if after:
        audit.record(actor, "chat.settings", "chat", "オンライン窓口", f"オンライン窓口の設定を変更（{len(after)}項目）",
                     before, after)
    db.session.commit()
    return list(after)


def set_switch(switch: str, actor: str) -> str:
    """Open or close the counter by hand (or back to its hours), audited; commit. Return the previous switch."""
    if switch not in SWITCHES:
        raise Invalid("窓口の状態は「時間どおり」「開ける」「閉める」から選んでください。", "chat_switch")
    before = raw_values()["chat_switch"]
    if before != switch:
        _put("chat_switch", switch, actor)
        audit.record(actor, f"chat.switch_{switch}", "chat", "オンライン窓口", f"窓口を{SWITCHES[switch]}に切り替え",
                     {"chat_switch": before}, {"chat_switch": switch})
    db.session.commit()
    return before


def mark_active(on: bool) -> None:
    """Note whether any chat is open (chat_active): the webhook looks for a resident's chat only while one is. Part of
    the caller's transaction; after its commit this process sees it at once, other workers within TOWN_CACHE_SECONDS."""
    row = keyed(TownSetting, "chat_active")
    if (row is not None and row.value == "on") == on:
        return
    _put("chat_active", "on" if on else "off", "system")


def _put(key: str, value: str, actor: str) -> None:
    row = keyed(TownSetting, key)
    if row is None:
        row = TownSetting(key=key)
        db.session.add(row)
    row.value, row.updated_at, row.updated_by = value, utcnow(), actor
