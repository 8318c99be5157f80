"""Build the Atom 1.0 feed (RFC 4287) of the public notices with ElementTree, so everything is escaped."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Sequence

from bot.models import Notice
from bot.notices import public

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_ENTRIES = 50
SUMMARY_CHARS = 140
# The beginning of time for a feed that never showed anything: `updated` is required and must not move.
NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)
# XML 1.0 cannot carry these at all, escaped or not; compose refuses them, so this only guards old rows.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedInfo:
    """Who publishes the feed and where it lives."""

    title: str
    author: str
    author_uri: str
    self_url: str
    page_url: str


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(body: str, limit: int = SUMMARY_CHARS) -> str:
    """Return the first words of a body on one line, with … when cut."""
    line = " ".join(body.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = _text(text)
    return element


def build(info: FeedInfo, notices: Sequence[Notice], updated: datetime | None,
          entry_url: Callable[[Notice], str]) -> bytes:
    """Return the feed document as UTF-8 bytes, newest notice first, at most MAX_ENTRIES entries."""
    feed = ET.Element("feed", {"xmlns": ATOM, XML_LANG: "ja"})
    _add(feed, "id", info.page_url)
    _add(feed, "title", info.title, type="text")
    _add(feed, "updated", _stamp(updated or NEVER))
    _add(feed, "link", rel="self", type="application/atom+xml", href=info.self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=info.page_url)
    author = _add(feed, "author")
    _add(author, "name", info.author)
    if info.author_uri:
        _add(author, "uri", info.author_uri)
    for notice in notices[:MAX_ENTRIES]:
        # Content cannot change after approval, so an entry was last updated when it was first shown.
        shown = public.display_start(notice) or NEVER
        url = entry_url(notice)
        entry = _add(feed, "entry")
        _add(entry, "id", url)
        _add(entry, "title", notice.title, type="text")
        _add(entry, "updated", _stamp(shown))
        _add(entry, "published", _stamp(shown))
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        if notice.url:
            _add(entry, "link", rel="related", type="text/html", href=notice.url)
        _add(entry, "summary", summary(notice.body), type="text")
        _add(entry, "content", notice.body, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
