"""Render LINE message JSON as plain text for terminals and logs of the CLI."""
from __future__ import annotations

from typing import Any


def _target(action: dict[str, Any]) -> str:
    return action.get("uri") or action.get("data") or action.get("text") or ""


def _flex_lines(node: dict[str, Any]) -> list[str]:
    kind = node.get("type")
    if kind == "box":
        return [line for child in node.get("contents", []) for line in _flex_lines(child)]
    if kind == "text":
        return [node.get("text", "")]
    if kind == "separator":
        return ["―" * 10]
    if kind == "button":
        action = node.get("action", {})
        return [f"[{action.get('label', '')}] → {_target(action)}"]
    return []


def as_text(message: dict[str, Any]) -> str:
    """Return one message (as LINE JSON) as readable text."""
    lines: list[str] = []
    if message.get("type") == "text":
        lines.append(message.get("text", ""))
    elif message.get("type") == "flex":
        contents = message.get("contents", {})
        for part in ("header", "body", "footer"):
            if contents.get(part):
                lines.extend(_flex_lines(contents[part]))
        lines.append(f"(altText: {message.get('altText', '')})")
    else:
        lines.append(f"[{message.get('type')}]")
    items = (message.get("quickReply") or {}).get("items") or []
    if items:
        lines.append("クイックリプライ:")
        lines.extend(f"  [{i['action'].get('label', '')}] → {_target(i['action'])}" for i in items)
    return "\n".join(lines)
