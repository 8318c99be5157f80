"""Creating, suspending and configuring towns: the operator's services. Each commits and leaves an audit row in the
town it acted on (what the operator did is on that town's record too; the operator never reads the town's data)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from bot.core import audit
from bot.core.problems import Invalid, Problem
from bot.core.tenancy import SLUG_PATTERN, forget_towns, reserved_segments, use_town
from bot.core.textrules import has_control
from bot.extensions import db
from bot.models.tenancy import ACTIVE, SUSPENDED, Tenant
from bot.pack import import_pack, read_pack
from bot.line.channels import MissingKey, reseal, seal
from bot.models import User
from bot.staff.accounts import create_user, generate_password
from bot.towns.operators import record as operator_record

# A LINE user id: "U" and 32 hex digits (the bot's own, as a webhook body's `destination` names it).
BOT_USER_ID_LENGTH = 33


@dataclass(frozen=True)
class TownRow:
    """What `towns list` and the operator console show: no personal data, no credentials."""

    id: int
    slug: str
    name: str
    status: str
    has_channel: bool
    bot_user_id: str
    created_at: datetime


def _slug_problems(slug: str) -> list[Problem]:
    if not SLUG_PATTERN.match(slug or ""):
        return [Problem("form", "slug", "町の識別名（slug）は半角の英小文字で始まり、英小文字・数字・ハイフンの3〜40文字にしてください")]
    if slug in reserved_segments(current_app):
        return [Problem("form", "slug", f"「{slug}」はこのサービスのパスに使われているため、町の識別名にできません")]
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        return [Problem("form", "slug", f"「{slug}」という町はすでにあります")]
    return []


def _channel_problems(secret: str, token: str, bot_user_id: str) -> list[Problem]:
    problems = []
    for field, value, label in (("line_channel_secret", secret, "チャネルシークレット"),
                                ("line_access_token", token, "チャネルアクセストークン")):
        if value and (has_control(value) or len(value) > 1000 or value != value.strip()):
            problems.append(Problem("form", field, f"{label}に使えない文字があります（前後の空白・改行を除いてください）"))
    if bot_user_id and not (len(bot_user_id) == BOT_USER_ID_LENGTH and bot_user_id[0] == "U"
                            and all(c in "0123456789abcdef" for c in bot_user_id[1:])):
        problems.append(Problem("form", "line_bot_user_id", "ボットのユーザーIDは「U」と32桁の16進数です（LINE Developers の「あなたのユーザーID」ではなく、Webhook の destination）"))
    return problems


def town_actor(actor: str) -> str:
    """Return who acted, as the town's own audit log names an operator: 運用者（e-mail）; "cli" stays."""
    return f"運用者（{actor}）" if "@" in (actor or "") else actor


def create_town(slug: str, name: str, *, actor: str, pack_dir: str | None = None, channel_secret: str = "",
                access_token: str = "", bot_user_id: str = "") -> Tenant:
    """Create a town, with its LINE channel and, from pack_dir, its knowledge; raise Invalid, creating nothing."""
    slug, name = (slug or "").strip(), (name or "").strip()
    problems = _slug_problems(slug)
    if not name or len(name) > 100 or has_control(name):
        problems.append(Problem("form", "name", "町の名前を100文字以内で入力してください"))
    problems += _channel_problems(channel_secret, access_token, bot_user_id)
    pack = None
    if pack_dir and not problems:
        pack = read_pack(pack_dir)  # raises Invalid with every problem of the pack, before anything is written
    if problems:
        raise Invalid(problems)
    town = Tenant(slug=slug, name=name, status=ACTIVE, line_channel_secret=seal(channel_secret),
                  line_access_token=seal(access_token), line_bot_user_id=bot_user_id, pack_dir=pack_dir or "")
    db.session.add(town)
    operator_record(actor, "town.create", slug, f"町「{name}」（{slug}）を作成",
                    {"pack": pack_dir or "", "line_channel": bool(channel_secret)})
    db.session.commit()
    forget_towns()
    with use_town(town.id):
        audit.record(town_actor(actor), "town.create", "town", town.id, f"町「{name}」（{slug}）を作成",
                     after={"slug": slug, "name": name, "pack": pack_dir or "", "line_channel": bool(channel_secret)})
        db.session.commit()
        if pack is not None:
            import_pack(pack, author=f"towns create ({actor})")
    return town


def _town(slug: str) -> Tenant:
    town = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if town is None:
        raise Invalid(f"町「{slug}」はありません", "slug")
    return town


