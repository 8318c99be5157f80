"""Form versions and submissions in the database: import, receipt numbers, second applications, withdrawal."""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from bot.core.tenancy import keyed
from bot.extensions import db
from bot.forms import catalog
from bot.forms.schema import content_hash, normalise
from bot.models import FormLinkUse, FormSubmission, FormVersion, utcnow

# No 0/O, 1/I/L or U/V: a receipt number is read aloud on the phone and typed from a screen.
RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
ACTIVE = ("new", "confirmed", "in_progress", "done")


def import_forms(definitions: list[dict[str, Any]], author: str = "kb import") -> list[str]:
    """Add a new version of each form whose content changed; return the slugs that got one."""
    changed = []
    for definition in definitions:
        definition = normalise(definition)
        latest = latest_version(definition["slug"])
        digest = content_hash(definition)
        if latest is not None and latest.content_hash == digest:
            continue
        db.session.add(FormVersion(slug=definition["slug"], version=(latest.version if latest else 0) + 1,
                                   title=definition["title"], definition=definition, content_hash=digest,
                                   created_by=author))
        db.session.flush()
        changed.append(definition["slug"])
    if changed:
        catalog.forget()
    return changed


def latest_version(slug: str) -> FormVersion | None:
    """Return the newest version of a form, or None when there is no such form."""
    return db.session.scalar(select(FormVersion).where(FormVersion.slug == slug)
                             .order_by(FormVersion.version.desc()).limit(1))


def latest_definitions() -> list[dict[str, Any]]:
    """Return the newest definition of every form, for `kb export`."""
    newest = select(FormVersion.slug, func.max(FormVersion.version).label("v")).group_by(FormVersion.slug).subquery()
    rows = db.session.scalars(select(FormVersion).join(
        newest, (FormVersion.slug == newest.c.slug) & (FormVersion.version == newest.c.v)).order_by(FormVersion.slug))
    return [row.definition for row in rows]


def receipt_for(nonce: str, slug: str) -> str:
    """Return the receipt number a confirm step's nonce gets: the same confirm posted twice gets the same one."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"receipt:{slug}:{nonce}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(RECEIPT_ALPHABET))
        chars.append(RECEIPT_ALPHABET[index])
    prefix = (slug[:1] or "F").upper()
    return f"{prefix}-{''.join(chars[:4])}-{''.join(chars[4:])}"


def email_key(address: str) -> str | None:
    """Return the keyed hash that finds a second application by the same e-mail address."""
    address = (address or "").strip().lower()
    if not address:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"email:{address}".encode(), hashlib.sha256).hexdigest()


def by_receipt(receipt_no: str) -> FormSubmission | None:
    """Return the submission with a receipt number."""
    return db.session.scalar(select(FormSubmission).where(FormSubmission.receipt_no == receipt_no))


def existing(slug: str, line_user_id: str | None) -> FormSubmission | None:
    """Return the active registration of a LINE user, if there is one (the database allows one per form).

    Never by e-mail address: knowing someone's address proves nothing, so a second application with the same
    address is a new application, shown to staff as 重複の可能性 (bot/forms/applications.py).
    """
    if not line_user_id:
        return None
    return db.session.scalar(select(FormSubmission).where(
        FormSubmission.form_slug == slug, FormSubmission.status.in_(ACTIVE),
        FormSubmission.line_user_id == line_user_id).order_by(FormSubmission.created_at.desc()).limit(1))


def link_used(nonce: str) -> bool:
    """Tell whether a LINE link's nonce was already consumed by a submission."""
    return keyed(FormLinkUse, nonce) is not None


# Who did it, as the audit log's actor: a resident is never named (no LINE user id, no e-mail address).
RESIDENT_WEB, RESIDENT_LINE = "住民（ウェブ）", "住民（LINE）"


def _audit(row: FormSubmission, action: str, via: str, what: str) -> None:
    from bot.core import audit

    audit.record(via, action, "application", row.receipt_no, f"受付番号 {row.receipt_no} の{what}")


class AlreadyRegistered(Exception):
    """The LINE user got an active registration of this form since the confirm page was shown."""

    def __init__(self, row: FormSubmission):
        super().__init__(row.receipt_no)
        self.row = row


class LinkReplayed(Exception):
    """A LINE link's nonce was used by a submission before."""


def submit(version: FormVersion, answers: dict[str, Any], *, nonce: str, line_user_id: str | None,
           link_nonce: str | None, update: FormSubmission | None, via: str = RESIDENT_WEB
           ) -> tuple[FormSubmission, bool]:
    """Store (or update) one application with its audit row and commit; return it and whether it is new.

    `update` must be a registration whose ownership the caller has proved (the LINE user it belongs to, or the
    signed management link of its receipt). Its LINE user never changes here.
    """
    receipt = receipt_for(nonce, version.slug)
    # A used nonce is worth keeping only while its link could still be opened.
    expired = utcnow() - timedelta(seconds=current_app.config["FORM_LINK_MAX_AGE"] + 3600)
    db.session.execute(delete(FormLinkUse).where(FormLinkUse.used_at < expired))
    try:
        if link_nonce:
            db.session.add(FormLinkUse(nonce=link_nonce))
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise LinkReplayed() from None
    mail = email_key(str(answers.get("email") or ""))
    if update is not None:
        update.answers = answers
        update.form_version_id = version.id
        update.email_key = mail
        update.updated_at = utcnow()
        _audit(update, "application.update", via, "登録内容を本人が更新")
        db.session.commit()
        return update, False
    row = FormSubmission(receipt_no=receipt, form_slug=version.slug, form_version_id=version.id, answers=answers,
                         status="new", channel="line" if line_user_id else "web", line_user_id=line_user_id,
                         email_key=mail)
    db.session.add(row)
    _audit(row, "application.create", via, "申込みを受付")
    try:
        db.session.commit()
    except IntegrityError:
        # Two posts at once: the same confirm step (one receipt number), or two links of one LINE user (one
        # active registration per LINE user and form: uq_form_submissions_active_line_user).
        db.session.rollback()
        first = by_receipt(receipt)
        if first is not None:
            return first, False
        other = existing(version.slug, line_user_id)
        if other is not None:
            raise AlreadyRegistered(other) from None
        raise
    return row, True


def withdraw(row: FormSubmission, via: str = RESIDENT_WEB) -> bool:
    """Mark a registration withdrawn, audited (answers stay until staff delete them); False when it already was.

    The caller's transaction: a LINE reply commits it together with the event's claim (bot.conversation.service).
    """
    if row.status == "cancelled":
        return False
    row.status = "cancelled"
    row.withdrawn_at = utcnow()
    row.updated_at = utcnow()
    _audit(row, "application.withdraw", via, "登録を本人が取消し")
    return True


def withdraw_on_web(row: FormSubmission) -> bool:
    """Withdraw a registration from the management page and commit (from LINE it commits with the reply)."""
    withdrawn = withdraw(row, via=RESIDENT_WEB)
    db.session.commit()
    return withdrawn
