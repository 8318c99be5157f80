"""Build webhook events shaped like the ones LINE sends."""
from __future__ import annotations

import itertools
import time
from typing import Any

_ids = itertools.count(1)
USER = "U" + "1" * 32


def _base(kind: str, user: str = USER, source: dict | None = None, redelivery: bool = False) -> dict[str, Any]:
    n = next(_ids)
    return {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": source or {"type": "user", "userId": user},
        "webhookEventId": f"01HTESTEVENT{n:014d}",
        "deliveryContext": {"isRedelivery": redelivery},
        "replyToken": f"reply-token-{n}",
    }


def text(message: str, **kw) -> dict[str, Any]:
    """Return a text message event."""
    event = _base("message", **kw)
    event["message"] = {"type": "text", "id": str(next(_ids)), "quoteToken": "q", "text": message}
    return event


def postback(data: str, **kw) -> dict[str, Any]:
    """Return a postback event."""
    event = _base("postback", **kw)
    event["postback"] = {"data": data}
    return event


def follow(**kw) -> dict[str, Any]:
    """Return a follow event."""
    event = _base("follow", **kw)
    event["follow"] = {"isUnblocked": False}
    return event


def unfollow(**kw) -> dict[str, Any]:
    """Return an unfollow event (no reply token, as LINE sends it)."""
    event = _base("unfollow", **kw)
    del event["replyToken"]
    return event


def image(message_id: str, **kw) -> dict[str, Any]:
    """Return an image message event (its content is served by the fake at /v2/bot/message/{id}/content)."""
    event = _base("message", **kw)
    event["message"] = {"type": "image", "id": message_id, "quoteToken": "q",
                        "contentProvider": {"type": "line"}, "markAsReadToken": f"read-{message_id}"}
    return event


def sticker(**kw) -> dict[str, Any]:
    """Return a sticker message event."""
    event = _base("message", **kw)
    event["message"] = {"type": "sticker", "id": str(next(_ids)), "quoteToken": "q", "packageId": "1",
                        "stickerId": "1", "stickerResourceType": "STATIC"}
    return event


GROUP = {"type": "group", "groupId": "C" + "2" * 32, "userId": USER}
