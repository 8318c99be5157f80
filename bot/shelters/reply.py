"""The disaster answer (災害時の案内): open shelters, 171 for family, the power and water suppliers. Pure functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Sequence

from bot.line import messages
from bot.line.messages import Chip, Message
from bot.town.model import Town

JST = timezone(timedelta(hours=9), "JST")
MAX_LISTED = 10  # a phone shows about this many shelters before the answer turns into a wall of text


@dataclass(frozen=True)
class ShelterView:
    """A shelter as residents see it: nothing but public fields."""

    name: str
    address: str
    status: str  # open | full
    status_label: str
    updated: datetime | None
    note: str = ""
    capacity: int | None = None


def local_time(value: datetime | None) -> str:
    """Return a stored time as 12月7日 10:05 in Japan time (SQLite hands back naive UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    local = value.astimezone(JST)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def shelter_lines(shelters: Sequence[ShelterView], town: Town) -> list[str]:
    """Return the shelters part: the open and full shelters, or where the town will announce them."""
    if not any(s.status == "open" for s in shelters):
        lines = ["【避難所】", "いま開設している避難所の情報はありません（まだ入力されていない場合もあります）。"]
        if any(s.status == "full" for s in shelters):
            lines.append("満員の避難所：" + "、".join(s.name for s in shelters if s.status == "full"))
        lines.append(f"避難所の開設は、{town.name}が防災行政無線・ホームページなどでお知らせします。")
        if town.website:
            lines.append(f"{town.name}のホームページ：{town.website}")
        return lines
    lines = ["【開設中の避難所】"]
    for shelter in list(shelters)[:MAX_LISTED]:
        lines.append(f"■{shelter.name}（{shelter.status_label}）")
        if shelter.address:
            lines.append(f"　住所：{shelter.address}")
        if shelter.note:
            lines.append(f"　{shelter.note}")
        if shelter.updated:
            lines.append(f"　{local_time(shelter.updated)} 更新")
    if len(shelters) > MAX_LISTED:
        lines.append(f"ほか{len(shelters) - MAX_LISTED}か所は{town.name}のホームページでご確認ください：{town.website}")
    lines.append("状況は変わります。向かう前に、市の発表もご確認ください。")
    return lines


def family_lines(nationwide: Iterable[dict[str, str]]) -> list[str]:
    """Return the family part: 災害用伝言ダイヤル 171 and web171, with their source."""
    lines = ["【家族の安否確認】"]
    for item in nationwide:
        lines.append(f"■{item['name']}（{item['number']}）")
        lines.append(item["text"])
        if item.get("url"):
            lines.append(f"インターネットから：{item.get('url_label') or item['url']} {item['url']}")
        lines.append(f"（出典：{item['source']}）")
    return lines


def supplier_lines(label: str, name: str, contact: str, missing: str) -> list[str]:
    """Return a supplier's part: its name and phone or page when staff entered them, else where to look."""
    if name and contact:
        how = "電話" if not contact.startswith(("http://", "https://")) else "ページ"
        return [f"【{label}】", f"{name}（{how}：{contact}）"]
    return [f"【{label}】", missing]


def answer(topics: Sequence[str], shelters: Sequence[ShelterView], town: Town,
           nationwide: Sequence[dict[str, str]], chips: Sequence[Chip] = ()) -> Message:
    """Return the disaster answer: the asked topics' parts first, then the rest of what residents need now."""
    parts = {
        "shelter": shelter_lines(shelters, town),
        "family": family_lines(nationwide),
        "power": supplier_lines("停電", town.power_name, town.power_contact,
                                "電気の復旧の見通しは、電力会社の発表をご確認ください。"),
        "water": supplier_lines("断水", town.water_name, town.water_contact,
                                f"断水・給水の情報は、{town.name}の発表をご確認ください。"),
    }
    asked = ["shelter" if t == "evacuation" else t for t in topics]
    order = list(dict.fromkeys([*asked, "shelter", "family"]))
    # The supplier that was not asked about is added only when staff entered it (it has something to say).
    for key, name in (("power", town.power_name), ("water", town.water_name)):
        if key not in order and name:
            order.append(key)
    body = "\n\n".join("\n".join(parts[key]) for key in order)
    body += "\n\n命に危険があるときは、迷わず119番・110番へ。"
    return messages.text(body, chips)
