"""Build Flex Message parts as LINE's wire JSON: plain dicts, camelCase keys, no None values.

Keys go in the order the SDK's models serialise them, so the JSON is byte for byte what the SDK sent;
tests/test_line_messages.py checks every message against the SDK's models instead of each request doing it.
"""
from __future__ import annotations

from typing import Any

Node = dict[str, Any]


def postback_action(label: str, data: str, display_text: str) -> Node:
    """Return an action that sends data to the bot and shows display_text in the chat."""
    return {"type": "postback", "label": label, "data": data, "displayText": display_text}


def uri_action(label: str, uri: str) -> Node:
    """Return an action that opens a link."""
    return {"type": "uri", "label": label, "uri": uri}


def text(body: str, size: str, *, color: str = "", weight: str = "", wrap: bool = False) -> Node:
    """Return a text component."""
    node: Node = {"type": "text", "text": body, "size": size}
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


def button(action: Node, style: str, height: str = "sm") -> Node:
    """Return a button that runs an action."""
    return {"type": "button", "style": style, "action": action, "height": height}


def box(layout: str, contents: list[Node], spacing: str = "") -> Node:
    """Return a box laying out its contents vertically or horizontally."""
    node: Node = {"type": "box", "layout": layout, "contents": contents}
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
    node["altText"] = alt_text
    node["contents"] = contents
    return node
