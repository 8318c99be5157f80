"""Form versions and submissions made straight in the database, for the staff console's tests."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select

from bot.extensions import db
from bot.forms.schema import content_hash, read_forms
from bot.models import FormSubmission, FormVersion
from tests.conftest import ROOT

SLUG = "supporters-club"
# The pack's own form, as `kb import` stores it.
DEFINITION: dict[str, Any] = next(d for d in read_forms(ROOT / "knowledge")[0] if d["slug"] == SLUG)


def make_version(definition: dict[str, Any] | None = None) -> FormVersion:
    """Return the stored version of a definition (the pack import may have stored it), storing it if new."""
    definition = definition or DEFINITION
    digest = content_hash(definition)
    existing = db.session.scalar(select(FormVersion).where(FormVersion.slug == definition["slug"],
                                                           FormVersion.content_hash == digest))
    if existing is not None:
        return existing
    number = db.session.scalar(select(func.max(FormVersion.version)).where(
        FormVersion.slug == definition["slug"])) or 0
    row = FormVersion(slug=definition["slug"], version=number + 1, title=definition["title"], definition=definition,
                      content_hash=digest, created_by="test")
    db.session.add(row)
    db.session.commit()
    return row


def answers(**changes: Any) -> dict[str, Any]:
    """Return a complete supporters' club answer, with changes."""
    data = {"name": "芦別 花子", "kana": "あしべつ はなこ", "email": "hanako@example.invalid", "prefecture": "東京都",
            "city": "世田谷区", "relation": ["芦別出身", "ふるさと納税"], "interests": ["観光"],
            "contact_via": "メール", "consent": True}
    data.update(changes)
    return data


def submit(version: FormVersion, receipt: str, *, created: datetime | None = None, status: str = "new",
           channel: str = "web", line_user_id: str | None = None, withdrawn: datetime | None = None,
           **changes: Any) -> FormSubmission:
    """Store one submission (inside an app context)."""
    moment = created or datetime.now(timezone.utc)
    row = FormSubmission(receipt_no=receipt, form_slug=version.slug, form_version_id=version.id,
                         answers=answers(**changes), status=status, channel=channel, line_user_id=line_user_id,
                         created_at=moment, updated_at=moment, withdrawn_at=withdrawn)
    db.session.add(row)
    db.session.commit()
    return row
