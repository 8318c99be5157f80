"""Render LINE message JSON as plain text for terminals and logs of the CLI."""
from __future__ import annotations

from typing import Any


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
        target = action.get("uri") or action.get("data") or action.get("text") or ""
        return [f"[{action.get('label', '')}] → {target}"]
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
        lines.append("クイックリプライ: " + " / ".join(i["action"].get("label", "") for i in items))
    return "\n".join(lines)
