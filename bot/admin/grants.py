"""Who gave which account its role: recorded on every grant, listed for admins, walked by the approval rule."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from bot.extensions import db
from bot.models import RoleGrant, User


@dataclass(frozen=True)
class Grant:
    """One grant as the overview shows it."""

    email: str
    role: str
    granted_by: str  # e-mail; empty when done on the command line
    at: datetime

    @property
    def via_console(self) -> bool:
        """Tell whether the grant was made in the console rather than on the server's command line."""
        return bool(self.granted_by)


def record(user: User, role: str, actor: str) -> RoleGrant:
    """Add a grant to the session; an actor that is not a staff e-mail ("cli") means the command line."""
    granter = db.session.scalar(select(User.id).where(User.email == actor)) if "@" in (actor or "") else None
    grant = RoleGrant(user_id=user.id, role=role, granted_by=granter)
    db.session.add(grant)
    return grant


def admin_grants(limit: int = 200) -> list[Grant]:
    """Return every grant of the admin role, newest first."""
    who, by = aliased(User), aliased(User)
    rows = db.session.execute(
        select(who.email, RoleGrant.role, by.email, RoleGrant.created_at)
        .join(who, who.id == RoleGrant.user_id).outerjoin(by, by.id == RoleGrant.granted_by)
        .where(RoleGrant.role == "admin").order_by(RoleGrant.id.desc()).limit(limit))
    return [Grant(email, role, granter or "", at) for email, role, granter, at in rows]


def granted_by_any(user_id: int, emails: set[str]) -> bool:
    """Tell whether any of these people made the account, or an account that made it, or gave it a role."""
    suspects = set(db.session.scalars(select(User.id).where(User.email.in_(emails)))) if emails else set()
    if not suspects:
        return False
    # Walk up the chain: an account made by an account someone made is theirs too.
    seen, todo = {user_id}, [user_id]
    while todo:
        granters = set(db.session.scalars(select(RoleGrant.granted_by).where(
            RoleGrant.user_id.in_(todo), RoleGrant.granted_by.is_not(None))))
        if granters & suspects:
            return True
        todo = list(granters - seen)
        seen |= granters
    return False
