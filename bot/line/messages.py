"""Build LINE messages (Flex bubbles, text, quick replies) from plain data, as wire JSON. Pure functions.

No SDK models on this path: validating them cost about a millisecond of CPU per reply. The tests check
every kind of message against the SDK's models instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, Sequence
from urllib.parse import quote

from bot.line import flex, postback
from bot.line.limits import MAX_ALT_TEXT, MAX_QUICK_REPLY_ITEMS, MAX_TEXT_UTF16, clip, label
from bot.core.textrules import CONTROL

Message = dict[str, Any]  # one message as LINE's Messaging API takes it: camelCase keys, no None values


class Answerable(Protocol):
    """What an answer bubble needs to know about an entry."""

    slug: str
    title: str
    answer: str
    url: str
    contact: str
    source: str


class OfficeContact(Protocol):
    """What an answer bubble needs to know about the entry's office (担当課)."""

    name: str
    phone: str
    hours: str
    url: str


class TownContact(Protocol):
    """What the messages need to know about the town (bot/town/model.py holds the town's settings)."""

    phone: str
    hours: str
    website: str
    kind: str  # 市, 町 or 村
    hall: str  # 市役所, 町役場 or 村役場

    def contact_line(self) -> str: ...


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
    message["text"] = clip(CONTROL.sub("", body), MAX_TEXT_UTF16)  # invisible control characters left out
    return message


LEAD_LIMIT = 200  # UTF-16 units of answer shown in the bubble; a phone shows about ten lines of it
DETAIL_LIMIT = 2000

_PARAGRAPHS = re.compile(r"\n\s*\n")
# 「（総合戦略72頁）」: the plan's short name and page, as the pack writes it at the end of a section.
_PAGE = re.compile(r"[（(]([^（）()]+?)\s*([0-9０-９]+)\s*頁[）)]")
SOURCE_SHORT_LIMIT = 30


# Every reply asks these of the same few entries' texts: remember the answers (a str caches its own hash).
@lru_cache(maxsize=2048)
def lead_and_rest(answer: str) -> tuple[str, str]:
    """Split an answer into what the bubble shows (the first paragraph, clipped) and what 続きを読む shows."""
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(answer.strip()) if p.strip()]
    if not paragraphs:
        return "", ""
    lead = clip(paragraphs[0], LEAD_LIMIT)
    if lead != paragraphs[0]:
        # The first paragraph was cut: the detail repeats the whole answer rather than start mid-sentence.
        return lead, "\n\n".join(paragraphs)
    return lead, "\n\n".join(paragraphs[1:])


@lru_cache(maxsize=2048)
def short_source(source: str) -> str:
    """Return the source as the plan's short name and pages (「総合戦略 58・78頁」), or the source clipped."""
    cited = _PAGE.findall(source)
    if not cited:
        return clip(source.strip(), SOURCE_SHORT_LIMIT)
    names = list(dict.fromkeys(name.strip() for name, _ in cited))
    pages = list(dict.fromkeys(page for _, page in cited))
    if len(names) == 1:
        return clip(f"{names[0]} {'・'.join(pages)}頁", SOURCE_SHORT_LIMIT)
    return clip("・".join(dict.fromkeys(f"{name.strip()} {page}頁" for name, page in cited)), SOURCE_SHORT_LIMIT)


def _small(body: str, color: str = "#666666") -> flex.Node:
    return flex.text(body, "xs", color=color, wrap=True)


@lru_cache(maxsize=2048)
def _more_data(slug: str) -> str:
    return postback.encode("more", s=slug)


def _with_log(data: str, log_id: int | None) -> str:
    # What postback.encode gives with l=log_id last, without urlencode's cost on every reply: an int needs no quoting.
    return data if log_id is None else f"{data}&l={int(log_id)}"


def _feedback(log_id: int) -> flex.Node:
    return flex.box("horizontal", [
        flex.button(flex.postback_action("👍 役に立った", _with_log("a=fb&v=up", log_id), "👍"), "secondary"),
        flex.button(flex.postback_action("👎 わからない", _with_log("a=fb&v=down", log_id), "👎"), "secondary"),
    ], spacing="sm")


def _footer(rows: list[flex.Node]) -> flex.Node | None:
    return flex.box("vertical", rows, spacing="sm") if rows else None


