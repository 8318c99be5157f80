"""Build LINE messages (Flex bubbles, text, quick replies) from plain data. Pure functions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexSeparator,
    FlexText,
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    URIAction,
)

from bot.line import postback
from bot.line.limits import MAX_ALT_TEXT, MAX_QUICK_REPLY_ITEMS, MAX_TEXT_UTF16, clip, label


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


def quick_reply(chips: Sequence[Chip]) -> QuickReply | None:
    """Return up to 13 quick-reply buttons, or None when there are none."""
    items = [
        QuickReplyItem(action=PostbackAction(
            label=label(chip.label), data=chip.data, display_text=clip(chip.display or chip.label, 300)))
        for chip in list(chips)[:MAX_QUICK_REPLY_ITEMS]
    ]
    return QuickReply(items=items) if items else None


def text(body: str, chips: Sequence[Chip] = ()) -> TextMessage:
    """Return a text message within LINE's length limit, with optional quick replies."""
    return TextMessage(text=clip(body, MAX_TEXT_UTF16), quick_reply=quick_reply(chips))


def _small(body: str, color: str = "#666666") -> FlexText:
    return FlexText(text=body, size="xs", color=color, wrap=True)


def answer_bubble(entry: Answerable, town: Town, log_id: int | None, chips: Sequence[Chip] = ()) -> FlexMessage:
    """Return the answer as a Flex bubble: title, answer, link, contact, source and feedback."""
    contact = entry.contact or town.contact_line()
    body = [
        FlexText(text=clip(entry.answer, 2000), size="sm", wrap=True),
        FlexSeparator(margin="lg"),
        _small(f"お問い合わせ：{contact}"),
    ]
    if entry.source:
        body.append(_small(f"出典：{entry.source}", "#999999"))
    footer: list = []
    if entry.url:
        footer.append(FlexButton(style="primary", height="sm", action=URIAction(label="詳しく見る", uri=entry.url)))
    if log_id is not None:
        footer.append(FlexBox(layout="horizontal", spacing="sm", contents=[
            FlexButton(style="secondary", height="sm", action=PostbackAction(
                label="👍 役に立った", data=postback.encode("fb", v="up", l=log_id), display_text="👍")),
            FlexButton(style="secondary", height="sm", action=PostbackAction(
                label="👎 わからない", data=postback.encode("fb", v="down", l=log_id), display_text="👎")),
        ]))
    bubble = FlexBubble(
        header=FlexBox(layout="vertical", contents=[
            FlexText(text=clip(entry.title, 100), weight="bold", size="md", wrap=True)]),
        body=FlexBox(layout="vertical", spacing="md", contents=body),
        footer=FlexBox(layout="vertical", spacing="sm", contents=footer) if footer else None,
    )
    alt = clip(f"{entry.title}：{entry.answer}", MAX_ALT_TEXT)
    return FlexMessage(alt_text=alt, contents=bubble, quick_reply=quick_reply(chips))
