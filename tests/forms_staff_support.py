"""Form versions and submissions made straight in the database, for the staff console's tests."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.extensions import db
from bot.forms.editing import content_hash
from bot.models import FormSubmission, FormVersion

SLUG = "supporters-club"
DEFINITION: dict[str, Any] = {
    "slug": SLUG,
    "title": "星の降る里あしべつ応援団 登録",
    "intro": "芦別を応援してくださる方の登録です。",
    "fields": [
        {"key": "name", "type": "text", "label": "氏名", "required": True},
        {"key": "kana", "type": "kana", "label": "ふりがな", "required": True},
        {"key": "email", "type": "email", "label": "メールアドレス"},
        {"key": "prefecture", "type": "prefecture", "label": "お住まいの都道府県", "required": True},
        {"key": "city", "type": "text", "label": "市区町村", "required": True},
        {"key": "relation", "type": "multiselect", "label": "芦別とのご縁", "required": True,
         "choices": ["芦別出身", "以前住んでいた", "芦別で働いていた", "ふるさと納税", "家族・親戚がいる", "その他"]},
        {"key": "interests", "type": "multiselect", "label": "関心のあること",
         "choices": ["観光", "特産品", "移住", "イベント", "その他"]},
        {"key": "contact_via", "type": "select", "label": "お知らせの受け取り方", "required": True,
         "choices": ["LINE", "メール", "受け取らない"]},
        {"key": "consent", "type": "checkbox", "label": "個人情報の取り扱いに同意する", "required": True},
    ],
    "kpi": {"label": "登録者数", "baseline": {"value": 24, "year": "令和4年度"},
            "target": {"value": 50, "year": "令和6年度"}, "source": "総合戦略69頁 ④"},
}


def make_version(definition: dict[str, Any] | None = None, version: int = 1) -> FormVersion:
    """Store a form version (inside an app context)."""
    definition = definition or DEFINITION
    row = FormVersion(slug=definition["slug"], version=version, title=definition["title"], definition=definition,
                      content_hash=content_hash(definition), created_by="test")
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
