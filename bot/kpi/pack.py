"""Read, validate and write kpi.yaml: the plan's KPIs (measure, unit, baseline, target, page and section).

The pack says what the plan says and nothing more: each baseline and target keeps the plan's own words (`text`) and,
where the plan gives one, its number (`value`). A baseline or target without a number (未策定, 基準値を維持) has no
value; nothing is invented. Actual values are not in the pack: staff enter them in the console (bot.kpi.store).
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from bot.core.problems import Problem
from bot.core.records import check_record

KPI_FILE = "kpi.yaml"
# How the goal reads the actual: more is better up to the target (increase), keep the baseline (maintain), or
# something done once (milestone: the actual is 策定済み / 未策定).
KINDS = {"increase": "目標値まで増やす", "maintain": "基準値を維持", "milestone": "期限までに実施"}
# The KPIs counted by the bot itself: the supporters' club (paper + online) and facilities with a live screen.
LIVE = {"supporters_club": "応援団の登録（紙＋オンライン）を自動で数えています",
        "signage_facilities": "10分以内に連絡のあったサイネージ画面がある施設を自動で数えています"}
UNITS = ("名", "件", "校", "%", "施設", "")
# The plan's year notation (R4, H30) and how the board reads it.
ERAS = {"R": "令和", "H": "平成"}
_YEAR = re.compile(r"^([RH])([1-9][0-9]?)$")
FIELDS = ("key", "name", "goal", "program", "policy", "page", "measure", "unit", "kind", "baseline", "target",
          "live", "note")
LIMITS = {"key": 80, "name": 60, "goal": 40, "program": 100, "policy": 100, "measure": 100, "note": 500}
LABELS = {"key": "識別名", "name": "KPIの名前", "goal": "基本目標", "program": "事業", "policy": "具体的な施策",
          "measure": "指標", "note": "補足", "unit": "単位", "page": "ページ", "kind": "目標の種類",
          "baseline": "基準値", "target": "目標値", "live": "自動集計"}
MAX_KPIS = 50
MAX_VALUE = Decimal("1000000000")
_TOP = ("review_note", "kpis")
_POINT_FIELDS = ("value", "year", "text")


def year_label(code: str) -> str:
    """Return a plan year as the board reads it: R4 → 令和4年度, H30 → 平成30年度."""
    match = _YEAR.match(code or "")
    return f"{ERAS[match.group(1)]}{match.group(2)}年度" if match else code


def number_text(value: Decimal | None) -> str:
    """Return a number as the board shows it: 24, 12.4, 1,234 (no trailing zeros)."""
    if value is None:
        return ""
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return f"{int(normal):,}"
    return f"{normal:,f}"


def decimal_of(value: Any) -> Decimal | None:
    """Return a pack number (int, float or text) as a Decimal, or None when it is not a finite number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _check_point(raw: Any, file: str, where: str, label: str, needs_value: bool) -> list[Problem]:
    if not isinstance(raw, dict):
        return [Problem(file, where, f"{label}は {{value: 24, year: R4, text: ２４名}} の形で書いてください")]
    problems = [Problem(file, f"{where}.{str(k)[:40]}", "不明な項目です") for k in raw if k not in _POINT_FIELDS]
    year = raw.get("year")
    if not isinstance(year, str) or not _YEAR.match(year):
        problems.append(Problem(file, f"{where}.year", f"{label}の年度は計画の書き方（R4、H30 など）で書いてください"))
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 100 or "\n" in text:
        problems.append(Problem(file, f"{where}.text", f"{label}の計画での書き方（text）を100文字以内・1行で書いてください"))
    if "value" in raw and raw["value"] is not None:
        number = decimal_of(raw["value"])
        if number is None or not 0 <= number < MAX_VALUE:
            problems.append(Problem(file, f"{where}.value", f"{label}の数値（value）は0以上の数で書いてください"))
    elif needs_value:
        problems.append(Problem(file, f"{where}.value",
                                f"{label}の数値（value）を書いてください（計画に数値がないときは kind を maintain か milestone にします）"))
    return problems


