"""The counter's records: chats and their messages. The resident side adds to the webhook's transaction; the staff
side (reply, resend, assign, memo, end, templates, purge) owns its transactions and audit rows."""
from __future__ import annotations

import logging
import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, Integer, String, bindparam, delete, func, select, text, update

from bot.chat import settings as counter_settings
from bot.chat import texts
from bot.chat.photos import PhotoRefused, clean_photo
from bot.core import audit
from bot.core.problems import Invalid
from bot.extensions import db
from bot.line import messages
from bot.line.channels import town_gateway
from bot.models import Chat, ChatMessage, ChatTemplate, QuestionLog, utcnow
from bot.models.chat import ACTIVE_STATUSES, ENDED, OPEN, WAITING
from bot.models.tenancy import require_town_id
from bot.models.timeutil import local_now, to_local
from bot.town.settings import current_town

log = logging.getLogger(__name__)

MAX_REPLY_CHARS = 2000  # LINE allows 5000; a counter's answer is shorter
MAX_RESIDENT_CHARS = 5000
MAX_MEMO_CHARS = 2000
SENDING, SENT, UNSENT, BLOCKED = "sending", "sent", "unsent", "blocked"
STATUS_LABELS = {SENDING: "送信中", SENT: "送信済み", UNSENT: "未送信", BLOCKED: "届きません"}
CHAT_LABELS = {WAITING: "時間外の受付", OPEN: "対応中", ENDED: "終了"}


# -- The resident's side: called by bot.conversation inside the webhook's transaction ------------------------

def active_chat(line_user_id: str) -> Chat | None:
    """Return the resident's open or waiting chat, or None (one indexed read per message)."""
    return db.session.scalar(select(Chat).where(Chat.line_user_id == line_user_id,
                                                Chat.status.in_(ACTIVE_STATUSES)).order_by(Chat.id.desc()).limit(1))


@dataclass(frozen=True)
class ChatRef:
    """What a resident's message needs of their chat: three columns, not the whole row (the webhook's hot path)."""

    id: int
    status: str
    last_activity_at: datetime


# Every message in a town with an open chat runs this: text, like bot.conversation.records, so that SQLAlchemy
# compiles it once (raw SQL names its town explicitly).
_OPEN_REF = text(
    "SELECT id, status, last_activity_at FROM chats WHERE town_id = :town AND line_user_id = :user "
    "AND status = 'open' ORDER BY id DESC LIMIT 1"
).columns(id=Integer, status=String, last_activity_at=DateTime(timezone=True))


def open_ref(line_user_id: str) -> ChatRef | None:
    """Return the resident's open chat (id, status, last activity), or None: one indexed read of three columns."""
    row = db.session.execute(_OPEN_REF, {"town": require_town_id(), "user": line_user_id}).first()
    return ChatRef(*row) if row else None


def quiet_too_long(chat: Chat | ChatRef, now: datetime | None = None) -> bool:
    """Tell whether an open chat has passed the town's quiet period (it then ends)."""
    # From the town's cached settings: a message in a chat costs no read of the counter's settings.
    minutes = current_town().chat_quiet_minutes or current_app.config["CHAT_QUIET_MINUTES"]
    return chat.status == OPEN and _aware(chat.last_activity_at) < (now or utcnow()) - timedelta(minutes=minutes)


