"""Notice settings (read from the environment by bot/config.py): quiet hours, time zone, the approval rule."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

from flask import current_app


@dataclass(frozen=True)
class QuietHours:
    """A daily window, possibly across midnight, when nothing is sent."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Tell whether a local wall-clock time falls in the window."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def label(self) -> str:
        """Return the window as HH:MM–HH:MM."""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def parse_quiet_hours(value: str) -> QuietHours | None:
    """Parse "21:00-08:00"; empty or equal ends mean no quiet hours."""
    value = (value or "").strip().replace("–", "-").replace("〜", "-").replace("~", "-")
    if not value:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-", 1))
    except ValueError as exc:
        raise ValueError(f"NOTICE_QUIET_HOURS must look like 21:00-08:00, not {value!r}") from exc
    return None if start == end else QuietHours(start, end)


def quiet_hours() -> QuietHours | None:
    """Return the configured quiet hours, if any."""
    return parse_quiet_hours(current_app.config["NOTICE_QUIET_HOURS"])


def local_zone() -> ZoneInfo:
    """Return the time zone notices are scheduled in."""
    return ZoneInfo(current_app.config["NOTICE_TIMEZONE"])


def approval_required() -> bool:
    """Tell whether notices need an approver other than their author."""
    return bool(current_app.config["NOTICE_APPROVAL_REQUIRED"])
