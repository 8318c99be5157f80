"""Build LINE messages (Flex bubbles, text, quick replies) from plain data, as wire JSON. Pure functions.

No SDK models on this path: validating them cost about a millisecond of CPU per reply. The tests check
every kind of message against the SDK's models instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence
from urllib.parse import quote

from bot.line import flex, postback
from bot.line.limits import MAX_ALT_TEXT, MAX_QUICK_REPLY_ITEMS, MAX_TEXT_UTF16, clip, label

Message = dict[str, Any]  # one message as LINE's Messaging API takes it: camelCase keys, no None values


class Answerable(Protocol):
    """What an answer bubble needs to know about an entry."""

    slug: str
    title: str
    answer: str
    url: str
    contact: str
    source: str


@dataclass(frozen=True)
class Town:
    """The town's own contact details, from settings."""

    name: str
    contact: str
    phone: str
    website: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Town":
        """Return the town described by the app's settings."""
        return cls(name=config["TOWN_NAME"], contact=config["TOWN_CONTACT"], phone=config["TOWN_PHONE"],
                   website=config["TOWN_WEBSITE"])

    def contact_line(self) -> str:
        """Return whom to ask, with the phone number when staff have set one."""
        phone = f"（電話 {self.phone}）" if self.phone else ""
        return f"{self.contact}{phone}"


@dataclass(frozen=True)
class Chip:
    """A quick-reply button: a label and the postback it sends."""

    label: str
    data: str
    display: str = ""


def quick_reply(chips: Sequence[Chip]) -> dict[str, Any] | None:
    """Return up to 13 quick-reply buttons, or None when there are none."""
    items = [
        {"action": flex.postback_action(label(chip.label), chip.data, clip(chip.display or chip.label, 300)),
         "type": "action"}
        for chip in list(chips)[:MAX_QUICK_REPLY_ITEMS]
    ]
    return {"items": items} if items else None


def text(body: str, chips: Sequence[Chip] = ()) -> Message:
    """Return a text message within LINE's length limit, with optional quick replies."""
    message: Message = {"type": "text"}
    replies = quick_reply(chips)
    if replies is not None:
        message["quickReply"] = replies
    message["text"] = clip(body, MAX_TEXT_UTF16)
    return message


def _small(body: str, color: str = "#666666") -> flex.Node:
    return flex.text(body, "xs", color=color, wrap=True)


def answer_bubble(entry: Answerable, town: Town, log_id: int | None, chips: Sequence[Chip] = ()) -> Message:
    """Return the answer as a Flex bubble: title, answer, link, contact, source and feedback."""
    contact = entry.contact or town.contact_line()
    body = [
        flex.text(clip(entry.answer, 2000), "sm", wrap=True),
        flex.separator("lg"),
        _small(f"お問い合わせ：{contact}"),
    ]
    if entry.source:
        body.append(_small(f"出典：{entry.source}", "#999999"))
    footer: list[flex.Node] = []
    if entry.url:
        footer.append(flex.button(flex.uri_action("詳しく見る", entry.url), "primary"))
    if log_id is not None:
        footer.append(flex.box("horizontal", [
            flex.button(flex.postback_action(
                "👍 役に立った", postback.encode("fb", v="up", l=log_id), "👍"), "secondary"),
            flex.button(flex.postback_action(
                "👎 わからない", postback.encode("fb", v="down", l=log_id), "👎"), "secondary"),
        ], spacing="sm"))
    bubble = flex.bubble(
        header=flex.box("vertical", [flex.text(clip(entry.title, 100), "md", weight="bold", wrap=True)]),
        body=flex.box("vertical", body, spacing="md"),
        footer=flex.box("vertical", footer, spacing="sm") if footer else None,
    )
    alt = clip(f"{entry.title}：{entry.answer}", MAX_ALT_TEXT)
    return flex.message(alt, bubble, quick_reply(chips))


def tel_uri(number: str) -> str:
    """Return a tel: URI for a phone number; # is percent-encoded (tel:%238000), as RFC 3966 requires."""
    return "tel:" + quote(re.sub(r"[^0-9#*+-]", "", number), safe="-+*")


def urgent_bubble(title: str, body: str, calls: Sequence[tuple[str, str]]) -> Message:
    """Return the fixed safety reply: the text (numbers first) and one button per call (label, URI)."""
    footer = [flex.button(flex.uri_action(label(name), uri), "primary" if i == 0 else "secondary")
              for i, (name, uri) in enumerate(calls)]
    bubble = flex.bubble(
        header=flex.box("vertical", [flex.text(clip(title, 100), "md", color="#C0392B", weight="bold", wrap=True)]),
        body=flex.box("vertical", [flex.text(clip(body, 2000), "md", wrap=True)], spacing="md"),
        footer=flex.box("vertical", footer, spacing="sm") if footer else None,
    )
    return flex.message(clip(body, MAX_ALT_TEXT), bubble)