def request_chat(line_user_id: str, user_hash: str, contact: str) -> tuple[Chat, str]:
    """Start (or find) the resident's chat; return it and what the bot says. Audited: a chat is personal data."""
    chat = active_chat(line_user_id)
    now = utcnow()
    cs = counter_settings.current()
    if chat is not None and chat.status == OPEN and quiet_too_long(chat, now):
        end(chat, "quiet")
        chat = None
    if chat is not None:
        if chat.status == WAITING and cs.is_open(now):
            chat.status, chat.opened_at = OPEN, now
            _touch(chat, now)
            counter_settings.mark_active(True)
        return chat, texts.already(chat.status == OPEN)
    status = OPEN if cs.is_open(now) else WAITING
    chat = Chat(line_user_id=line_user_id, user_hash=user_hash, status=status, requested_at=now,
                opened_at=now if status == OPEN else None, last_activity_at=now)
    db.session.add(chat)
    db.session.flush()
    if status == OPEN:
        counter_settings.mark_active(True)
    audit.record("resident", "chat.open", "chat", chat.id,
                 "オンライン窓口のチャットを開始" if status == OPEN else "オンライン窓口を時間外に希望")
    if status == OPEN:
        span = cs.span
        until = f"、本日は{span[1].hour}:{span[1].minute:02d}まで" if span and cs.switch == counter_settings.AUTO else ""
        return chat, texts.started(contact, cs.hours_text(), until)
    return chat, texts.waiting(cs.next_opening(now), cs.hours_text())


_AT = bindparam("at", type_=DateTime(timezone=True))
_BUMP = text(
    "UPDATE chats SET unread = unread + 1, last_resident_at = :at, last_activity_at = :at, revision = revision + 1, "
    "read_token = CASE WHEN :token = '' THEN read_token ELSE :token END "
    "WHERE id = :chat AND town_id = :town AND status = 'open'"
).bindparams(_AT)
_ADD = text(
    "INSERT INTO chat_messages (town_id, chat_id, sender, author, kind, text, flag, status, error, retry_key, "
    "line_message_id, image_type, created_at) "
    "VALUES (:town, :chat, 'resident', '', 'text', :text, :flag, '', '', '', '', '', :at)"
).bindparams(_AT, bindparam("flag", value=None, type_=String))


def resident_text(chat_id: int, body: str, flag: str | None = None, read_token: str = "") -> None:
    """Add what the resident wrote to their chat (flagged when the safety detector answered it): two statements."""
    params = {"town": require_town_id(), "chat": chat_id, "at": utcnow(), "token": read_token[:300],
              "text": body[:MAX_RESIDENT_CHARS], "flag": flag}
    db.session.execute(_BUMP, params)
    db.session.execute(_ADD, params)


# On PostgreSQL a resident's message in an open chat is this one statement: the event's claim, the message and the
# chat's unread count, gated on the claim (a redelivery stores nothing) and on the chat still being open. Each round
# trip costs the worker more CPU than the statement (the FAQ's turn is one statement too: bot.conversation.records).
_TURN = text(
    "WITH claim AS (INSERT INTO processed_events (town_id, webhook_event_id, event_type, received_at) "
    "VALUES (:town, :event_id, :event_type, :at) ON CONFLICT (town_id, webhook_event_id) DO NOTHING RETURNING id), "
    "live AS (SELECT id FROM chats WHERE id = :chat AND status = 'open' AND town_id = :town), "
    "msg AS (INSERT INTO chat_messages (town_id, chat_id, sender, author, kind, text, status, error, retry_key, "
    "line_message_id, image_type, created_at) SELECT :town, live.id, 'resident', '', 'text', :text, '', '', '', '', '', "
    ":at FROM claim, live RETURNING chat_id), "
    "bump AS (UPDATE chats SET unread = unread + 1, last_resident_at = :at, last_activity_at = :at, "
    "revision = revision + 1, read_token = CASE WHEN :token = '' THEN read_token ELSE :token END "
    "WHERE id IN (SELECT chat_id FROM msg) RETURNING id) "
    "SELECT (SELECT count(*) FROM claim), (SELECT count(*) FROM bump)"
).bindparams(bindparam("at", type_=DateTime(timezone=True)))


