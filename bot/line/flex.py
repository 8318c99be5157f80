"""Build Flex Message parts as LINE's wire JSON: plain dicts, camelCase keys, no None values.

Keys go in the order the SDK's models serialise them, so the JSON is byte for byte what the SDK sent;
tests/line/test_messages.py checks every message against the SDK's models instead of each request doing it.
"""
from __future__ import annotations

import logging
from typing import Any

from bot.core.textrules import CONTROL, line_uri_problem

Node = dict[str, Any]
log = logging.getLogger(__name__)


def postback_action(label: str, data: str, display_text: str) -> Node:
    """Return an action that sends data to the bot and shows display_text in the chat."""
    return {"type": "postback", "label": label, "data": data, "displayText": display_text}


def uri_action(label: str, uri: str) -> Node | None:
    """Return an action that opens a link, or None when LINE would refuse the link (the error is logged).

    Every link in every message passes here, once: LINE refuses a whole message for one bad link, so a bad
    one drops only its button (the button, box and bubble helpers below skip None) and never the reply.
    """
    problem = line_uri_problem(uri)
    if problem is None:
        return {"type": "uri", "label": label, "uri": uri}
    # The label is this service's own text; the link itself may carry a token, so it stays out of the log.
    log.error("LINE message: dropped the button %r: its link %s", label, problem)
    return None


def text(body: str, size: str, *, color: str = "", weight: str = "", wrap: bool = False) -> Node:
    """Return a text component (control characters, which nobody can see, left out)."""
    node: Node = {"type": "text", "text": CONTROL.sub("", body), "size": size}
    if color:
        node["color"] = color
    if weight:
        node["weight"] = weight
    if wrap:
        node["wrap"] = True
    return node


def separator(margin: str) -> Node:
    """Return a horizontal rule."""
    return {"type": "separator", "margin": margin}


def button(action: Node | None, style: str, height: str = "sm") -> Node | None:
    """Return a button that runs an action; None when the action was dropped."""
    if action is None:
        return None
    return {"type": "button", "style": style, "action": action, "height": height}


def box(layout: str, contents: list[Node | None], spacing: str = "") -> Node | None:
    """Return a box laying out its contents vertically or horizontally; None when every part was dropped."""
    kept = [c for c in contents if c is not None]
    if not kept:
        return None
    node: Node = {"type": "box", "layout": layout, "contents": kept}
    if spacing:
        node["spacing"] = spacing
    return node


def bubble(header: Node, body: Node, footer: Node | None = None) -> Node:
    """Return a bubble with a header, a body and an optional footer."""
    node: Node = {"type": "bubble", "header": header, "body": body}
    if footer is not None:
        node["footer"] = footer
    return node


def message(alt_text: str, contents: Node, quick_reply: Node | None = None) -> Node:
    """Return a Flex message: the bubble, the text shown in notifications, and optional quick replies."""
    node: Node = {"type": "flex"}
    if quick_reply is not None:
        node["quickReply"] = quick_reply
    node["altText"] = CONTROL.sub("", alt_text)
    node["contents"] = contents
    return node
