"""The per-process matcher index, rebuilt whenever the knowledge version changes."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g, has_request_context
from sqlalchemy import select

from bot.extensions import db
from bot.knowledge.pack import SYNONYMS_FILE, PackError, load_yaml, validate_synonyms
from bot.knowledge.store import current_version
from bot.matching import Document, Matcher
from bot.models import Entry

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


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the knowledge: version, matcher and entries by slug."""

    version: int
    matcher: Matcher
    entries: dict[str, EntryView]
    drafts_included: bool = False


def load_synonyms(directory: str) -> dict[str, list[str]]:
    """Read the staff-editable synonym table, or nothing when it is missing or broken."""
    path = Path(directory) / SYNONYMS_FILE
    if not path.exists():
        return {}
    raw, problems = load_yaml(path)
    problems = problems or validate_synonyms(raw, path.name)
    if problems:
        # A broken synonym file must not take the bot down; answer without it and say why.
        log.error("ignoring %s: %s", path, PackError(problems))
        return {}
    return {str(k): [str(v) for v in vs] for k, vs in (raw or {}).items()}


def _view(entry: Entry) -> EntryView:
    return EntryView(
        slug=entry.slug, title=entry.title, category=entry.category, answer=entry.answer,
        url=entry.url or "", contact=entry.contact or "", source=entry.source or "",
        questions=tuple(entry.questions or ()), keywords=tuple(entry.keywords or ()), status=entry.status,
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
    return Snapshot(version=version, matcher=matcher, entries=entries, drafts_included=include_drafts)


class IndexCache:
    """Hold the latest snapshot for this process and swap it atomically on a version change."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

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


def knowledge() -> Snapshot:
    """Return this process's current knowledge snapshot (checked once per request)."""
    # One version check per request: an event's reply is built from one consistent snapshot.
    if has_request_context() and "kb_snapshot" in g:
        return g.kb_snapshot
    cache = current_app.extensions.setdefault("kb_index", IndexCache())
    snapshot = cache.get()
    if has_request_context():
        g.kb_snapshot = snapshot
    return snapshot
