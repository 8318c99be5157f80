"""Translate parsed LINE webhook events into the conversation layer's Incoming."""
from __future__ import annotations

from linebot.v3.webhooks import (
    AudioMessageContent,
    Event,
    FileMessageContent,
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    JoinEvent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
    VideoMessageContent,
)

from bot.conversation import Incoming

_MEDIA = {
    StickerMessageContent: "sticker",
    ImageMessageContent: "image",
    VideoMessageContent: "video",
    AudioMessageContent: "audio",
    LocationMessageContent: "location",
    FileMessageContent: "file",
}


def source_of(event: Event) -> tuple[str, str | None, str | None]:
    """Return (source type, one-to-one user id, id to push to) for an event."""
    source = getattr(event, "source", None)
    if isinstance(source, UserSource):
        return "user", source.user_id, source.user_id
    if isinstance(source, GroupSource):
        return "group", None, source.group_id
    if isinstance(source, RoomSource):
        return "room", None, source.room_id
    return "unknown", None, None


def is_standby(event: Event) -> bool:
    """Return whether LINE sent the event in standby mode, while another channel is active for the chat."""
    mode = getattr(event, "mode", None)
    return getattr(mode, "value", mode) == "standby"


def to_incoming(event: Event) -> Incoming | None:
    """Return what the resident did, or None for events the bot does not act on."""
    source_type, user_id, _ = source_of(event)
    common = {"user_id": user_id, "source_type": source_type}
    if isinstance(event, MessageEvent):
        message = event.message
        ids = {"message_id": str(getattr(message, "id", "") or ""),
               "read_token": str(getattr(message, "mark_as_read_token", "") or "")}
        if isinstance(message, TextMessageContent):
            return Incoming("text", text=message.text or "", **common, **ids)
        media = next((kind for cls, kind in _MEDIA.items() if isinstance(message, cls)), "other")
        return Incoming("media", media_type=media, **common, **ids)
    if isinstance(event, PostbackEvent):
        return Incoming("postback", data=event.postback.data or "", **common)
    if isinstance(event, FollowEvent):
        return Incoming("follow", **common)
    if isinstance(event, JoinEvent):
        # Invited into a group or room: introduce ourselves like a new follow, storing no ids.
        return Incoming("follow", source_type=source_type)
    if isinstance(event, UnfollowEvent):
        return Incoming("unfollow", **common)
    return None
