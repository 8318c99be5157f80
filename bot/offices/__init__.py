"""Offices (担当課): what answers and contact replies need to know about the office of a topic."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the snapshot carries offices; importing it here would be circular
    from bot.knowledge.index import Snapshot


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


def office_for_entry(snapshot: Snapshot, entry_slug: str) -> OfficeView | None:
    """Return the office an entry names, or None when it names none (or one the snapshot does not hold)."""
    entry = snapshot.entries.get(entry_slug)
    if entry is None or not entry.office:
        return None
    return snapshot.offices.get(entry.office)
