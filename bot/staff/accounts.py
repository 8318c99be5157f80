"""Staff accounts: create, authenticate with login throttling, change role or password, end sessions."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from bot.core import audit
from bot.core.problems import Invalid
from bot.core.textrules import is_email
from bot.staff import grants, throttle
from bot.staff.sessions import end_sessions
from bot.extensions import db
from bot.models import User, utcnow
from bot.models.accounts import ROLES, new_session_token, password_method

MIN_PASSWORD = 10
# Generated passwords are read aloud or copied from paper: no 0/O/o, 1/I/l/i or other look-alikes.
PASSWORD_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS, PASSWORD_GROUP_SIZE = 4, 4
# Compared against when there is no usable account, so every answer costs one hash and takes the same time.
_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    method = password_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("not-a-real-password", method=method)
    return _DUMMY_HASHES[method]
LOCKOUT_WHAT = {"pair": "接続元 {ip} から {who} へのログイン", "client": "接続元 {ip} からのログイン",
                "account": "{who} へのログイン（すべての接続元から。最後は {ip}）"}


@dataclass
class LoginResult:
    """The outcome of a login attempt: the user, or why not."""

    user: User | None = None
    throttled: bool = False


def normalise_email(email: str) -> str:
    """Return the e-mail as stored: trimmed and lower-case."""
    return (email or "").strip().lower()


def generate_password() -> str:
    """Return a random password in groups of four, without characters that look alike (about 90 bits)."""
    groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_SIZE))
              for _ in range(PASSWORD_GROUPS))
    return "-".join(groups)


def create_user(email: str, role: str, password: str, actor: str = "cli", must_change: bool = False) -> User:
    """Create a staff account; raise Invalid when the input is not acceptable."""
    email = normalise_email(email)
    if not is_email(email):
        raise Invalid("メールアドレスの形式が正しくありません。")
    if role not in ROLES:
        raise Invalid(f"役割は {' / '.join(ROLES)} のどれかです。")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"パスワードは{MIN_PASSWORD}文字以上にしてください。")
    if db.session.scalar(select(User).where(User.email == email)):
        raise Invalid("このメールアドレスのユーザーはすでにあります。")
    user = User(email=email, role=role)
    user.set_password(password)
    user.must_change_password = must_change
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, f"{email} を{ {'admin': '管理者', 'editor': '編集者'}.get(role, '職員')}として作成", None,
                 {"email": email, "role": role})
    # Any role: whoever creates an account knows its first password.
    grants.record(user, role, actor)
    db.session.commit()
    return user


def set_password(user: User, password: str, actor: str, must_change: bool = False) -> None:
    """Replace a user's password and end every session made with the old one."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"パスワードは{MIN_PASSWORD}文字以上にしてください。")
    user.set_password(password)
    user.must_change_password = must_change
    user.session_token = new_session_token()
    if must_change:
        audit.record(actor, "user.password_reset", "user", user.id,
                     f"{user.email} のパスワードを再発行（すべての端末をログアウト、初回ログインで変更が必要）")
    else:
        audit.record(actor, "user.password", "user", user.id,
                     f"{user.email} のパスワードを変更（ほかの端末をログアウト）")
    db.session.commit()


def reset_password(user: User, actor: str) -> str:
    """Give a user a generated password that must be changed at the next login; return it to show once."""
    password = generate_password()
    if actor != user.email:
        # Whoever issues a password can log in as the account until it is changed: for the two-person rule
        # that is the same as having made the account (bot/staff/grants.py).
        grants.record(user, user.role, actor)
    set_password(user, password, actor, must_change=True)
    return password


def change_own_password(user: User, current: str, new: str) -> None:
    """Let a user replace their password, which must be new; other sessions end."""
    if not user.check_password(current):
        raise Invalid("今のパスワードが違います。", "current")
    if user.check_password(new):
        raise Invalid("今と同じパスワードは使えません。別のパスワードにしてください。", "new")
    set_password(user, new, user.email)


def log_out_everywhere(user: User) -> None:
    """End this session for good (a copied cookie stops working) and every other session of the user."""
    user.session_token = new_session_token()
    audit.record(user.email, "logout", "user", user.id, "ログアウト（すべての端末）")
    db.session.commit()


def update_user(user: User, role: str, active: bool, actor: str) -> None:
    """Change a user's role or active flag, never leaving the console without an active admin."""
    if role not in ROLES:
        raise Invalid("役割が正しくありません。")
    before = {"role": user.role, "active": user.active}
    losing_admin = user.is_admin and user.active and (role != "admin" or not active)
    if losing_admin and _active_admins() <= 1:
        raise Invalid("最後の管理者は変更できません。先に別の管理者を作成してください。")
    if role == "admin" and user.role != "admin":
        grants.record(user, role, actor)
    user.role, user.active = role, active
    audit.record(actor, "user.update", "user", user.id, f"{user.email} の役割・状態を変更", before,
                 {"role": role, "active": active})
    if before != {"role": role, "active": active}:
        # A new role or a disabled account takes effect now, not whenever the old session happens to end.
        end_sessions(user, actor, "役割・状態の変更")
    db.session.commit()


def _active_admins() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))) or 0


def authenticate(email: str, password: str, ip: str) -> LoginResult:
    """Check a login, counting a failure in the shared limiter; refuse every try while throttled."""
    email = normalise_email(email)[:254]
    ip = (ip or "")[:64]
    admission = throttle.admit(email, ip)
    if admission.throttled:
        # Even the right password is refused: otherwise a lockout only slows guessing down.
        return LoginResult(throttled=True)
    user = db.session.scalar(select(User).where(User.email == email))
    usable = user is not None and user.active and bool(user.password_hash)
    # One hash on every path: an unknown or disabled account must not answer faster than an active one.
    matches = check_password_hash(user.password_hash if usable else _dummy_hash(), password)
    ok = usable and matches
    if ok:
        throttle.succeeded(admission)
        user.last_login_at = utcnow()
        if not user.session_token:
            user.session_token = new_session_token()
        audit.record(user.email, "login", "user", user.id, "ログイン")
    else:
        for key in admission.at_limit:
            _record_lockout(key, email if user else "", user.id if user else "", ip)
    db.session.commit()
    return LoginResult(user=user if ok else None)


def _record_lockout(key: str, email: str, user_id, ip: str) -> None:
    # Unknown e-mails are not written down: someone may have typed anything into the field.
    who = email or "登録のないアカウント"
    window = throttle.ACCOUNT_WINDOW if key == "account" else throttle.WINDOW
    what = LOCKOUT_WHAT[key].format(ip=ip, who=who)
    audit.record("system", "login.lockout", "user", user_id,
                 f"ログインの失敗が{throttle.LIMITS[key]}回続いたため、{what}を"
                 f"{int(window.total_seconds() // 60)}分間止めました", None, {"limit": key, "email": email, "ip": ip})

