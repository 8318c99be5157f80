"""The audit log: record who changed what, with the state before and after."""
from __future__ import annotations

from typing import Any

from bot.extensions import db
from bot.models import AuditLog


def record(actor: str, action: str, target_type: str, target_id: Any, summary: str = "",
           before: Any = None, after: Any = None) -> AuditLog:
    """Add one audit row to the current transaction; the caller commits with its change."""
    row = AuditLog(actor=actor or "", action=action, target_type=target_type, target_id=str(target_id or ""),
                   summary=summary[:300], before=before, after=after)
    db.session.add(row)
    return row

