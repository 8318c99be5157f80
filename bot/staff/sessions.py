"""Ending a staff member's sessions: every device they are signed in on is signed out at its next request.

Accounts (a role change, a disabled account, 「すべての端末からログアウト」) and grants (a refused admin grant)
both end sessions; they build on this module, which imports only the audit and the models.
"""
from __future__ import annotations

from bot.core import audit
from bot.models import User
from bot.models.accounts import new_session_token


def end_sessions(user: User, actor: str, reason: str) -> None:
    """End every session of a user (the caller commits), recording why."""
    user.session_token = new_session_token()
    audit.record(actor, "user.sessions_ended", "user", user.id, f"{user.email} のすべての端末をログアウト（{reason}）")
