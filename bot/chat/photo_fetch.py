"""What the webhook asks of the counter: whether a resident is chatting (read before matching), and fetching the
photos a chat received once the event is committed."""
from __future__ import annotations

from bot.chat import store
from bot.conversation import records
from bot.conversation.incoming import Incoming
from bot.extensions import db
from bot.town.settings import current_town


def chatting(incoming: Incoming | None) -> store.ChatRef | None:
    """Tell whether a text comes from a resident whose chat staff answer; the read transaction ends at once, so
    no write lock waits behind it (SQLite)."""
    if incoming is None or incoming.kind not in ("text", "media") or incoming.channel != "line" \
            or incoming.source_type != "user" or not incoming.user_id:
        return None
    if not current_town().chats_open:
        return None  # the usual case: no statement (the town's settings are cached), nothing to end
    try:
        return store.open_ref(incoming.user_id)
    finally:
        db.session.rollback()


def fetch(message_id: int) -> bool:
    with records.one_writer():
        return store.fetch_photo(message_id)