def check_kpi(raw: Any, file: str, where: str) -> list[Problem]:
    """Return every problem with one KPI mapping; where names it in the messages."""
    problems = check_record(raw, file, where, what="KPI", fields=FIELDS, limits=LIMITS, labels=LABELS, multiline=("note",))
    if not isinstance(raw, dict):
        return problems
    for name in ("goal", "program", "policy", "measure"):
        if not (isinstance(raw.get(name), str) and raw[name].strip()):
            problems.append(Problem(file, f"{where}.{name}", f"{LABELS[name]}を入力してください（計画の書き方のまま）"))
    page = raw.get("page")
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= 9999:
        problems.append(Problem(file, f"{where}.page", "ページは総合戦略のページ番号（数字）で書いてください"))
    if raw.get("unit") not in UNITS:
        problems.append(Problem(file, f"{where}.unit", f"単位は {'・'.join(repr(u) for u in UNITS)} のどれかにしてください"))
    kind = raw.get("kind", "increase")
    if kind not in KINDS:
        problems.append(Problem(file, f"{where}.kind", "目標の種類（kind）は increase・maintain・milestone のどれかにしてください"))
    live = raw.get("live")
    if live is not None and live not in LIVE:
        problems.append(Problem(file, f"{where}.live", f"自動集計（live）は {'・'.join(LIVE)} のどちらかにしてください"))
    if live is not None and kind == "milestone":
        problems.append(Problem(file, f"{where}.live", "期限までに実施する目標（milestone）は自動で数えられません"))
    problems += _check_point(raw.get("baseline"), file, f"{where}.baseline", "基準値", kind != "milestone")
    problems += _check_point(raw.get("target"), file, f"{where}.target", "目標値", kind == "increase")
    return problems


def validate(raw: Any, file: str = KPI_FILE) -> list[Problem]:
    """Return every problem with kpi.yaml."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [Problem(file, "-", "kpis（KPIの一覧）を持つ「項目名: 値」の形で書いてください")]
    problems = [Problem(file, str(k)[:40], "不明な項目です") for k in raw if k not in _TOP]
    kpis = raw.get("kpis")
    if not isinstance(kpis, list):
        return problems + [Problem(file, "kpis", "KPIの一覧（「- key: ...」の並び）を書いてください")]
    if len(kpis) > MAX_KPIS:
        problems.append(Problem(file, "kpis", f"KPIは{MAX_KPIS}件までです"))
    if raw.get("review_note") is not None and not isinstance(raw["review_note"], str):
        problems.append(Problem(file, "review_note", "確認メモは文字で書いてください"))
    seen: dict[str, int] = {}
    for number, item in enumerate(kpis, start=1):
        key = item.get("key") if isinstance(item, dict) else None
        where = f"kpis.{key[:80]}" if isinstance(key, str) and key else f"kpis.{number}件目"
        problems += check_kpi(item, file, where)
        if isinstance(key, str) and key:
            if key in seen:
                problems.append(Problem(file, f"{where}.key", f"識別名 {key[:80]} が2回あります（{seen[key]}件目と{number}件目）"))
            seen.setdefault(key, number)
    return problems


def _point(raw: dict[str, Any]) -> dict[str, Any]:
    value = decimal_of(raw.get("value"))
    return {"value": None if value is None else str(value.normalize()) if value != 0 else "0",
            "year": str(raw.get("year") or ""), "text": unicodedata.normalize("NFC", str(raw.get("text") or "")).strip()}


def normalise_kpi(raw: dict[str, Any], position: int) -> dict[str, Any]:
    """Return a validated KPI as stored: text stripped, numbers as canonical decimal text, its place in the list."""
    out: dict[str, Any] = {name: str(raw.get(name) or "").strip() for name in
                           ("key", "name", "goal", "program", "policy", "measure", "unit", "note")}
    out.update(page=int(raw["page"]), kind=str(raw.get("kind") or "increase"), live=str(raw.get("live") or ""),
               baseline=_point(raw["baseline"]), target=_point(raw["target"]), position=position)
    return out


def kpi_hash(data: dict[str, Any]) -> str:
    """Return a stable hash of a KPI's pack content."""
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def dump(review_note: str, kpis: list[dict[str, Any]]) -> str:
    """Return kpi.yaml text for an export: the KPIs as stored, in order."""
    items = []
    for k in kpis:
        item: dict[str, Any] = {name: k[name] for name in ("key", "name", "goal", "program", "policy", "page",
                                                           "measure", "unit")}
        if k["kind"] != "increase":
            item["kind"] = k["kind"]
        for point in ("baseline", "target"):
            p = k[point]
            value = decimal_of(p["value"])
            item[point] = {**({"value": int(value) if value == value.to_integral_value() else float(value)}
                              if value is not None else {}), "year": p["year"], "text": p["text"]}
        if k["live"]:
            item["live"] = k["live"]
        if k["note"]:
            item["note"] = k["note"]
        items.append(item)
    body: dict[str, Any] = {}
    if review_note:
        body["review_note"] = review_note
    body["kpis"] = items
    header = ("# 総合戦略のKPI（kb export で書き出しました）。実績値は管理画面の「KPI」で入力します。\n"
              "# このファイルを取り込んでも、入力した実績は変わりません。\n")
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=1000)
