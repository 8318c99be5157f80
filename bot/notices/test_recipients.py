"""Staff LINE accounts that notices may be test-sent to: admins add and remove them, every change audited."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.core import audit
from bot.core.problems import FORM, Invalid, Problem
from bot.core.textrules import has_control
from bot.extensions import db
from bot.models import TestRecipient

LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")
MAX_NAME = 80


def all_recipients() -> list[TestRecipient]:
    """Return the registered test recipients by name."""
    return list(db.session.scalars(select(TestRecipient).order_by(TestRecipient.name, TestRecipient.id)))


def add(name: str, line_user_id: str, by: str) -> TestRecipient:
    """Register a staff member's LINE account as a test recipient."""
    name, line_user_id = (name or "").strip(), (line_user_id or "").strip()
    problems: list[Problem] = []
    if not name or len(name) > MAX_NAME or has_control(name, one_line=True):
        problems.append(Problem(FORM, "name", f"名前を{MAX_NAME}文字以内で入力してください。"))
    if not LINE_USER_ID.fullmatch(line_user_id):
        problems.append(Problem(FORM, "line_user_id", "LINE のユーザーID（U で始まり、0〜9・a〜f が32文字続く）を入力してください。"))
    elif db.session.scalar(select(TestRecipient.id).where(TestRecipient.line_user_id == line_user_id)):
        problems.append(Problem(FORM, "line_user_id", "このユーザーIDはすでに登録されています。"))
    if problems:
        raise Invalid(problems)
    recipient = TestRecipient(name=name, line_user_id=line_user_id, added_by=by)
    db.session.add(recipient)
    db.session.flush()
    # The LINE id stays out of the log's summary: the name says who it is.
    audit.record(by, "notice.test_recipient.add", "test_recipient", recipient.id, f"テスト送信先「{name}」を登録")
    db.session.commit()
    return recipient


def remove(recipient: TestRecipient, by: str) -> None:
    """Remove a test recipient."""
    audit.record(by, "notice.test_recipient.remove", "test_recipient", recipient.id,
                 f"テスト送信先「{recipient.name}」を削除")
    db.session.delete(recipient)
    db.session.commit()
