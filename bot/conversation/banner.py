"""Put the disaster-mode banner (災害時モード) in front of every reply while the mode is on. Pure functions."""
from __future__ import annotations

from bot.line import messages
from bot.line.limits import MAX_MESSAGES_PER_REPLY, MAX_TEXT_UTF16, clip
from bot.line.messages import Message
from bot.town.model import Town


def with_banner(reply: list[Message], town: Town) -> list[Message]:
    """Return the reply with the banner first, within LINE's five messages; unchanged when the mode is off."""
    if not town.disaster or not town.disaster_banner.strip() or not reply:
        return reply
    banner = town.disaster_banner.strip()
    if len(reply) < MAX_MESSAGES_PER_REPLY:
        return [messages.text(banner), *reply]
    # A full reply: the banner becomes the first line of its first text, so no message (nor the last
    # message's quick replies) is pushed out.
    for i, message in enumerate(reply):
        if message.get("type") == "text":
            merged = dict(message, text=clip(f"{banner}\n\n{message['text']}", MAX_TEXT_UTF16))
            return [*reply[:i], merged, *reply[i + 1:]]
    return [messages.text(banner), *reply[:MAX_MESSAGES_PER_REPLY - 2], reply[-1]]
