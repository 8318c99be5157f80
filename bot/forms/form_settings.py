"""A form's own settings in the console: the paper registrations counted in the KPI, how long records are kept."""
from __future__ import annotations

from bot.core import audit
from bot.core.tenancy import keyed
from bot.extensions import db
from bot.models import FormSetting, FormVersion
from bot.models.timeutil import utcnow


def stored(slug: str) -> FormSetting | None:
    """Return the settings staff stored for a form, or None when none were saved yet."""
    return keyed(FormSetting, slug)


def _setting(slug: str) -> FormSetting:
    setting = keyed(FormSetting, slug)
    if setting is None:
        setting = FormSetting(slug=slug, paper_registrations=0)
        db.session.add(setting)
    return setting


def save_paper(version: FormVersion, count: int, actor: str) -> bool:
    """Store the registrations made on paper (counted in the KPI), audited, and commit; False when unchanged."""
    setting = _setting(version.slug)
    before = setting.paper_registrations or 0
    changed = count != before
    if changed:
        setting.paper_registrations = count
        setting.updated_at, setting.updated_by = utcnow(), actor
        audit.record(actor, "form.paper", "form", version.slug,
                     f"「{version.title}」の紙の登録者数を{before}人から{setting.paper_registrations}人に変更",
                     {"paper_registrations": before}, {"paper_registrations": setting.paper_registrations})
    db.session.commit()
    return changed


def save_retention(version: FormVersion, days: int | None, actor: str) -> bool:
    """Store how long a form's records are kept (None: until deleted), audited, and commit; False when unchanged."""
    setting = _setting(version.slug)
    before = setting.retention_days
    if setting.paper_registrations is None:
        setting.paper_registrations = 0
    changed = before != days
    if changed:
        setting.retention_days = days
        setting.updated_at, setting.updated_by = utcnow(), actor
        label = f"{days}日" if days else "削除するまで"
        audit.record(actor, "form.retention", "form", version.slug,
                     f"「{version.title}」の保存期間を{label}に変更", {"retention_days": before},
                     {"retention_days": days})
    db.session.commit()
    return changed
