"""Check a notice's content against LINE's limits and build its LINE message. Pure functions."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

from bot.line import flex, postback
from bot.line.limits import MAX_ALT_TEXT, MAX_POSTBACK_DATA, clip, utf16_len
from bot.line.messages import Message
from bot.core.textrules import SLUG_RE, has_control, web_url_problem

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


CONTROL_CHARACTERS = "使えない文字（制御文字）が含まれています。貼り付けた文章を確認してください。"


def _has_control(text: str) -> bool:
    # NUL cannot be stored in PostgreSQL, and no control character but tab and newline belongs in a notice.
    return has_control(text)


def _bad_url(url: str) -> bool:
    # The rule every link follows (bot/core/textrules.py): LINE refuses a message whose link has a space or no host.
    return web_url_problem(url) is not None


def _text_problem(text: str, what: str, limit: int) -> str | None:
    if _has_control(text):
        return CONTROL_CHARACTERS
    if not text.strip():
        return f"{what}を入力してください。"
    if utf16_len(text) > limit:
        return f"{what}は{limit}文字以内にしてください（いま{utf16_len(text)}文字）。"
    return None


def problems(content: Content, known_entries: Sequence[str] | None = None) -> dict[str, str]:
    """Return field → reason for everything that would stop LINE accepting the notice."""
    found: dict[str, str] = {}
    for name, what, limit in (("title", "タイトル", MAX_TITLE), ("body", "本文", MAX_BODY)):
        problem = _text_problem(getattr(content, name), what, limit)
        if problem:
            found[name] = problem
    if content.url and _bad_url(content.url):
        found["url"] = "リンクは https:// で始まる URL にしてください。"
    if content.entry_slug and known_entries is not None and content.entry_slug not in known_entries:
        found["entry_slug"] = "公開中のナレッジ項目を選んでください。"
    if not found and len(json.dumps(message(content), ensure_ascii=False).encode()) > MAX_BUBBLE_BYTES:
        found["body"] = "本文が長すぎて LINE の吹き出しに収まりません。短くしてください。"
    return found


def message(content: Content) -> Message:
    """Return the notice as a Flex bubble with 「くわしく」, link and one-tap unsubscribe buttons."""
    footer: list[flex.Node] = []
    # A slug that is not one (the form does not limit it; problems() reports it) gets no button: its postback
    # data could pass LINE's limit and break the preview. A real slug is ASCII, so urlencode keeps its length.
    if content.entry_slug and SLUG_RE.fullmatch(content.entry_slug) and \
            len(content.entry_slug) <= MAX_POSTBACK_DATA - len("a=ans&s="):
        footer.append(flex.button(flex.postback_action(
            "くわしく", postback.encode("ans", s=content.entry_slug), "くわしく"), "primary"))
    if content.url:
        footer.append(flex.button(flex.uri_action("リンクを開く", content.url), "primary" if not footer else "secondary"))
    # An audience that is not a topic (応援団員, "@supporters") has no topic to leave: it offers the full stop.
    if len(content.topics) == 1 and not content.topics[0].startswith("@"):
        stop = flex.postback_action("このテーマの配信を停止", postback.encode("unsub", t=content.topics[0]),
                                    "このテーマの配信を停止")
    else:
        stop = flex.postback_action("お知らせの配信を停止", postback.encode("nstop"), "配信停止")
    footer.append(flex.button(stop, "link"))
    footer.append(flex.button(flex.postback_action("お知らせ設定", postback.encode("nset"), "お知らせ設定"), "link"))
    bubble = flex.bubble(
        header=flex.box("vertical", [
            flex.text("お知らせ", "xs", color="#06C755", weight="bold"),
            flex.text(clip(content.title, MAX_TITLE), "md", weight="bold", wrap=True),
        ]),
        body=flex.box("vertical", [
            flex.text(clip(content.body, MAX_BODY), "sm", wrap=True),
            *([flex.separator("lg"), flex.text(f"関連：{content.entry_title}", "xs", color="#666666", wrap=True)]
              if content.entry_title else []),
        ], spacing="md"),
        footer=flex.box("vertical", footer, spacing="sm"),
    )
    return flex.message(clip(f"【お知らせ】{content.title}：{content.body}", MAX_ALT_TEXT), bubble)
