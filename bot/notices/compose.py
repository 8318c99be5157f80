"""Check a notice's content against LINE's limits and build its LINE message. Pure functions."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urlsplit

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexSeparator,
    FlexText,
    PostbackAction,
    URIAction,
)

from bot.line import postback
from bot.line.limits import MAX_ALT_TEXT, clip, utf16_len

MAX_TITLE = 100
MAX_BODY = 2000
# LINE rejects a Flex bubble over 10 KB of JSON; keep a margin for the buttons we add.
MAX_BUBBLE_BYTES = 10_000


@dataclass(frozen=True)
class Content:
    """What a notice says, and where its buttons lead."""

    title: str
    body: str
    url: str = ""
    entry_slug: str = ""
    entry_title: str = ""
    topics: tuple[str, ...] = ()  # slugs; one-tap unsubscribe needs to know which


def problems(content: Content, known_entries: Sequence[str] | None = None) -> dict[str, str]:
    """Return field → reason for everything that would stop LINE accepting the notice."""
    found: dict[str, str] = {}
    if not content.title.strip():
        found["title"] = "タイトルを入力してください。"
    elif utf16_len(content.title) > MAX_TITLE:
        found["title"] = f"タイトルは{MAX_TITLE}文字以内にしてください。"
    if not content.body.strip():
        found["body"] = "本文を入力してください。"
    elif utf16_len(content.body) > MAX_BODY:
        found["body"] = f"本文は{MAX_BODY}文字以内にしてください（いま{utf16_len(content.body)}文字）。"
    if content.url:
        parts = urlsplit(content.url)
        if parts.scheme not in ("https", "http") or not parts.netloc or len(content.url) > 1000:
            found["url"] = "リンクは https:// で始まる URL にしてください。"
    if content.entry_slug and known_entries is not None and content.entry_slug not in known_entries:
        found["entry_slug"] = "公開中のナレッジ項目を選んでください。"
    if not found and len(json.dumps(message(content).to_dict(), ensure_ascii=False).encode()) > MAX_BUBBLE_BYTES:
        found["body"] = "本文が長すぎて LINE の吹き出しに収まりません。短くしてください。"
    return found


def message(content: Content) -> FlexMessage:
    """Return the notice as a Flex bubble with 「くわしく」, link and one-tap unsubscribe buttons."""
    footer: list = []
    if content.entry_slug:
        footer.append(FlexButton(style="primary", height="sm", action=PostbackAction(
            label="くわしく", data=postback.encode("ans", s=content.entry_slug), display_text="くわしく")))
    if content.url:
        footer.append(FlexButton(style="primary" if not footer else "secondary", height="sm",
                                 action=URIAction(label="リンクを開く", uri=content.url)))
    if len(content.topics) == 1:
        stop = PostbackAction(label="このテーマの配信を停止", data=postback.encode("unsub", t=content.topics[0]),
                              display_text="このテーマの配信を停止")
    else:
        stop = PostbackAction(label="お知らせの配信を停止", data=postback.encode("nstop"),
                              display_text="配信停止")
    footer.append(FlexButton(style="link", height="sm", action=stop))
    footer.append(FlexButton(style="link", height="sm", action=PostbackAction(
        label="お知らせ設定", data=postback.encode("nset"), display_text="お知らせ設定")))
    bubble = FlexBubble(
        header=FlexBox(layout="vertical", contents=[
            FlexText(text="お知らせ", size="xs", color="#06C755", weight="bold"),
            FlexText(text=clip(content.title, MAX_TITLE), weight="bold", size="md", wrap=True),
        ]),
        body=FlexBox(layout="vertical", spacing="md", contents=[
            FlexText(text=clip(content.body, MAX_BODY), size="sm", wrap=True),
            *([FlexSeparator(margin="lg"),
               FlexText(text=f"関連：{content.entry_title}", size="xs", color="#666666", wrap=True)]
              if content.entry_title else []),
        ]),
        footer=FlexBox(layout="vertical", spacing="sm", contents=footer),
    )
    return FlexMessage(alt_text=clip(f"【お知らせ】{content.title}：{content.body}", MAX_ALT_TEXT), contents=bubble)
