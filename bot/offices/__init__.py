"""Offices (担当課): what answers and contact replies need to know about the office of a topic.

The knowledge snapshot carries them: `Snapshot.office_for(slug)` returns the office an entry names."""
from __future__ import annotations

from dataclasses import dataclass

from bot.offices import labels as _labels  # noqa: F401  (registers its Japanese names in bot.core.labels)


@dataclass(frozen=True)
class OfficeView:
    """A read-only copy of an office, safe to use outside the database session."""

    key: str
    name: str
    phone: str = ""
    hours: str = ""
    email: str = ""
    url: str = ""
    place: str = ""
