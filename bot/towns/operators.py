"""The platform's operators (運用者): their accounts, their logins and their audit log.

Operators belong to no town: these functions run with no current town and touch only the platform tables
(`operators`, `operator_audit`, the shared login limiter). Each service commits its own work and its audit row.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.core.problems import Invalid
from bot.core.textrules import is_email
from bot.extensions import db
from bot.models.accounts import new_session_token, password_method
from bot.models.operators import Operator, OperatorAudit
from bot.models.timeutil import utcnow
from bot.staff import throttle
from bot.staff.accounts import MIN_PASSWORD, generate_password, normalise_email

# The login limiter's budgets are the staff console's; an operator's account budget is its own (a town's staff
# account with the same e-mail does not share it), the budget per client address is shared with every console.
ACCOUNT_PREFIX = "operator\x00"
_DUMMY: dict[str, str] = {}


def record(operator: str, action: str, town_slug: str = "", summary: str = "", detail: Any = None) -> OperatorAudit:
    """Add one operator audit row to the current transaction (the caller commits): never personal data."""
    row = OperatorAudit(operator=(operator or "")[:254], action=action, town_slug=town_slug or "",
                        summary=summary[:300], detail=detail)
    db.session.add(row)
    return row


def create_operator(email: str, password: str | None = None, *, actor: str = "cli") -> tuple[Operator, str]:
    """Create an operator; a password left out is generated. Return the operator and the password (show once)."""
    email = normalise_email(email)
    if not is_email(email):
        raise Invalid("メールアドレスの形式が正しくありません。", "email")
    password = password or generate_password()
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"パスワードは{MIN_PASSWORD}文字以上にしてください。", "password")
    if db.session.scalar(select(Operator.id).where(Operator.email == email)) is not None:
        raise Invalid("このメールアドレスの運用者はすでにいます。", "email")
    operator = Operator(email=email)
    operator.set_password(password)
    db.session.add(operator)
    record(actor, "operator.create", "", f"運用者 {email} を作成")
    db.session.commit()
    return operator, password


@dataclass
class OperatorLogin:
    """The outcome of a login attempt: the operator, or why not."""

    operator: Operator | None = None
    throttled: bool = False


def _dummy_hash() -> str:
    method = password_method()
    if method not in _DUMMY:
        _DUMMY[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY[method]


def authenticate(email: str, password: str, ip: str) -> OperatorLogin:
    """Check an operator's login on the shared login limiter; refuse every try while throttled."""
    email = normalise_email(email)[:254]
    ip = (ip or "")[:64]
    admission = throttle.admit(ACCOUNT_PREFIX + email, ip)
    if admission.throttled:
        return OperatorLogin(throttled=True)
    operator = db.session.scalar(select(Operator).where(Operator.email == email))
    usable = operator is not None and operator.active and bool(operator.password_hash)
    # One hash on every path: an unknown or disabled account answers no faster than an active one.
    ok = check_password_hash(operator.password_hash if usable else _dummy_hash(), password) and usable
    if ok:
        throttle.succeeded(admission)
        operator.last_login_at = utcnow()
        if not operator.session_token:
            operator.session_token = new_session_token()
        record(operator.email, "operator.login", "", "ログイン")
    elif admission.at_limit:
        # Unknown e-mails are not written down: someone may have typed anything into the field.
        record(operator.email if operator else "", "operator.lockout", "",
               "ログインの失敗が続いたため、この接続元からのログインを一時的に止めました", {"limits": admission.at_limit})
    db.session.commit()
    return OperatorLogin(operator=operator if ok else None)


def session_id(operator: Operator) -> str:
    """Return what the session cookie keeps: the id and the current session token."""
    return f"{operator.id}:{operator.session_token}"


def load(session_value: str | None) -> Operator | None:
    """Return the active operator a session cookie names, or None (a token from before a logout is refused)."""
    op_id, _, token = (session_value or "").partition(":")
    if not op_id.isdigit() or not token:
        return None
    operator = db.session.get(Operator, int(op_id))
    if operator is None or not operator.active or not operator.session_token:
        return None
    if not hmac.compare_digest(token.encode(), operator.session_token.encode()):
        return None
    return operator


def log_out(operator: Operator) -> None:
    """End this session for good (a copied cookie stops working), and every other session of the operator."""
    operator.session_token = new_session_token()
    record(operator.email, "operator.logout", "", "ログアウト（すべての端末）")
    db.session.commit()


def recent_audit(limit: int = 200) -> list[OperatorAudit]:
    """Return the newest operator audit rows, newest first."""
    return list(db.session.scalars(select(OperatorAudit).order_by(OperatorAudit.id.desc()).limit(limit)))
