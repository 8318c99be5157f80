"""Launch readiness (公開準備): what staff must still fill in before residents rely on an entry."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from bot.knowledge.listing import by_reading
from bot.extensions import db
from bot.models import Entry, Office

# A contact residents can act on names a number to call; 「芦別市役所（担当窓口は…）」 alone does not.
_PHONE = re.compile(r"\d{2,5}[-‐－ー]?\d{1,4}[-‐－ー]?\d{3,4}")


@dataclass
class Readiness:
    """One entry's open points."""

    entry: Entry
    problems: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Tell whether nothing is left to fill in."""
        return not self.problems


def _top_page() -> str:
    return (current_app.config.get("TOWN_WEBSITE") or "").rstrip("/")


def check(entry: Entry, top_page: str, offices: dict[str, Office] | None = None) -> Readiness:
    """Return what the entry still lacks: a resolved review note, its own page, a contact with a number."""
    result = Readiness(entry)
    if (entry.review_note or "").strip():
        result.problems.append("確認メモが未対応")
    url = (entry.url or "").strip().rstrip("/")
    if not url or url == top_page:
        result.problems.append("詳しいページのURLが市のトップページのまま")
    office = (offices or {}).get(entry.office) if entry.office else None
    if office is not None:
        # The bubble's 電話する button dials the office's phone, not the free-text contact.
        if not office.phone:
            result.problems.append(f"担当課「{office.name}」の電話番号が未入力")
    elif not _PHONE.search(entry.contact or ""):
        result.problems.append("お問い合わせ先に電話番号がない")
    return result


def launch_readiness() -> list[Readiness]:
    """Return every live entry's readiness, open ones first (in 50音順)."""
    entries = by_reading(list(db.session.scalars(select(Entry).where(Entry.archived.is_(False)))))
    top = _top_page()
    offices = {o.key: o for o in db.session.scalars(select(Office))}
    rows = [check(e, top, offices) for e in entries]
    return [r for r in rows if not r.done] + [r for r in rows if r.done]


@dataclass(frozen=True)
class TownItem:
    """One of the town's settings residents rely on from the first day (代表電話, 受付時間, ホームページ)."""

    label: str
    value: str
    done: bool
    why: str


def town_items() -> list[TownItem]:
    """Return the town settings to fill in before launch: until the switchboard is set, no reply promises a call."""
    from bot.town.settings import current_town

    town = current_town()
    return [
        TownItem("代表電話", town.phone, bool(town.phone),
                 "未入力のあいだ、「人と話したい」への返事は電話を案内できず、ホームページを案内します。"),
        TownItem("受付時間", town.hours, bool(town.hours), "未入力のあいだ、返事に受付時間が出ません。"),
        TownItem("市のホームページ", town.website, bool(town.website),
                 "未入力のあいだ、電話番号がないときの案内先がありません。"),
    ]


def offices_without_phone() -> list[Office]:
    """Return the offices whose phone staff have not filled in yet."""
    return list(db.session.scalars(select(Office).where(Office.phone == "").order_by(Office.id)))


def counts(rows: list[Readiness]) -> tuple[int, int]:
    """Return how many entries are ready, out of all."""
    return sum(1 for r in rows if r.done), len(rows)