def resident_turn(event_id: str | None, event_type: str, chat: ChatRef, body: str, read_token: str,
                  claim_event) -> bool | None:
    """Claim the event and pass a resident's message to their open chat; None when the event was claimed before,
    False when the chat is no longer open (the event is claimed: the bot answers it)."""
    body, read_token = body[:MAX_RESIDENT_CHARS], read_token[:300]
    if event_id and db.session.get_bind().dialect.name == "postgresql":
        claimed, stored = db.session.execute(_TURN, {
            "town": require_town_id(), "event_id": event_id, "event_type": event_type[:40], "at": utcnow(),
            "chat": chat.id, "text": body, "token": read_token}).one()
        return None if not claimed else bool(stored)
    if event_id and not claim_event(event_id, event_type):
        return None
    # SQLite: the same steps in process (no round trips to save), the chat's row first: it is still open or not.
    params = {"town": require_town_id(), "chat": chat.id, "at": utcnow(), "token": read_token, "text": body}
    if db.session.execute(_BUMP, params).rowcount != 1:
        return False
    db.session.execute(_ADD, params)
    return True


def _resident_wrote(chat_id: int, now: datetime, read_token: str) -> None:
    values = {"unread": Chat.unread + 1, "last_resident_at": now, "last_activity_at": now,
              "revision": Chat.revision + 1}
    if read_token:
        values["read_token"] = read_token[:300]
    db.session.execute(update(Chat).where(Chat.id == chat_id).values(values),
                       execution_options={"synchronize_session": False})


def resident_photo(chat: Chat | ChatRef, line_message_id: str, read_token: str = "") -> tuple[ChatMessage | None, str]:
    """Add a photo the resident sent (fetched after the commit); return it, or None and why it was refused."""
    limit = current_app.config["CHAT_PHOTOS_PER_CHAT"]
    count = db.session.scalar(select(func.count()).select_from(ChatMessage).where(
        ChatMessage.chat_id == chat.id, ChatMessage.kind == "image")) or 0
    if count >= limit:
        return None, f"1回のチャットで送れる写真は{limit}枚までです"
    now = utcnow()
    message = ChatMessage(chat_id=chat.id, sender="resident", kind="image", line_message_id=line_message_id[:40],
                          created_at=now)
    db.session.add(message)
    db.session.flush()
    _resident_wrote(chat.id, now, read_token)
    return message, ""


def fetch_photo(message_id: int) -> bool:
    """Download a photo through LINE's blob API, strip its EXIF (GPS too) and keep it; commit. False: refused."""
    message = db.session.get(ChatMessage, message_id)
    if message is None or message.image is not None or not message.line_message_id:
        return False
    data, _type, result = town_gateway().content(message.line_message_id, current_app.config["CHAT_PHOTO_MAX_BYTES"])
    if data is None:
        message.text = "（写真を受け取れませんでした：" + ("大きすぎます" if result.status == 413 else "LINEから取得できません") + "）"
    else:
        try:
            message.image, message.image_type = clean_photo(data)
        except PhotoRefused as exc:
            message.text = f"（写真を受け取れませんでした：{exc}）"
    message.chat.revision = (message.chat.revision or 0) + 1
    db.session.commit()
    return message.image is not None


def end(chat: Chat, by: str) -> None:
    """End a chat (by a staff e-mail, "resident" or "quiet"); the caller commits."""
    now = utcnow()
    chat.status, chat.ended_at, chat.ended_by, chat.unread = ENDED, now, by[:254], 0
    _touch(chat, now)
    db.session.flush()
    if not db.session.scalar(select(func.count()).select_from(Chat).where(Chat.status == OPEN)):
        counter_settings.mark_active(False)  # the last open chat: messages skip the look at the chats again
    audit.record(by if "@" in by else "resident" if by == "resident" else "system", "chat.end", "chat", chat.id,
                 {"resident": "住民がチャットを終了", "quiet": "やりとりがなく自動で終了"}.get(by, "職員がチャットを終了"))


def _touch(chat: Chat, now: datetime) -> None:
    chat.last_activity_at = now
    chat.revision = (chat.revision or 0) + 1


def _aware(moment: datetime) -> datetime:
    from datetime import timezone
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# -- The staff's side ---------------------------------------------------------------------------------------

def get(chat_id: int) -> Chat | None:
    return db.session.get(Chat, chat_id) if 0 < chat_id < 2**31 else None


