"""Who gave which account its role: recorded on every grant, confirmed by a second admin, walked by the approval rule.

The two-person rule (bot/notices/workflow.py) refuses an approver whom a notice's author made, promoted to admin
or issued a password: such an account may be the author's puppet. An admin grant made in the console therefore
waits for another admin, who confirms that the account belongs to a real, separate person; once confirmed, the
account no longer counts as its maker's. Grants made on the command line (server access) are trusted as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bot.core import audit
from bot.core.problems import Invalid
from bot.staff.sessions import end_sessions
from bot.extensions import db
from bot.models import RoleGrant, User, utcnow

CONFIRMED, REFUSED = "confirmed", "refused"


@dataclass(frozen=True)
class Grant:
    """One grant as the overview and the accounts page show it."""

    email: str
    role: str
    granted_by: str  # e-mail; empty when done on the command line
    at: datetime
    decision: str | None = None
    decided_by: str = ""
    decided_at: datetime | None = None
    id: int = 0

    @property
    def via_console(self) -> bool:
        """Tell whether the grant was made in the console rather than on the server's command line."""
        return bool(self.granted_by)

    @property
    def waiting(self) -> bool:
        """Tell whether another admin still has to confirm (or refuse) this grant."""
        return self.via_console and self.role == "admin" and self.decision is None


def record(user: User, role: str, actor: str) -> RoleGrant:
    """Add a grant to the session; an actor that is not a staff e-mail ("cli") means the command line."""
    granter = db.session.scalar(select(User.id).where(User.email == actor)) if "@" in (actor or "") else None
    grant = RoleGrant(user_id=user.id, role=role, granted_by=granter)
    db.session.add(grant)
    return grant


def _grants(where, limit: int) -> list[Grant]:
    who, by = aliased(User), aliased(User)
    rows = db.session.execute(
        select(who.email, RoleGrant.role, by.email, RoleGrant.created_at, RoleGrant.decision, RoleGrant.decided_by,
               RoleGrant.decided_at, RoleGrant.id)
        .join(who, who.id == RoleGrant.user_id).outerjoin(by, by.id == RoleGrant.granted_by)
        .where(*where).order_by(RoleGrant.id.desc()).limit(limit))
    return [Grant(email, role, granter or "", at, decision, decided_by or "", decided_at, gid)
            for email, role, granter, at, decision, decided_by, decided_at, gid in rows]


def admin_grants(limit: int = 200) -> list[Grant]:
    """Return every grant of the admin role, newest first."""
    return _grants([RoleGrant.role == "admin"], limit)


def waiting_grants(limit: int = 100) -> list[Grant]:
    """Return the console's admin grants that wait for another admin, newest first (active admins only)."""
    who = aliased(User)
    ids = select(RoleGrant.id).join(who, who.id == RoleGrant.user_id).where(
        RoleGrant.role == "admin", RoleGrant.granted_by.is_not(None), RoleGrant.decision.is_(None),
        who.role == "admin", who.active.is_(True))
    return _grants([RoleGrant.id.in_(ids)], limit)


def makers(user_id: int) -> set[int]:
    """Return everyone whose unconfirmed grant made this account theirs: its makers, their makers, and so on."""
    seen, todo, found = {user_id}, [user_id], set()
    while todo:
        granters = set(db.session.scalars(select(RoleGrant.granted_by).where(
            RoleGrant.user_id.in_(todo), RoleGrant.granted_by.is_not(None),
            (RoleGrant.decision.is_(None)) | (RoleGrant.decision != CONFIRMED))))
        found |= granters
        todo = list(granters - seen)
        seen |= granters
    return found


def granted_by_any(user_id: int, emails: set[str]) -> bool:
    """Tell whether any of these people made the account, or an account that made it, or gave it a role,
    in a grant no other admin has confirmed."""
    suspects = set(db.session.scalars(select(User.id).where(User.email.in_(emails)))) if emails else set()
    return bool(suspects and makers(user_id) & suspects)


def decide_problem(grant: RoleGrant, by: User | None) -> str | None:
    """Return why this person may not confirm or refuse the grant, or None when they may (None = command line)."""
    if grant.role != "admin" or grant.granted_by is None or grant.decision is not None:
        return "この権限付与は確認待ちではありません。"
    if by is None:
        return None  # the command line: server access is trusted
    if not (by.is_admin and by.active):
        return "権限付与を確認できるのは管理者だけです。"
    if by.id == grant.user_id:
        return "自分への権限付与は、自分では確認できません。別の管理者が確認します。"
    if by.id == grant.granted_by:
        return "自分が付けた権限は、自分では確認できません。別の管理者が確認します（二人確認）。"
    # Neither may anyone the grant's chain made, nor anyone made by the same people: they may be the same person.
    chain = makers(grant.user_id) | {grant.user_id}
    if by.id in chain or makers(by.id) & chain:
        return ("この権限付与に関わった人（または、その人が作った・管理者にしたアカウント）は確認できません。"
                "コマンド（サーバー）で作った管理者など、別の管理者が確認します。")
    return None


def _decide(grant_id: int, by: User | None, decision: str) -> RoleGrant:
    grant = db.session.get(RoleGrant, grant_id)
    if grant is None:
        raise Invalid("この権限付与は見つかりません。")
    problem = decide_problem(grant, by)
    if problem:
        raise Invalid(problem)
    actor = by.email if by is not None else "cli"
    user = db.session.get(User, grant.user_id)
    granter = db.session.get(User, grant.granted_by)
    grant.decision, grant.decided_by, grant.decided_at = decision, actor, utcnow()
    if decision == CONFIRMED:
        # The confirmer vouches for the account as it stands: earlier grants of it no longer tie it to anyone.
        for earlier in db.session.scalars(select(RoleGrant).where(
                RoleGrant.user_id == grant.user_id, RoleGrant.id < grant.id, RoleGrant.decision.is_(None))):
            earlier.decision, earlier.decided_by, earlier.decided_at = CONFIRMED, actor, grant.decided_at
        audit.record(actor, "user.grant_confirm", "user", user.id,
                     f"{granter.email} が {user.email} に付けた管理者の権限を確認（承認）", None,
                     {"grant": grant.id, "granted_by": granter.email})
    else:
        # Refused: the account stays tied to its maker and loses the admin role; its sessions end.
        if by is None and user.is_admin and db.session.scalar(select(func.count(User.id)).where(
                User.role == "admin", User.active.is_(True))) <= 1:
            raise Invalid("最後の管理者は編集者に戻せません。先に別の管理者を作成してください。")
        before = user.role
        user.role = "editor"
        audit.record(actor, "user.grant_refuse", "user", user.id,
                     f"{granter.email} が {user.email} に付けた管理者の権限を拒否（編集者に戻しました）",
                     {"role": before}, {"grant": grant.id, "granted_by": granter.email, "role": "editor"})
        end_sessions(user, actor, "管理者の権限付与を拒否")
    db.session.commit()
    return grant


def confirm(grant_id: int, by: User | None) -> RoleGrant:
    """Confirm a waiting admin grant: from now on the account approves independently of its maker."""
    return _decide(grant_id, by, CONFIRMED)


def refuse(grant_id: int, by: User | None) -> RoleGrant:
    """Refuse a waiting admin grant: the account becomes an editor and stays tied to its maker."""
    return _decide(grant_id, by, REFUSED)
