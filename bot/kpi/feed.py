"""The Atom 1.0 feed (RFC 4287) of the KPI board's updates, built with ElementTree so every text is escaped."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from decimal import Decimal
from typing import Sequence

from bot.core.textrules import CONTROL
from bot.kpi.store import jdate, value_text
from bot.models import KpiActual

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)  # `updated` is required: a board never updated keeps this


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = CONTROL.sub("", text)  # inputs refuse these; XML 1.0 could not carry them anyway
    return element


def title_of(actual: KpiActual) -> str:
    """Return an update's title: 妊産婦支援の助成件数：120件（2025年3月31日現在）."""
    return f"{actual.kpi.name}：{value_text(actual.kpi, Decimal(actual.value))}（{jdate(actual.as_of)}現在）"


def build(*, title: str, author: str, page_url: str, self_url: str, updates: Sequence[KpiActual],
          updated: datetime | None) -> bytes:
    """Return the feed as UTF-8 bytes: one entry per actual entered, newest first."""
    feed = ET.Element("feed", {"xmlns": ATOM, XML_LANG: "ja"})
    _add(feed, "id", page_url)
    _add(feed, "title", title, type="text")
    _add(feed, "updated", _stamp(updated or NEVER))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    _add(_add(feed, "author"), "name", author)
    for actual in updates:
        kpi = actual.kpi
        url = f"{page_url}#kpi-{kpi.key}"
        entry = _add(feed, "entry")
        _add(entry, "id", f"{page_url}#update-{actual.id}")
        _add(entry, "title", title_of(actual), type="text")
        _add(entry, "updated", _stamp(actual.entered_at))
        _add(entry, "published", _stamp(actual.entered_at))
        _add(entry, "link", rel="alternate", type="text/html", href=url)
        target = kpi.target.get("text", "")
        _add(entry, "content", f"{kpi.name}の実績を{value_text(kpi, Decimal(actual.value))}（{jdate(actual.as_of)}現在）に更新しました。"
             f"目標：{target}。出典：{actual.source}。総合戦略{kpi.page}頁 {kpi.policy}", type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
