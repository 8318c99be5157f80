"""Walk LINE message JSON in tests."""
from __future__ import annotations

from typing import Any, Iterator

ACTION_TYPES = ("postback", "uri", "message")


def actions(node: Any) -> Iterator[dict]:
    """Yield every action (postback, uri, message) anywhere in a message, its bubble or its quick replies."""
    if isinstance(node, dict):
        if node.get("type") in ACTION_TYPES:
            yield node
        for value in node.values():
            yield from actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from actions(value)
