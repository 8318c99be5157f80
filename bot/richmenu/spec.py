"""A rich menu ready to publish: LINE's menu JSON plus its image bytes. Pure data, no Flask or LINE calls."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

MODES = ("normal", "disaster")
MAX_AREAS = 20  # LINE's limit per menu
MAX_CHAT_BAR_TEXT = 14
MAX_IMAGE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Area:
    """One tap area in image pixels, with the LINE action (wire JSON, camelCase) it triggers."""

    x: int
    y: int
    width: int
    height: int
    action: dict[str, Any]

    def to_line(self) -> dict[str, Any]:
        """Return the area as LINE's Messaging API takes it."""
        return {"bounds": {"x": self.x, "y": self.y, "width": self.width, "height": self.height},
                "action": dict(self.action)}


@dataclass(frozen=True)
class MenuSpec:
    """Everything LINE needs to show one menu: size, name, chat-bar text, areas and the image."""

    mode: str  # normal | disaster
    name: str  # LINE's internal name (≤ 300 characters), never shown to residents
    chat_bar_text: str
    width: int
    height: int
    areas: tuple[Area, ...]
    image: bytes = field(repr=False)
    image_type: str = "image/png"  # or image/jpeg
    selected: bool = True  # shown open when the chat is opened
    # The definition it was built from (tiles' words and kinds), for the review staff confirm; not sent to LINE.
    definition: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    uploaded_image: bool = True  # False: drawn from the labels

    def to_line(self) -> dict[str, Any]:
        """Return the RichMenuRequest body as wire JSON."""
        return {"size": {"width": self.width, "height": self.height}, "selected": self.selected,
                "name": self.name, "chatBarText": self.chat_bar_text,
                "areas": [area.to_line() for area in self.areas]}

    def fingerprint(self) -> str:
        """Return a hash of the menu JSON and image: equal fingerprints mean nothing to republish."""
        digest = hashlib.sha256(json.dumps(self.to_line(), ensure_ascii=False, sort_keys=True).encode())
        digest.update(self.image_type.encode())
        digest.update(self.image)
        return digest.hexdigest()