def set_status(slug: str, status: str, *, actor: str) -> Tenant:
    """Suspend a town (its webhook, console and public pages answer 503) or make it active again."""
    if status not in (ACTIVE, SUSPENDED):
        raise Invalid("状態は active か suspended です", "status")
    town = _town(slug)
    before = town.status
    town.status = status
    operator_record(actor, f"town.{'suspend' if status == SUSPENDED else 'resume'}", town.slug,
                    f"町「{town.name}」を{'停止' if status == SUSPENDED else '再開'}", {"before": before, "after": status})
    with use_town(town.id):
        audit.record(town_actor(actor), f"town.{'suspend' if status == SUSPENDED else 'resume'}", "town", town.id,
                     f"町「{town.name}」を{'停止' if status == SUSPENDED else '再開'}", before={"status": before},
                     after={"status": status})
        db.session.commit()
    forget_towns()
    return town


def set_channel(slug: str, *, actor: str, channel_secret: str | None = None, access_token: str | None = None,
                bot_user_id: str | None = None) -> Tenant:
    """Replace a town's LINE credentials (rotation); what is None stays. Audited without the values."""
    town = _town(slug)
    problems = _channel_problems(channel_secret or "", access_token or "", bot_user_id or "")
    if problems:
        raise Invalid(problems)
    changed = []
    if channel_secret is not None:
        town.line_channel_secret = seal(channel_secret)
        changed.append("channel_secret")
    if access_token is not None:
        town.line_access_token = seal(access_token)
        changed.append("access_token")
    if bot_user_id is not None:
        town.line_bot_user_id = bot_user_id
        changed.append("bot_user_id")
    if not changed:
        raise Invalid("変更する項目を1つ以上入力してください（空欄の項目は今のままです）", "line_channel_secret")
    operator_record(actor, "town.channel", town.slug, f"町「{town.name}」のLINEチャネル設定を変更", {"changed": changed})
    with use_town(town.id):
        audit.record(town_actor(actor), "town.channel", "town", town.id, f"町「{town.name}」のLINEチャネル設定を変更",
                     after={"changed": changed})
        db.session.commit()
    forget_towns()
    return town


def reencrypt_channels(*, actor: str) -> int:
    """Encrypt every town's stored LINE credentials again with TOWN_SECRETS_KEY's first key (after a new key was put
    first); return how many towns had credentials. Raises MissingKey, changing nothing, when a value opens with no
    configured key."""
    towns = db.session.scalars(select(Tenant).order_by(Tenant.id)).all()
    count = 0
    try:
        for town in towns:
            if town.line_channel_secret or town.line_access_token:
                town.line_channel_secret = reseal(town.line_channel_secret)
                town.line_access_token = reseal(town.line_access_token)
                count += 1
    except MissingKey:
        db.session.rollback()  # all towns or none
        raise
    operator_record(actor, "towns.reencrypt", "", f"{count}町のLINE資格情報を新しい鍵で暗号化し直し", {"towns": count})
    db.session.commit()
    forget_towns()
    return count


def list_towns() -> list[TownRow]:
    """Return every town, oldest first."""
    rows = db.session.scalars(select(Tenant).order_by(Tenant.id))
    return [TownRow(t.id, t.slug, t.name, t.status, bool(t.line_channel_secret), t.line_bot_user_id, t.created_at)
            for t in rows]


def town_row(slug: str) -> TownRow:
    """Return one town as the operator sees it (no personal data, no credentials); raise Invalid when unknown."""
    t = _town(slug)
    return TownRow(t.id, t.slug, t.name, t.status, bool(t.line_channel_secret), t.line_bot_user_id, t.created_at)


def create_first_admin(slug: str, email: str, *, actor: str) -> tuple[str, str]:
    """Create an admin of a town that no admin has logged in to yet, with a generated password that must be changed
    at the first login; return (e-mail, password) to show once. Once the town's own admins have logged in, they
    manage their accounts: the operator can no longer add one (an operator never gets into a running town)."""
    town = _town(slug)
    with use_town(town.id):
        # The one read of a town table an operator's action makes: whether the town's admins have taken over.
        taken_over = db.session.scalar(select(User.id).where(User.role == "admin",
                                                             User.last_login_at.is_not(None)).limit(1))
        if taken_over is not None:
            raise Invalid("この町の管理者はすでにログインしています。管理者の追加は、町の管理者が管理画面の"
                          "「ユーザー」で行ってください。", "email")
        password = generate_password()
        # The operator's audit row commits with the account (create_user commits), or not at all.
        operator_record(actor, "town.first_admin", town.slug, f"町「{town.name}」の最初の管理者を作成",
                        {"role": "admin", "must_change_password": True})
        try:
            user = create_user(email, "admin", password, actor=town_actor(actor), must_change=True)
        except Invalid:
            db.session.rollback()
            raise
        email = user.email
    return email, password
