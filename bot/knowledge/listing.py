"""The entry list: search and filters staff use to find what to fix."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import timedelta

from sqlalchemy import func, select, true

from bot.extensions import db
from bot.knowledge.categories import names as category_names
from bot.matching.normalize import fold
from bot.matching.tokenize import analyze
from bot.models import Entry, QuestionLog, utcnow
from bot.models.timeutil import local_today

SORTS = {"title": "カテゴリ（メニュー順）・50音順", "kana": "タイトルの50音順", "recent": "最近変更された順", "asked": "よく聞かれる順（30日）"}
STATUS_FILTERS = {"": "すべて（アーカイブ以外）", "published": "公開", "draft": "下書き", "archived": "アーカイブ"}


# Whose questions the figures count: residents on LINE by default; staff trying the bot are not residents.
AUDIENCES = {"line": "住民（LINE）", "test": "職員の試し（シミュレーター・コマンドライン）", "all": "すべて"}
DEFAULT_AUDIENCE = "line"


def audience(value: str | None) -> str:
    """Return a known audience code (residents by default)."""
    return value if value in AUDIENCES else DEFAULT_AUDIENCE


def whose(code: str):
    """Return the condition for the questions of an audience."""
    if code == "line":
        return QuestionLog.channel == "line"
    if code == "test":
        return QuestionLog.channel != "line"
    return true()


def ask_counts(days: int = 30, who: str = DEFAULT_AUDIENCE) -> dict[str, int]:
    """Return how often each entry was answered in the last `days` days, by slug."""
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        select(QuestionLog.entry_slug, func.count(QuestionLog.id))
        .where(QuestionLog.created_at >= since, QuestionLog.entry_slug.is_not(None), whose(who),
               QuestionLog.outcome != "contact")  # a wish for staff names the entry read before; it answered nothing
        .group_by(QuestionLog.entry_slug)
    ).all()
    return {slug: count for slug, count in rows}


@dataclass
class EntryFilter:
    """What the staff asked the list for."""

    q: str = ""
    category: str = ""
    status: str = ""
    needs_review: bool = False
    recent_days: int = 0
    sort: str = "title"
    who: str = DEFAULT_AUDIENCE


@lru_cache(maxsize=4096)
def reading(text: str) -> str:
    """Return the hiragana reading of a title, to sort in 50音順 (not by character code)."""
    return analyze(text).reading or fold(text)


def by_reading(entries: list[Entry], *, within_category: bool = True) -> list[Entry]:
    """Return entries in 50音順 of their titles (inside each category in menu order, unless told otherwise)."""
    if within_category:
        menu = {name: n for n, name in enumerate(category_names())}
        return sorted(entries, key=lambda e: (menu.get(e.category, len(menu)), reading(e.category), reading(e.title),
                                              e.title))
    return sorted(entries, key=lambda e: (reading(e.title), e.title))


def live_entries() -> list[Entry]:
    """Return every entry that is not archived."""
    return list(db.session.scalars(select(Entry).where(Entry.archived.is_(False))))


def live_entry(slug: str) -> Entry | None:
    """Return the entry with this slug unless it is archived."""
    return db.session.scalar(select(Entry).where(Entry.slug == slug, Entry.archived.is_(False)))


def categories() -> list[str]:
    """Return the managed categories in menu order, then any other category still in use."""
    listed = category_names()
    used = db.session.scalars(select(Entry.category).distinct().order_by(Entry.category))
    return listed + [c for c in used if c not in listed]


def find_entries(f: EntryFilter) -> list[tuple[Entry, int]]:
    """Return entries matching the filter, each with its answer count over 30 days."""
    query = select(Entry)
    if f.status == "archived":
        query = query.where(Entry.archived.is_(True))
    else:
        query = query.where(Entry.archived.is_(False))
        if f.status in ("published", "draft"):
            query = query.where(Entry.status == f.status)
    if f.category:
        query = query.where(Entry.category == f.category)
    if f.needs_review:
        query = query.where(Entry.review_by.is_not(None), Entry.review_by <= local_today())
    if f.recent_days:
        query = query.where(Entry.changed_at >= utcnow() - timedelta(days=f.recent_days))
    counts = ask_counts(30, f.who)
    entries = list(db.session.scalars(query))
    if f.q.strip():
        # In Python, not SQL: lists are stored as escaped JSON, and folding finds カナ/かな/全角 variants.
        term = fold(f.q)
        entries = [e for e in entries if term and term in _haystack(e)]
    if f.sort == "recent":
        entries.sort(key=lambda e: e.changed_at, reverse=True)
    elif f.sort == "asked":
        entries.sort(key=lambda e: counts.get(e.slug, 0), reverse=True)
    elif f.sort == "kana":
        entries = by_reading(entries, within_category=False)
    else:
        entries = by_reading(entries)
    return [(e, counts.get(e.slug, 0)) for e in entries]


def _haystack(entry: Entry) -> str:
    parts = [entry.slug, entry.title, entry.answer, entry.category, *(entry.questions or []), *(entry.keywords or [])]
    return "\n".join(fold(p) for p in parts)