def _office_lines(office: OfficeContact, town: TownContact) -> tuple[list[flex.Node], flex.Node | None]:
    """Return the office's name, hours and phone as body lines, and the button that reaches it."""
    lines = [_small(f"お問い合わせ：{clip(office.name, 100)}")]
    if office.phone:
        hours, number, call = office.hours, office.phone, ("電話する", office.phone)
    elif town.phone:
        # No invented numbers: until staff fill the office's phone in, the switchboard answers.
        hours, number, call = office.hours or town.hours, f"{town.phone}（{town.hall}代表）", (f"電話する（{town.hall}代表）", town.phone)
    else:
        hours, number, call = office.hours, "", None
    if hours:
        lines.append(_small(f"受付時間：{clip(hours, 200)}"))
    if number:
        lines.append(_small(f"電話：{number}"))
    if call is not None:
        return lines, flex.button(flex.uri_action(call[0], tel_uri(call[1])), "primary")
    page = office.url or town.website
    if not page:
        return lines, None
    return lines, flex.button(flex.uri_action("担当課のページ" if office.url else f"{town.kind}のホームページ", page), "secondary")


def answer_bubble(entry: Answerable, town: TownContact, log_id: int | None, chips: Sequence[Chip] = (),
                  action_button: flex.Node | None = None, office: OfficeContact | None = None) -> Message:
    """Return the answer as a bubble that fits a phone screen: title, first paragraph, contact, source, buttons."""
    lead, rest = lead_and_rest(entry.answer)
    body = [flex.text(lead or clip(entry.title, 100), "sm", wrap=True), flex.separator("lg")]
    reach = None
    if office is None:
        body.append(_small(f"お問い合わせ：{entry.contact or town.contact_line()}"))
    else:
        lines, reach = _office_lines(office, town)
        body.extend(lines)
    source = short_source(entry.source) if entry.source else ""
    if source:
        body.append(_small(f"出典：{source}", "#999999"))
    links: list[flex.Node] = []
    if rest or source != entry.source.strip():
        more = "続きを読む" if rest else "出典の詳細"
        links.append(flex.button(flex.postback_action(more, _with_log(_more_data(entry.slug), log_id), more),
                                 "secondary"))
    if entry.url:
        links.append(flex.button(flex.uri_action("詳しく見る", entry.url), "primary"))
    footer: list[flex.Node] = [flex.box("horizontal", links, spacing="sm")] if links else []
    if reach is not None:
        footer.append(reach)
    if action_button is not None:  # what the resident can do next (応援団に登録する), above the feedback
        footer.append(action_button)
    if log_id is not None:
        footer.append(_feedback(log_id))
    bubble = flex.bubble(
        header=flex.box("vertical", [flex.text(clip(entry.title, 100), "md", weight="bold", wrap=True)]),
        body=flex.box("vertical", body, spacing="md"),
        footer=_footer(footer),
    )
    alt = clip(f"{entry.title}：{entry.answer}", MAX_ALT_TEXT)
    return flex.message(alt, bubble, quick_reply(chips))


def detail_bubble(entry: Answerable, town: TownContact, log_id: int | None, chips: Sequence[Chip] = ()) -> Message:
    """Return what 続きを読む shows: the rest of the answer, the full source, the link and the same 👍/👎."""
    lead, rest = lead_and_rest(entry.answer)
    suffix = "（続き）" if rest else "（出典）"
    body: list[flex.Node] = [flex.text(clip(rest, DETAIL_LIMIT), "sm", wrap=True)] if rest else []
    if entry.source:
        if body:
            body.append(flex.separator("lg"))
        body.append(_small(f"出典：{clip(entry.source, 500)}", "#999999"))
    if not body:
        body.append(flex.text(lead or clip(entry.title, 100), "sm", wrap=True))
    footer: list[flex.Node] = []
    if entry.url:
        footer.append(flex.button(flex.uri_action("詳しく見る", entry.url), "primary"))
    if log_id is not None:
        footer.append(_feedback(log_id))
    bubble = flex.bubble(
        header=flex.box("vertical", [flex.text(clip(f"{entry.title}{suffix}", 100), "md", weight="bold", wrap=True)]),
        body=flex.box("vertical", body, spacing="md"),
        footer=_footer(footer),
    )
    alt = clip(f"{entry.title}{suffix}：{rest or entry.source}", MAX_ALT_TEXT)
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
