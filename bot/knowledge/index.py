"""The per-process matcher index, rebuilt whenever the knowledge version changes."""
from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, g, has_request_context
from sqlalchemy import select

from bot.extensions import db
from bot.knowledge.pack import SYNONYMS_FILE, validate_synonyms
from bot.core.problems import load_yaml
from bot.core.tenancy import town_cache, town_caches
from bot.core.version import current_version
from bot.matching import Decision, Document, Matcher
from bot.models import Category, Entry, Office
from bot.offices import OfficeView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryView:
    """A read-only copy of an entry, safe to use outside the database session."""

    slug: str
    title: str
    category: str
    answer: str
    url: str
    contact: str
    source: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    status: str
    office: str = ""  # the key of its office in Snapshot.offices


class DecisionCache:
    """Remember one snapshot's recent decisions, by the matcher's key of the question (LRU)."""

    # A storm is many residents asking the same thing, often in the same words.
    # The cache lives and dies with its snapshot, so a knowledge edit can never serve an old decision.

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[str, Decision] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, query: str) -> Decision | None:
        """Return the remembered decision for query, or None."""
        with self._lock:
            decision = self._items.get(query)
            if decision is None:
                self.misses += 1
                return None
            self._items.move_to_end(query)
            self.hits += 1
            return decision

    def put(self, query: str, decision: Decision) -> None:
        """Remember a decision, forgetting the least recently used one when full."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[query] = decision
            self._items.move_to_end(query)
            if len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the knowledge: version, matcher and entries by slug."""

    version: int
    matcher: Matcher
    entries: dict[str, EntryView]
    drafts_included: bool = False
    menu_order: tuple[str, ...] = ()  # the managed categories, as admins ordered them
    offices: dict[str, OfficeView] = field(default_factory=dict)  # by key: a reply names its office without a query
    decisions: DecisionCache = field(default_factory=lambda: DecisionCache(0), compare=False, repr=False)

    def decide(self, query: str) -> Decision:
        """Return the matcher's decision for query, from the cache when the same question was asked before."""
        key = self.matcher.key(query)  # 「給食費について教えてください」 and 「給食費」 are one question
        decision = self.decisions.get(key)
        if decision is None:
            decision = self.matcher.decide(query)
            self.decisions.put(key, decision)
        return decision

    def categories(self) -> list[str]:
        """Return the categories that have answerable entries, in the menu order admins chose."""
        used = {e.category for e in self.entries.values() if e.category}
        ordered = [name for name in self.menu_order if name in used]
        return ordered + sorted(used - set(ordered))  # a category not in the managed list still shows, last

    def office_for(self, entry_slug: str) -> OfficeView | None:
        """Return the office an entry names, or None when it names none (or one this snapshot does not hold)."""
        entry = self.entries.get(entry_slug)
        if entry is None or not entry.office:
            return None
        return self.offices.get(entry.office)


def load_synonyms(directory: str) -> dict[str, list[str]]:
    """Read the staff-editable synonym table, or nothing when it is missing or broken."""
    path = Path(directory) / SYNONYMS_FILE
    if not path.exists():
        return {}
    raw, problems = load_yaml(path)
    problems = problems or validate_synonyms(raw, path.name)
    if problems:
        # A broken synonym file must not take the bot down; answer without it and say why.
        log.error("ignoring %s: %s", path, "; ".join(map(str, problems)))
        return {}
    return {str(k): [str(v) for v in vs] for k, vs in (raw or {}).items()}


def _view(entry: Entry) -> EntryView:
    return EntryView(
        slug=entry.slug, title=entry.title, category=entry.category, answer=entry.answer,
        url=entry.url or "", contact=entry.contact or "", source=entry.source or "",
        questions=tuple(entry.questions or ()), keywords=tuple(entry.keywords or ()), status=entry.status,
        office=entry.office or "",
    )


def build_snapshot(version: int, *, include_drafts: bool = False) -> Snapshot:
    """Build a matcher over the answerable entries (and drafts, for staff previews)."""
    query = select(Entry).where(Entry.archived.is_(False))
    if not include_drafts:
        query = query.where(Entry.status == "published")
    entries = {e.slug: _view(e) for e in db.session.scalars(query)}
    docs = [
        Document(id=e.slug, title=e.title, questions=e.questions, keywords=e.keywords,
                 answer=e.answer, category=e.category)
        for e in entries.values()
    ]
    matcher = Matcher.build(docs, synonyms=load_synonyms(current_app.config["KNOWLEDGE_DIR"]))
    cache = DecisionCache(0 if include_drafts else current_app.config["DECISION_CACHE_SIZE"])
    # Moving a category bumps the knowledge version, so the order is part of the snapshot like the entries.
    order = tuple(db.session.scalars(select(Category.name).order_by(Category.position, Category.id)))
    # An office edit bumps the knowledge version too, so its phone is part of the snapshot like the entries.
    offices = {o.key: OfficeView(key=o.key, name=o.name, phone=o.phone, hours=o.hours, email=o.email, url=o.url,
                                 place=o.place) for o in db.session.scalars(select(Office))}
    return Snapshot(version=version, matcher=matcher, entries=entries, drafts_included=include_drafts,
                    menu_order=order, decisions=cache, offices=offices)


class IndexCache:
    """Hold the latest snapshot for this process and swap it atomically on a version change."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    @property
    def latest(self) -> Snapshot | None:
        """Return the snapshot built last, without asking the database."""
        return self._snapshot

    def get(self) -> Snapshot:
        """Return a snapshot that matches the database's knowledge version."""
        version = current_version()
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.version != version:
                snapshot = build_snapshot(version)
                # One reference assignment: readers see the old or the new index, never a mix.
                self._snapshot = snapshot
                log.info("knowledge index built: version %s, %s entries", version, len(snapshot.entries))
        return snapshot


def log_cache_stats(app) -> None:
    """Log the decision caches' hits and misses since each town's last knowledge change, summed over the towns
    this process holds (gunicorn's worker_exit calls it outside any town)."""
    caches = town_caches("kb_index", app)
    with caches.lock if caches else nullcontext():
        held = list(caches.items.values()) if caches else []
    snapshots = [cache.latest for cache in held if cache.latest is not None]
    if snapshots:
        log.info("decision cache: hits=%d misses=%d (%d town(s))", sum(s.decisions.hits for s in snapshots),
                 sum(s.decisions.misses for s in snapshots), len(snapshots))


def knowledge(*, recheck: bool = False) -> Snapshot:
    """Return this process's current knowledge snapshot (checked once per request, or again on recheck)."""
    # One version check per request: an event's reply is built from one consistent snapshot.
    if has_request_context() and "kb_snapshot" in g and not recheck:
        return g.kb_snapshot
    snapshot = _index_cache().get()
    if has_request_context():
        g.kb_snapshot = snapshot
    return snapshot


def latest_knowledge() -> Snapshot:
    """Return the snapshot this process built last, without asking the database unless there is none yet."""
    # For writers that verify the version in the statement that records their work (records.record_question):
    # checking it beforehand as well would cost a round trip per question.
    return _index_cache().latest or knowledge()


def _index_cache() -> IndexCache:
    # One index per town, the least recently asked town's dropped first (TOWN_CACHE_TOWNS); built on first use.
    return town_cache("kb_index", IndexCache)
