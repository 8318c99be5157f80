"""Ending a staff member's sessions: every device they are signed in on is signed out at its next request.

Accounts (a role change, a disabled account, 「すべての端末からログアウト」) and grants (a refused admin grant)
both end sessions; they build on this module, which imports only the audit, the database and the models.
"""
from __future__ import annotations

from flask_login import login_user

from bot.core import audit
from bot.extensions import db
from bot.models import User
from bot.models.accounts import new_session_token


def end_sessions(user: User, actor: str, reason: str) -> None:
    """End every session of a user (the caller commits), recording why."""
    user.session_token = new_session_token()
    audit.record(actor, "user.sessions_ended", "user", user.id, f"{user.email} のすべての端末をログアウト（{reason}）")


def end_other_sessions(user: User) -> None:
    """End the user's sessions on every other device at their own request; commit (keep this one: renew_session)."""
    end_sessions(user, user.email, "本人の操作")
    db.session.commit()


def renew_session(user: User) -> None:
    """Keep the current session after the user's token changed; its clocks run on."""
    login_user(user)
