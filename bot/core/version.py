"""The content version: one counter every worker compares its caches (answers, menu order, offices) against.

A change to what the bot serves bumps it in the change's own transaction; a pack import bumps it once."""
from __future__ import annotations

from sqlalchemy import bindparam, select, update

from bot.extensions import db
from bot.models import KnowledgeVersion, utcnow
from bot.core.tenancy import execute_core
from bot.models.tenancy import require_town_id

# Every webhook asks this: a Core statement built once skips the ORM's compile path and the cache-key walk.
# One row per town.
_CURRENT_VERSION = select(KnowledgeVersion.__table__.c.version).where(
    KnowledgeVersion.__table__.c.town_id == bindparam("town"))


def current_version() -> int:
    """Return the knowledge version every worker compares its index against."""
    version = execute_core(_CURRENT_VERSION, {"town": require_town_id()}).scalar()
    return version or 0


def bump_version() -> None:
    """Increase the knowledge version inside the current transaction."""
    result = db.session.execute(
        update(KnowledgeVersion)  # the current town's row (bot/core/tenancy.py adds the town)
        .values(version=KnowledgeVersion.version + 1, changed_at=utcnow())
    )
    if result.rowcount == 0:
        db.session.add(KnowledgeVersion(version=1))
