"""The counter as the conversation layer sees it: is this resident talking with staff, and pass their messages on.
Everything here adds to the webhook's transaction; bot.conversation commits it with the event's claim."""
from __future__ import annotations

from bot.chat import store, texts
from bot.chat.store import ChatRef
from bot.extensions import db
from bot.models import Chat
from bot.models.chat import OPEN

is_end = texts.is_end
ended_quietly = texts.ended_quietly
ended_by_resident = texts.ended_by_resident
quiet_too_long = store.quiet_too_long


def open_chat(line_user_id: str) -> ChatRef | None:
    """Return the resident's chat when staff are answering it (open), else None."""
    return store.open_ref(line_user_id)


def start(line_user_id: str, user_hash: str, contact: str) -> tuple[bool, str]:
    """Start a chat (or find the one asked for); return whether staff answer now, and what the bot says."""
    chat, said = store.request_chat(line_user_id, user_hash, contact)
    return chat.status == OPEN, said


def end(chat: ChatRef, by: str) -> None:
    row = db.session.get(Chat, chat.id)
    if row is not None:
        store.end(row, by)


def turn(event_id: str | None, event_type: str, chat: ChatRef, body: str, read_token: str) -> bool | None:
    """Claim the event and pass the message on: None when claimed before, False when the chat is no longer open."""
    from bot.conversation import records

    return store.resident_turn(event_id, event_type, chat, body, read_token, records.claim_event)


def text(chat: ChatRef, body: str, flag: str | None, read_token: str) -> None:
    store.resident_text(chat.id, body, flag, read_token)


_MEDIA_WORDS = {"sticker": "スタンプ", "video": "動画", "audio": "音声", "location": "位置情報", "file": "ファイル"}


def media(chat: ChatRef, media_type: str, message_id: str, read_token: str) -> tuple[int | None, str]:
    """Pass a photo on (its id, to fetch after the commit), or note what else was sent; return why a photo was
    refused ("" when it was not)."""
    if media_type == "image" and message_id:
        message, refused = store.resident_photo(chat, message_id, read_token)
        if message is None:
            return None, texts.photo_refused(refused)
        db.session.flush()
        return message.id, ""
    word = _MEDIA_WORDS.get(media_type, "メッセージ")
    store.resident_text(chat.id, f"（{word}が送られました。オンライン窓口では文章と写真だけを受け取ります）", None, read_token)
    return None, f"{word}は職員に届きません。文章か写真でお送りください。"