def _locked(chat_id: int) -> Chat:
    chat = db.session.scalar(select(Chat).where(Chat.id == chat_id).with_for_update())
    if chat is None:
        raise Invalid("このチャットは見つかりません（保存期間を過ぎて削除された可能性があります）。")
    return chat


def pushes_this_month() -> int:
    """Return how many pushes the counter sent this month (Asia/Tokyo), staff replies and the bot's notices."""
    start = local_now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return db.session.scalar(select(func.count()).select_from(ChatMessage).where(
        ChatMessage.status == SENT, ChatMessage.sent_at >= start)) or 0


def reply(chat_id: int, text: str, actor: str) -> ChatMessage:
    """Store a staff reply and push it (in order with any reply still waiting); the reply is kept whatever LINE says."""
    text = (text or "").strip()
    if not text:
        raise Invalid("返信の文を入力してください。", "text")
    if len(text) > MAX_REPLY_CHARS:
        raise Invalid(f"返信は{MAX_REPLY_CHARS}文字以内にしてください（いま{len(text)}文字）。", "text")
    if "\x00" in text:
        raise Invalid("返信に使えない文字が入っています。", "text")
    chat = _locked(chat_id)
    if chat.status == ENDED:
        raise Invalid("このチャットは終了しています。返信は送れません。", "text")
    quota = counter_settings.current().push_quota
    if quota is not None and pushes_this_month() >= quota:
        raise Invalid(f"今月のプッシュメッセージの上限（{quota}通）に達しました。返信は送っていません。", "text")
    now = utcnow()
    message = ChatMessage(chat_id=chat.id, sender="staff", author=actor, text=text, status=SENDING,
                          retry_key=str(uuid.uuid4()), created_at=now)
    db.session.add(message)
    if chat.status == WAITING:
        chat.status, chat.opened_at = OPEN, now  # staff answered a request made outside the hours
        counter_settings.mark_active(True)
    if chat.first_reply_at is None:
        chat.first_reply_at = now
    if not chat.assigned_to:
        chat.assigned_to = actor
    chat.unread = 0
    _touch(chat, now)
    db.session.commit()
    message_id = message.id
    send_pending(chat_id)
    return db.session.get(ChatMessage, message_id)


def send_pending(chat_id: int) -> None:
    """Push every message of a chat still waiting to go out, oldest first; commit each outcome.

    Two staff replying at once both call this: each pushes the waiting messages in id order, and the retry key
    makes LINE take each message once (its 409 means an earlier try got through), so both land, in order."""
    gateway = town_gateway()
    ids = db.session.scalars(select(ChatMessage.id).where(ChatMessage.chat_id == chat_id, ChatMessage.status == SENDING)
                             .order_by(ChatMessage.id)).all()
    for message_id in ids:
        message = db.session.get(ChatMessage, message_id)
        if message is None or message.status != SENDING:
            continue
        chat = message.chat
        result = gateway.push(chat.line_user_id, [messages.text(message.text)], retry_key=message.retry_key)
        if result.ok or result.status == 409:
            status, error = SENT, ""
        elif result.status in (400, 403):
            status, error = BLOCKED, "LINEが受け付けませんでした（ブロックされたか、友だちではなくなった可能性）"
        elif result.status is None:
            status, error = UNSENT, "LINEから応答がありませんでした"
        else:
            status, error = UNSENT, f"LINEが受け付けませんでした（HTTP {result.status}）"
        changed = db.session.execute(
            update(ChatMessage).where(ChatMessage.id == message_id, ChatMessage.status == SENDING)
            .values(status=status, error=error, sent_at=utcnow() if status == SENT else None),
            execution_options={"synchronize_session": False}).rowcount
        if changed:
            if status == BLOCKED:
                chat.blocked = True
            elif status == SENT:
                chat.blocked = False
            chat.revision = (chat.revision or 0) + 1
        db.session.commit()
        if status != SENT:
            # The rest waits too: a later reply must not overtake this one.
            db.session.execute(update(ChatMessage).where(ChatMessage.chat_id == chat_id, ChatMessage.status == SENDING,
                                                         ChatMessage.id > message_id)
                               .values(status=UNSENT, error="前の返信が届いていないため送っていません"),
                               execution_options={"synchronize_session": False})
            db.session.commit()
            return


