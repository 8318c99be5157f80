"""What the staff console reads from a stored form definition: field labels, the KPI, answers as staff read them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    """One field as the console shows it: its key and Japanese label."""

    key: str
    label: str


@dataclass(frozen=True)
class Kpi:
    """The plan's KPI for a form: what is counted, where it started and where it should get to."""

    label: str
    baseline: int
    baseline_year: str
    target: int
    target_year: str
    source: str = ""


def fields(definition: dict[str, Any] | None) -> list[Field]:
    """Return a definition's fields in order; entries without a key are skipped."""
    out = []
    for raw in (definition or {}).get("fields") or []:
        if isinstance(raw, dict) and raw.get("key"):
            key = str(raw["key"])
            out.append(Field(key, str(raw.get("label") or key)))
    return out


def _number(value: Any) -> tuple[int, str]:
    """Return (count, year) from `24`, `{"value": 24, "year": "令和4年度"}` or similar."""
    if isinstance(value, dict):
        count = value.get("value", value.get("count", value.get("number", 0)))
        year = value.get("year", value.get("label", ""))
    else:
        count, year = value, ""
    try:
        return int(count or 0), str(year or "")
    except (TypeError, ValueError):
        return 0, str(year or "")


def kpi(definition: dict[str, Any] | None) -> Kpi | None:
    """Return the form's KPI, or None when the definition has none."""
    raw = (definition or {}).get("kpi")
    if not isinstance(raw, dict):
        return None
    baseline, baseline_year = _number(raw.get("baseline"))
    target, target_year = _number(raw.get("target"))
    baseline_year = str(raw.get("baseline_year") or baseline_year)
    target_year = str(raw.get("target_year") or target_year)
    if target <= 0:
        return None
    return Kpi(str(raw.get("label") or "登録者数"), baseline, baseline_year, target, target_year,
               str(raw.get("source") or ""))


def display(value: Any) -> str:
    """Return an answer as staff read it: lists joined with 「、」, booleans as はい/いいえ."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, (list, tuple)):
        return "、".join(display(v) for v in value)
    return str(value)
