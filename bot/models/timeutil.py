"""Timezone-aware clock helpers for models."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)