def resend(message_id: int, actor: str) -> ChatMessage:
    """Send an unsent reply again (with its own retry key: LINE never delivers it twice); commit."""
    message = db.session.get(ChatMessage, message_id) if 0 < message_id < 2**31 else None
    if message is None or message.sender == "resident":
        raise Invalid("この返信は見つかりません。")
    if message.status not in (UNSENT, BLOCKED):
        raise Invalid("この返信は送信済みです。")
    chat_id = message.chat_id
    _locked(chat_id)
    earlier = db.session.scalar(select(func.count()).select_from(ChatMessage).where(
        ChatMessage.chat_id == chat_id, ChatMessage.id < message_id, ChatMessage.status.in_((UNSENT, BLOCKED))))
    if earlier:
        raise Invalid("先に、前の未送信の返信を再送信してください（順番どおりに届けるため）。")
    message.status, message.error = SENDING, ""
    message.chat.revision = (message.chat.revision or 0) + 1
    audit.record(actor, "chat.resend", "chat", chat_id, "未送信の返信を再送信")
    db.session.commit()
    send_pending(chat_id)
    return db.session.get(ChatMessage, message_id)


def assign(chat_id: int, actor: str) -> None:
    chat = _locked(chat_id)
    before = chat.assigned_to
    chat.assigned_to = actor
    _touch(chat, utcnow())
    audit.record(actor, "chat.assign", "chat", chat_id, "チャットの担当になる", {"assigned_to": before}, {"assigned_to": actor})
    db.session.commit()


def save_memo(chat_id: int, memo: str, actor: str) -> None:
    memo = (memo or "").strip()
    if len(memo) > MAX_MEMO_CHARS:
        raise Invalid(f"メモは{MAX_MEMO_CHARS}文字以内にしてください。", "memo")
    if "\x00" in memo:
        raise Invalid("メモに使えない文字が入っています。", "memo")
    chat = _locked(chat_id)
    chat.memo = memo
    _touch(chat, utcnow())
    audit.record(actor, "chat.memo", "chat", chat_id, "チャットの職員メモを保存")
    db.session.commit()


def end_by_staff(chat_id: int, actor: str) -> ChatMessage | None:
    """End a chat and tell the resident by push (kept as the bot's message, 未送信 when LINE refuses); commit."""
    chat = _locked(chat_id)
    if chat.status == ENDED:
        raise Invalid("このチャットはすでに終了しています。")
    end(chat, actor)
    notice = ChatMessage(chat_id=chat.id, sender="bot", text=texts.ended_by_staff(), status=SENDING,
                         retry_key=str(uuid.uuid4()), created_at=utcnow())
    db.session.add(notice)
    db.session.commit()
    send_pending(chat_id)
    return notice


def mark_read(chat: Chat) -> None:
    """Use the resident's last markAsReadToken (既読 in their LINE) when the town turned it on; commit."""
    token = chat.read_token
    if not token or not counter_settings.current().mark_read:
        return
    result = town_gateway().mark_as_read(token)
    if result.ok:
        chat.read_token = ""
        db.session.commit()


def fetch_waiting_photos(chat: Chat) -> None:
    """Fetch the photos the webhook left for later (its time ran out); each commits."""
    waiting = db.session.scalars(select(ChatMessage.id).where(
        ChatMessage.chat_id == chat.id, ChatMessage.kind == "image", ChatMessage.image.is_(None),
        ChatMessage.text == "", ChatMessage.line_message_id != "")).all()
    for message_id in waiting[:current_app.config["CHAT_PHOTOS_PER_CHAT"]]:
        fetch_photo(message_id)


