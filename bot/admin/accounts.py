"""Staff accounts: create, authenticate with login throttling, change role or password."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from bot import audit
from bot.admin import grants
from bot.extensions import db
from bot.models import LoginAttempt, User, utcnow
from bot.models.accounts import ROLES

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10
# Five wrong passwords lock an account for a quarter hour; an address gets more room (shared office NAT).
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20
# Compared against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """Raised with a message for staff when an account change is not allowed."""


@dataclass
class LoginResult:
    """The outcome of a login attempt: the user, or why not."""

    user: User | None = None
    throttled: bool = False


def normalise_email(email: str) -> str:
    """Return the e-mail as stored: trimmed and lower-case."""
    return (email or "").strip().lower()


def generate_password() -> str:
    """Return a random password that is easy to type once."""
    return secrets.token_urlsafe(12)


def create_user(email: str, role: str, password: str, actor: str = "cli") -> User:
    """Create a staff account; raise AccountError when the input is not acceptable."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise AccountError("メールアドレスの形式が正しくありません。")
    if role not in ROLES:
        raise AccountError(f"役割は {' / '.join(ROLES)} のどれかです。")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"パスワードは{MIN_PASSWORD}文字以上にしてください。")
    if db.session.scalar(select(User).where(User.email == email)):
        raise AccountError("このメールアドレスのユーザーはすでにあります。")
    user = User(email=email, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, f"{email} を {role} として作成", None,
                 {"email": email, "role": role})
    # Any role: whoever creates an account knows its first password.
    grants.record(user, role, actor)
    db.session.commit()
    return user


def set_password(user: User, password: str, actor: str) -> None:
    """Replace a user's password."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"パスワードは{MIN_PASSWORD}文字以上にしてください。")
    user.set_password(password)
    audit.record(actor, "user.password", "user", user.id, f"{user.email} のパスワードを変更")
    db.session.commit()


def update_user(user: User, role: str, active: bool, actor: str) -> None:
    """Change a user's role or active flag, never leaving the console without an active admin."""
    if role not in ROLES:
        raise AccountError("役割が正しくありません。")
    before = {"role": user.role, "active": user.active}
    losing_admin = user.is_admin and user.active and (role != "admin" or not active)
    if losing_admin and _active_admins() <= 1:
        raise AccountError("最後の管理者は変更できません。先に別の管理者を作成してください。")
    if role == "admin" and user.role != "admin":
        grants.record(user, role, actor)
    user.role, user.active = role, active
    audit.record(actor, "user.update", "user", user.id, f"{user.email} の役割・状態を変更", before,
                 {"role": role, "active": active})
    db.session.commit()


def _active_admins() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))) or 0


def is_throttled(email: str, ip: str) -> bool:
    """Tell whether recent failures for this e-mail or address must block another try."""
    since = utcnow() - THROTTLE_WINDOW
    failures = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.success.is_(False), LoginAttempt.created_at >= since)
    by_email = db.session.scalar(failures.where(LoginAttempt.email == email)) or 0
    by_ip = db.session.scalar(failures.where(LoginAttempt.ip == ip)) or 0
    return by_email >= MAX_FAILURES_PER_EMAIL or by_ip >= MAX_FAILURES_PER_IP


def authenticate(email: str, password: str, ip: str) -> LoginResult:
    """Check a login, recording the attempt; refuse every try while throttled."""
    email = normalise_email(email)[:254]
    ip = (ip or "")[:64]
    if is_throttled(email, ip):
        # Even the right password is refused: otherwise a lockout only slows guessing down.
        return LoginResult(throttled=True)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        ok = False
    else:
        ok = user.active and user.check_password(password)
    db.session.add(LoginAttempt(email=email, ip=ip, success=ok))
    if ok:
        user.last_login_at = utcnow()
        audit.record(user.email, "login", "user", user.id, "ログイン")
    db.session.commit()
    return LoginResult(user=user if ok else None)


def purge_attempts(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete old login attempts; they only matter for throttling and recent review."""
    from sqlalchemy import delete

    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < utcnow() - older_than))
    db.session.commit()
    return result.rowcount
