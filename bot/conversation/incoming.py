"""What the conversation layer receives and returns, independent of the LINE SDK."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.line.messages import Message

# PostgreSQL refuses NUL in text, and no database encodes a lone surrogate (JSON's "\\ud800" decodes to one).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """Return text without the characters a database cannot store."""
    return _UNSTORABLE.sub("", text) if text else text


@dataclass(frozen=True)
class Incoming:
    """One thing a resident did: sent text, tapped a button, followed, sent a sticker..."""

    kind: str  # text | postback | follow | unfollow | media | unknown
    text: str = ""
    data: str = ""
    media_type: str = ""  # sticker, image, video, audio, location, file
    user_id: str | None = None  # only for one-to-one chats; never stored for groups or rooms
    source_type: str = "user"  # user | group | room
    channel: str = "line"  # line | simulator | cli
    message_id: str = ""  # LINE's id of a message (a photo's content is fetched by it)
    read_token: str = ""  # LINE's markAsReadToken: staff of the オンライン窓口 may mark the message read

    def __post_init__(self) -> None:
        # Cleaned here, where every door (webhook, simulator, CLI) passes, so a question is answered, not lost.
        object.__setattr__(self, "text", storable(self.text))
        object.__setattr__(self, "data", storable(self.data))


@dataclass
class Reply:
    """The messages to send back, and what the question log recorded."""

    messages: list[Message] = field(default_factory=list)
    outcome: str = ""
    entry_slug: str | None = None
    log_id: int | None = None
    photo_ids: list[int] = field(default_factory=list)  # chat photos to fetch from LINE once this is committed
