"""Read, validate and write facilities.yaml: the facilities residents may book, their units and rules.

The plan (総合戦略78頁) names no facility, so the pack ships the list empty with a review note; a town lists its own.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from bot.core.problems import Problem

FACILITIES_FILE = "facilities.yaml"
_TOP = ("review_note", "facilities")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,58}$")
_HM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
DAYS = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}
FIELDS = {"key", "name", "address", "phone", "fee_text", "note", "open_days", "opens", "closes", "closed_on_holidays",
          "slot_minutes", "days_ahead", "deadline_days", "max_per_resident", "units"}
TEXTS = {"name": ("施設名", 80, True), "address": ("住所", 200, False), "phone": ("電話番号", 40, False),
         "fee_text": ("料金と支払い方法", 500, False), "note": ("補足", 1000, False)}
NUMBERS = {"slot_minutes": ("1枠の長さ（分）", 15, 480, 60), "days_ahead": ("何日先まで予約できるか", 1, 365, 30),
           "deadline_days": ("何日前まで予約・取消しできるか", 0, 30, 1),
           "max_per_resident": ("1人が持てる予約の数", 1, 20, 2)}
MAX_FACILITIES, MAX_UNITS = 100, 30


def _text(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value or "")).strip()


def check_facility(item: Any, file: str, where: str) -> list[Problem]:
    if not isinstance(item, dict):
        return [Problem(file, where, "施設は「項目名: 値」の形で書いてください")]
    problems = [Problem(file, f"{where}.{str(k)[:40]}", "不明な項目です") for k in item if k not in FIELDS]
    key = item.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        problems.append(Problem(file, f"{where}.key", "識別名は半角の英小文字・数字・ハイフンで書いてください（例：gym）"))
    for name, (label, limit, required) in TEXTS.items():
        value = item.get(name)
        if value is not None and not isinstance(value, (str, int)):
            problems.append(Problem(file, f"{where}.{name}", f"{label}は文字で書いてください"))
        elif required and not _text(value):
            problems.append(Problem(file, f"{where}.{name}", f"{label}を書いてください"))
        elif len(_text(value)) > limit:
            problems.append(Problem(file, f"{where}.{name}", f"{label}は{limit}文字以内にしてください"))
    days = item.get("open_days")
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        problems.append(Problem(file, f"{where}.open_days", "開館する曜日を [月, 火, 水, 木, 金, 土, 日] から選んで並べてください"))
    times = {}
    for name, label in (("opens", "開館時刻"), ("closes", "閉館時刻")):
        value = item.get(name)
        if not isinstance(value, str) or not _HM.match(value):
            problems.append(Problem(file, f"{where}.{name}", f"{label}は 09:00 の形で書いてください（引用符で囲みます）"))
        else:
            times[name] = value
    if len(times) == 2 and times["opens"] >= times["closes"]:
        problems.append(Problem(file, f"{where}.closes", "閉館時刻は開館時刻より後にしてください"))
    if item.get("closed_on_holidays") is not None and not isinstance(item["closed_on_holidays"], bool):
        problems.append(Problem(file, f"{where}.closed_on_holidays", "祝日に休館するかは true か false で書いてください"))
    for name, (label, low, high, _default) in NUMBERS.items():
        value = item.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
            problems.append(Problem(file, f"{where}.{name}", f"{label}は{low}〜{high}の整数で書いてください"))
    units = item.get("units")
    if not isinstance(units, list) or not units or len(units) > MAX_UNITS:
        problems.append(Problem(file, f"{where}.units", f"予約できる部屋・コートを1〜{MAX_UNITS}件書いてください"))
        return problems
    seen = set()
    for n, unit in enumerate(units, start=1):
        at = f"{where}.units.{n}件目"
        if not isinstance(unit, dict):
            problems.append(Problem(file, at, "部屋・コートは「key: …, name: …, capacity: …」の形で書いてください"))
            continue
        problems += [Problem(file, f"{at}.{str(k)[:40]}", "不明な項目です") for k in unit if k not in ("key", "name", "capacity")]
        ukey = unit.get("key")
        if not isinstance(ukey, str) or not _KEY.match(ukey):
            problems.append(Problem(file, f"{at}.key", "識別名は半角の英小文字・数字・ハイフンで書いてください（例：arena）"))
        elif ukey in seen:
            problems.append(Problem(file, f"{at}.key", f"識別名 {ukey} が2回あります"))
        seen.add(ukey)
        if not _text(unit.get("name")) or len(_text(unit.get("name"))) > 80:
            problems.append(Problem(file, f"{at}.name", "名前を80文字以内で書いてください"))
        capacity = unit.get("capacity")
        if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 10000:
            problems.append(Problem(file, f"{at}.capacity", "定員は1〜10000の整数で書いてください"))
    return problems


def validate(raw: Any, file: str = FACILITIES_FILE) -> list[Problem]:
    """Return every problem with facilities.yaml (an empty list is fine: the plan names no facility)."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [Problem(file, "-", "facilities（施設の一覧）を持つ「項目名: 値」の形で書いてください")]
    problems = [Problem(file, str(k)[:40], "不明な項目です") for k in raw if k not in _TOP]
    items = raw.get("facilities")
    if items is None:
        items = []
    if not isinstance(items, list):
        return problems + [Problem(file, "facilities", "施設の一覧（「- key: ...」の並び）を書いてください")]
    if len(items) > MAX_FACILITIES:
        problems.append(Problem(file, "facilities", f"施設は{MAX_FACILITIES}件までです"))
    if raw.get("review_note") is not None and not isinstance(raw["review_note"], str):
        problems.append(Problem(file, "review_note", "確認メモは文字で書いてください"))
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        key = item.get("key") if isinstance(item, dict) else None
        where = f"facilities.{key[:60]}" if isinstance(key, str) and key else f"facilities.{number}件目"
        problems += check_facility(item, file, where)
        if isinstance(key, str) and key:
            if key in seen:
                problems.append(Problem(file, f"{where}.key", f"識別名 {key[:60]} が2回あります"))
            seen.add(key)
    return problems


def normalise(item: dict[str, Any]) -> dict[str, Any]:
    """Return a valid facility as the database keeps it (defaults filled in, weekdays as numbers)."""
    out = {"key": item["key"], **{name: _text(item.get(name)) for name in TEXTS},
           "open_days": sorted({DAYS[d] for d in item["open_days"]}), "opens": item["opens"], "closes": item["closes"],
           "closed_on_holidays": bool(item.get("closed_on_holidays", True)),
           **{name: item.get(name, default) for name, (_l, _lo, _hi, default) in NUMBERS.items()},
           "units": [{"key": u["key"], "name": _text(u["name"]), "capacity": u["capacity"]} for u in item["units"]]}
    return out


def dump(note: str, items: list[dict[str, Any]]) -> str:
    """Return facilities.yaml for an export: the review note, then each facility with its weekdays as 月…日."""
    names = {v: k for k, v in DAYS.items()}
    shown = [{**f, "open_days": [names[d] for d in f["open_days"]]} for f in items]
    header = ("# 施設予約（LINE から予約できる公共施設）\n"
              "# 計画（総合戦略78頁）は施設を名指ししていません。町の施設を、確認のうえ書き加えてください。\n"
              "# 確かめ方: `flask --app app kb check knowledge`、取り込み: `flask --app app kb import knowledge`\n")
    body = yaml.safe_dump({"review_note": note, "facilities": shown}, allow_unicode=True, sort_keys=False)
    return header + body
