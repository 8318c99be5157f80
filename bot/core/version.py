"""The content version: one counter every worker compares its caches (answers, menu order, offices) against.

A change to what the bot serves bumps it in the change's own transaction; a pack import bumps it once."""
from __future__ import annotations

from sqlalchemy import select, update

from bot.extensions import db
from bot.models import KnowledgeVersion, utcnow

# Every webhook asks this: a Core statement built once skips the ORM's compile path and the cache-key walk.
_CURRENT_VERSION = select(KnowledgeVersion.__table__.c.version).where(KnowledgeVersion.__table__.c.id == 1)


def current_version() -> int:
    """Return the knowledge version every worker compares its index against."""
    version = db.session.execute(_CURRENT_VERSION).scalar()
    return version or 0


def bump_version() -> None:
    """Increase the knowledge version inside the current transaction."""
    result = db.session.execute(
        update(KnowledgeVersion)
        .where(KnowledgeVersion.id == 1)
        .values(version=KnowledgeVersion.version + 1, changed_at=utcnow())
    )
    if result.rowcount == 0:
        db.session.add(KnowledgeVersion(id=1, version=1))
