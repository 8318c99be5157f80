"""Notice settings from the environment, with defaults safe for a town hall."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def defaults_from_environment() -> dict[str, Any]:
    """Return the notice settings read from the environment."""
    env = os.environ.get
    return {
        # Topics residents can subscribe to: "slug=Name:category|category, ..." or empty to use the pack's categories.
        "NOTICE_TOPICS": env("NOTICE_TOPICS", ""),
        "NOTICE_TIMEZONE": env("NOTICE_TIMEZONE", env("TOWN_TIMEZONE", "Asia/Tokyo")),
        # Sends that fall in quiet hours wait for the morning; empty disables quiet hours.
        "NOTICE_QUIET_HOURS": env("NOTICE_QUIET_HOURS", "21:00-08:00"),
        # The two-person rule: someone other than the author (an admin) approves before anything is sent.
        "NOTICE_APPROVAL_REQUIRED": _flag(env("NOTICE_APPROVAL_REQUIRED"), True),
        # Test sends each staff member may make per hour (to registered staff test recipients only).
        "NOTICE_TEST_SENDS_PER_HOUR": int(env("NOTICE_TEST_SENDS_PER_HOUR", "10")),
        "NOTICE_SEND_TIMEOUT": float(env("NOTICE_SEND_TIMEOUT", "10")),
        # A claimed batch whose worker went silent this long is taken over by another worker.
        "NOTICE_LEASE_SECONDS": float(env("NOTICE_LEASE_SECONDS", "120")),
        "NOTICE_MAX_ATTEMPTS": int(env("NOTICE_MAX_ATTEMPTS", "10")),
        "NOTICE_RETRY_BASE_SECONDS": float(env("NOTICE_RETRY_BASE_SECONDS", "2")),
        "NOTICE_RETRY_MAX_SECONDS": float(env("NOTICE_RETRY_MAX_SECONDS", "300")),
        "NOTICE_POLL_SECONDS": float(env("NOTICE_POLL_SECONDS", "5")),
        # Run the worker inside `flask run` (development only) so the embedded default sends due notices.
        "NOTICE_DEV_WORKER": _flag(env("NOTICE_DEV_WORKER"), False),
    }


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
