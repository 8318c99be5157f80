"""Retention: delete applications older than their form's retention period (withdrawn ones too)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.extensions import db
from bot.forms.applications import delete
from bot.models import FormSetting, FormSubmission
from bot.models.timeutil import utcnow

MAX_RETENTION_DAYS = 36500


def purge(now: datetime | None = None, actor: str = "system") -> int:
    """Delete every record past its form's retention period; return how many went."""
    now = now or utcnow()
    gone = 0
    for setting in db.session.scalars(select(FormSetting).where(FormSetting.retention_days.is_not(None))):
        cutoff = now - timedelta(days=setting.retention_days or 0)
        # A withdrawn record's clock runs from its withdrawal: the resident left then, not when they applied.
        expired = select(FormSubmission).where(
            FormSubmission.form_slug == setting.slug,
            ((FormSubmission.withdrawn_at.is_(None) & (FormSubmission.created_at < cutoff))
             | (FormSubmission.withdrawn_at.is_not(None) & (FormSubmission.withdrawn_at < cutoff))))
        for submission in list(db.session.scalars(expired)):
            delete(submission, actor, reason="retention")
            gone += 1
    return gone