def seen(chat: Chat) -> None:
    """Staff opened the chat: nothing unread any more; commit."""
    if chat.unread:
        chat.unread = 0
        chat.revision = (chat.revision or 0) + 1
        db.session.commit()


def recent_questions(chat: Chat, limit: int = 10) -> list[QuestionLog]:
    """Return the resident's last questions to the bot (masked when they were stored), newest first."""
    if not chat.user_hash:
        return []
    return list(db.session.scalars(select(QuestionLog).where(QuestionLog.user_hash == chat.user_hash)
                                   .order_by(QuestionLog.id.desc()).limit(limit)))


# -- The list -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    id: int
    status: str
    unread: int
    waiting_minutes: int | None  # since the resident's first unanswered message; None when nobody waits
    requested_at: datetime
    last_activity_at: datetime
    assigned_to: str
    blocked: bool
    unsent: int
    preview: str


def board(limit: int = 100) -> list[Row]:
    """Return the chats for the list: open and waiting first (longest waiting first), then the last ended ones."""
    now = utcnow()
    active = list(db.session.scalars(select(Chat).where(Chat.status.in_(ACTIVE_STATUSES)).order_by(Chat.requested_at)))
    ended = list(db.session.scalars(select(Chat).where(Chat.status == ENDED).order_by(Chat.ended_at.desc()).limit(20)))
    ids = [c.id for c in active + ended]
    unsent = dict(db.session.execute(select(ChatMessage.chat_id, func.count()).where(
        ChatMessage.chat_id.in_(ids), ChatMessage.status.in_((UNSENT, BLOCKED))).group_by(ChatMessage.chat_id)).all()) \
        if ids else {}
    last = {}
    if ids:
        newest = select(func.max(ChatMessage.id)).where(ChatMessage.chat_id.in_(ids), ChatMessage.sender == "resident") \
            .group_by(ChatMessage.chat_id)
        for m in db.session.scalars(select(ChatMessage).where(ChatMessage.id.in_(newest))):
            last[m.chat_id] = "［写真］" if m.kind == "image" else m.text
    rows = []
    for c in active + ended:
        waiting = None
        if c.status != ENDED and (c.unread or c.first_reply_at is None):
            since = _aware(c.last_resident_at or c.requested_at) if c.first_reply_at else _aware(c.requested_at)
            waiting = max(0, int((now - since).total_seconds() // 60))
        rows.append(Row(c.id, c.status, c.unread or 0, waiting, c.requested_at, c.last_activity_at, c.assigned_to,
                        c.blocked, unsent.get(c.id, 0), (last.get(c.id) or "")[:40]))
    active_rows = sorted(rows[:len(active)], key=lambda r: (r.status != OPEN, -(r.waiting_minutes or 0)))
    return active_rows + rows[len(active):][:limit]


def board_tag() -> str:
    """Return the list's ETag: it changes whenever a chat changes (its revision) or one is added or removed."""
    count, top, total = db.session.execute(select(func.count(), func.max(Chat.id), func.sum(Chat.revision))).one()
    minute = int(utcnow().timestamp() // 60)  # waiting times move on by the minute
    return f"c{count}-{top or 0}-{total or 0}-{minute}"


def set_handler(user, handles: bool, actor: str) -> bool:
    """Make a staff member 窓口担当 or not, audited, and commit; False when nothing changed."""
    if handles == user.handles_chat:
        return False
    user.handles_chat = handles  # read from the database on every request: a revoked permission ends at once
    audit.record(actor, "user.chat", "user", user.id, f"{user.email} を窓口担当{'にする' if handles else 'から外す'}",
                 {"handles_chat": not handles}, {"handles_chat": handles})
    db.session.commit()
    return True


# -- Templates (定型文) -------------------------------------------------------------------------------------

def templates() -> list[ChatTemplate]:
    return list(db.session.scalars(select(ChatTemplate).order_by(ChatTemplate.title)))


def save_template(title: str, body: str, actor: str, template_id: int | None = None) -> ChatTemplate:
    title, body = (title or "").strip(), (body or "").strip()
    problems = []
    if not title or len(title) > 40:
        problems.append(("title", "定型文の名前は1〜40文字で入力してください。"))
    if not body or len(body) > MAX_REPLY_CHARS:
        problems.append(("body", f"定型文の本文は1〜{MAX_REPLY_CHARS}文字で入力してください。"))
    if "\x00" in title + body:
        problems.append(("body", "使えない文字が入っています。"))
    if problems:
        from bot.core.problems import FORM, Problem
        raise Invalid([Problem(FORM, f, m) for f, m in problems])
    clash = db.session.scalar(select(ChatTemplate).where(ChatTemplate.title == title))
    row = db.session.get(ChatTemplate, template_id) if template_id else None
    if clash is not None and clash is not row:
        raise Invalid("同じ名前の定型文があります。別の名前にしてください。", "title")
    before = {"title": row.title, "body": row.body} if row else None
    if row is None:
        row = ChatTemplate(title=title, body=body, updated_by=actor)
        db.session.add(row)
    row.title, row.body, row.updated_by = title, body, actor
    audit.record(actor, "chat.template", "chat_template", title, "定型文を保存", before, {"title": title, "body": body})
    db.session.commit()
    return row


def template(template_id: int) -> ChatTemplate | None:
    return db.session.get(ChatTemplate, template_id) if 0 < template_id < 2**31 else None


def delete_template(template_id: int, actor: str) -> bool:
    row = template(template_id)
    if row is None:
        return False
    audit.record(actor, "chat.template_delete", "chat_template", row.title, "定型文を削除", {"title": row.title}, None)
    db.session.delete(row)
    db.session.commit()
    return True


# -- Figures and retention ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    weeks: list[tuple[str, int]]  # (week starting, chats) for the last 8 weeks, oldest first
    median_first_reply_minutes: float | None
    waited_over_hour: int
    pushes: int
    quota: int | None


def figures(weeks: int = 8) -> Figures:
    """Return the overview's figures: chats per week, the median time to a first reply, chats that waited > 1 h."""
    today = local_now().date()
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday - timedelta(weeks=weeks - 1), datetime.min.time(), tzinfo=local_now().tzinfo)
    rows = db.session.execute(select(Chat.requested_at, Chat.opened_at, Chat.first_reply_at)
                              .where(Chat.requested_at >= start)).all()
    counts = {monday - timedelta(weeks=n): 0 for n in range(weeks)}
    waits, over = [], 0
    now = utcnow()
    for requested, opened, first in rows:
        day = to_local(_aware(requested)).date()
        week = day - timedelta(days=day.weekday())
        if week in counts:
            counts[week] += 1
        since = _aware(opened or requested)
        if first is not None:
            minutes = (_aware(first) - since).total_seconds() / 60
            waits.append(max(0.0, minutes))
            over += minutes > 60
        elif opened is not None and (now - since) > timedelta(hours=1):
            over += 1
    return Figures([(f"{w.month}/{w.day}", counts[w]) for w in sorted(counts)],
                   round(statistics.median(waits), 1) if waits else None, over, pushes_this_month(),
                   counter_settings.current().push_quota)


def purge(days: int | None = None) -> int:
    """Delete ended chats (their messages and photos with them) older than the retention period; commit."""
    keep = days if days is not None else counter_settings.current().retention_days
    cutoff = utcnow() - timedelta(days=keep)
    old = select(Chat.id).where(Chat.status == ENDED, Chat.ended_at < cutoff)
    db.session.execute(delete(ChatMessage).where(ChatMessage.chat_id.in_(old)), execution_options={"synchronize_session": False})
    gone = db.session.execute(delete(Chat).where(Chat.status == ENDED, Chat.ended_at < cutoff),
                              execution_options={"synchronize_session": False}).rowcount
    if gone:
        audit.record("system", "chat.purge", "chat", "", f"保存期間（{keep}日）を過ぎたチャット{gone}件を削除")
    db.session.commit()
    return gone
