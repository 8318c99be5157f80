"""The KPIs in the database: the pack's import, the actual values staff enter (each audited, history kept), the
board as every page shows it, the feed's updates and the CSV for the 推進会議.

Every service here validates, writes its audit row and commits (or raises Invalid before anything changed).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from bot import csvsafe
from bot.core import audit
from bot.core.problems import Invalid, Problem
from bot.core.records import ImportReport
from bot.core.textrules import has_control
from bot.extensions import db
from bot.kpi import live as live_counts
from bot.kpi.pack import KINDS, LIVE, kpi_hash, number_text, year_label
from bot.models import Kpi, KpiActual, utcnow
from bot.models.timeutil import console_time, to_local

NOT_ENTERED = "未入力"
MAX_SOURCE, MAX_NOTE, MAX_REASON = 200, 500, 200
MAX_ACTUAL = Decimal("1000000000")
EARLIEST = date(2000, 1, 1)
MILESTONE = {"1": "策定済み", "0": "未策定"}
_MILESTONE_WORDS = {"1": "1", "0": "0", "done": "1", "not_done": "0", "策定済み": "1", "策定済": "1", "未策定": "0"}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
INTEGER_UNITS = ("名", "件", "校", "施設")


# ---------------------------------------------------------------------------------------------------------------
# Reading: one KPI as the board, the overview, the signage panel and the CSV show it.

@dataclass(frozen=True)
class Reading:
    """A KPI with its current actual (the newest entered, or the live count), its progress and what to call it."""

    kpi: Kpi
    value: Decimal | None  # None: 未入力
    as_of: date | None
    source: str
    live: bool

    @property
    def entered(self) -> bool:
        return self.value is not None

    @property
    def baseline(self) -> Decimal | None:
        return _decimal(self.kpi.baseline.get("value"))

    @property
    def target(self) -> Decimal | None:
        return _decimal(self.kpi.target.get("value"))

    @property
    def goal_value(self) -> Decimal | None:
        """The number the actual is measured against: the target, or the baseline a 維持 target keeps."""
        if self.kpi.kind == "maintain":
            return self.baseline
        if self.kpi.kind == "milestone":
            return Decimal(1)
        return self.target

    @property
    def percent(self) -> int | None:
        """Progress towards the goal in whole percent, 0–100 (the bar's width); None when there is no actual."""
        goal = self.goal_value
        if self.value is None or goal is None:
            return None
        if goal == 0:
            return 100 if self.value >= 0 else 0
        return max(0, min(100, int((self.value * 100 / goal).to_integral_value())))

    @property
    def achieved(self) -> bool:
        goal = self.goal_value
        return self.value is not None and goal is not None and self.value >= goal

    @property
    def state(self) -> str:
        """未入力, 達成 or 進行中 (維持 / 下回る for a target that keeps the baseline)."""
        if self.value is None:
            return NOT_ENTERED
        if self.kpi.kind == "maintain":
            return "維持" if self.achieved else "基準値を下回る"
        if self.kpi.kind == "milestone":
            return "達成" if self.achieved else "未達成"
        return "達成" if self.achieved else "進行中"

    @property
    def value_text(self) -> str:
        """The actual as the board shows it: 38名, 12.4%, 策定済み, or 未入力."""
        if self.value is None:
            return NOT_ENTERED
        return value_text(self.kpi, self.value)

    @property
    def baseline_text(self) -> str:
        return point_text(self.kpi, self.kpi.baseline)

    @property
    def target_text(self) -> str:
        if self.kpi.kind == "maintain" and self.baseline is not None:
            return f"{point_text(self.kpi, self.kpi.target)}　基準値 {number_text(self.baseline)}{self.kpi.unit}"
        return point_text(self.kpi, self.kpi.target)

    @property
    def as_of_text(self) -> str:
        return jdate(self.as_of) if self.as_of else ""

    @property
    def where(self) -> str:
        """Where the plan states it: 総合戦略69頁 基本目標２ ２．Ｕ／Ｉターン促進事業 ④…."""
        k = self.kpi
        return f"総合戦略{k.page}頁　{k.goal}　{k.program}　{k.policy}"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def decimal_value(actual: KpiActual) -> Decimal:
    """Return an actual's stored value as a number."""
    return Decimal(actual.value)


def jdate(day: date) -> str:
    """Return a day as 2026年12月7日."""
    return f"{day.year}年{day.month}月{day.day}日"


def value_text(kpi: Kpi, value: Decimal) -> str:
    """Return a value with its unit: 38名, 12.4%, or 策定済み / 未策定 for a milestone."""
    if kpi.kind == "milestone":
        return MILESTONE["1" if value >= 1 else "0"]
    return f"{number_text(value)}{kpi.unit}"


def point_text(kpi: Kpi, point: dict[str, Any]) -> str:
    """Return a baseline or target in the plan's own words with its year: ２４名（令和4年度）, 未策定（令和4年度）."""
    return f"{point.get('text', '')}（{year_label(point.get('year', ''))}）"


def all_kpis() -> list[Kpi]:
    """Return the KPIs the board shows, in the pack's order (retired ones, gone from the pack, left out)."""
    return list(db.session.scalars(select(Kpi).where(Kpi.retired.is_(False)).order_by(Kpi.position, Kpi.id)))


def kpi_by_key(key: str) -> Kpi | None:
    return db.session.scalar(select(Kpi).where(Kpi.key == key, Kpi.retired.is_(False)))


def current_actual(kpi: Kpi) -> KpiActual | None:
    """Return the newest actual staff entered (by its date, then by when it was entered), withdrawn ones left out."""
    return db.session.scalar(select(KpiActual).where(KpiActual.kpi_id == kpi.id, KpiActual.withdrawn_at.is_(None))
                             .order_by(KpiActual.as_of.desc(), KpiActual.id.desc()).limit(1))


def reading(kpi: Kpi, now: datetime | None = None) -> Reading:
    """Return a KPI's current reading: the live count for a live KPI, else the newest entered actual."""
    now = now or utcnow()
    if kpi.live:
        counted = live_counts.count(kpi.live, now)
        if counted is None:
            return Reading(kpi, None, None, "", True)
        return Reading(kpi, counted.value, counted.as_of, counted.source, True)
    actual = current_actual(kpi)
    if actual is None:
        return Reading(kpi, None, None, "", False)
    return Reading(kpi, _decimal(actual.value), actual.as_of, actual.source, False)


def board(now: datetime | None = None) -> list[Reading]:
    """Return every KPI's reading, in the pack's order."""
    now = now or utcnow()
    return [reading(k, now) for k in all_kpis()]


def history(kpi: Kpi) -> list[KpiActual]:
    """Return every actual entered for a KPI, withdrawn ones too, newest date first."""
    return list(db.session.scalars(select(KpiActual).where(KpiActual.kpi_id == kpi.id)
                                   .order_by(KpiActual.as_of.desc(), KpiActual.id.desc())))


def series(kpi: Kpi, limit: int = 8) -> list[tuple[date, Decimal]]:
    """Return the actuals the chart draws: per date the newest entered value, oldest date first, at most limit."""
    by_day: dict[date, Decimal] = {}
    for actual in reversed(history(kpi)):  # oldest first: a later entry for the same day wins
        if actual.withdrawn_at is None:
            value = _decimal(actual.value)
            if value is not None:
                by_day[actual.as_of] = value
    return sorted(by_day.items())[-limit:]


def updates(limit: int = 50) -> list[KpiActual]:
    """Return the newest entered actuals of the KPIs on the board (the Atom feed's entries), newest first."""
    return list(db.session.scalars(
        select(KpiActual).join(Kpi, Kpi.id == KpiActual.kpi_id)
        .where(KpiActual.withdrawn_at.is_(None), Kpi.retired.is_(False))
        .order_by(KpiActual.entered_at.desc(), KpiActual.id.desc()).limit(limit)))


def last_change() -> datetime | None:
    """Return when the board last changed: the newest actual entered or withdrawn, or the newest import."""
    moments = [db.session.scalar(select(db.func.max(KpiActual.entered_at))),
               db.session.scalar(select(db.func.max(KpiActual.withdrawn_at))),
               db.session.scalar(select(db.func.max(Kpi.changed_at)))]
    found = [m if m.tzinfo else m.replace(tzinfo=timezone.utc) for m in moments if m]  # SQLite: naive UTC
    return max(found) if found else None


# ---------------------------------------------------------------------------------------------------------------
# The pack: import (adds and corrects the plan's KPIs, never touches an actual) and export.

def audited(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return a KPI's pack data as the audit log shows it: Japanese names, the plan's words, no codes."""
    if data is None:
        return None
    def point(p: dict[str, Any]) -> str:
        return f"{p.get('text', '')}（{year_label(p.get('year', ''))}）"
    return {"kpi_name": data["name"], "kpi_measure": data["measure"], "kpi_baseline": point(data["baseline"]),
            "kpi_target": point(data["target"]), "kpi_where": f"総合戦略{data['page']}頁 {data['goal']} {data['program']} {data['policy']}",
            "kpi_kind": KINDS.get(data["kind"], data["kind"]), "kpi_live": LIVE.get(data["live"], "なし（職員が入力）")}


def import_kpis(kpis: list[dict[str, Any]], *, author: str) -> ImportReport:
    """Upsert validated KPIs by key in the caller's transaction; KPIs gone from the pack are retired, not deleted
    (their actuals stay in the history). Each change is audited."""
    report = ImportReport()
    existing = {k.key: k for k in db.session.scalars(select(Kpi))}
    for data in kpis:
        row = existing.pop(data["key"], None)
        before = row.content() if row is not None else None
        if row is not None and not row.retired and kpi_hash(before) == kpi_hash(data):
            report.unchanged.append(data["key"])
            continue
        if row is None:
            row = Kpi()
            db.session.add(row)
            report.created.append(data["key"])
        else:
            report.updated.append(data["key"])
        for name, value in data.items():
            setattr(row, name, value)
        row.retired = False
        audit.record(author, "kpi.import", "kpi", data["key"], f"KPI「{data['name']}」を取り込み", audited(before),
                     audited(data))
    for row in existing.values():
        if not row.retired:
            row.retired = True
            report.updated.append(row.key)
            audit.record(author, "kpi.import", "kpi", row.key, f"KPI「{row.name}」は知識パックにないため非表示に",
                         audited(row.content()), None)
    db.session.flush()
    return report


def export_kpis() -> list[dict[str, Any]]:
    """Return the KPIs on the board as pack data (no actuals: those are entered in the console)."""
    return [k.content() for k in all_kpis()]


def pack_text() -> str:
    """Return kpi.yaml as an export writes it: the database's KPIs, the running pack's review note."""
    from pathlib import Path

    import yaml
    from flask import current_app

    from bot.kpi.pack import KPI_FILE, dump

    note = ""
    try:
        raw = yaml.safe_load((Path(current_app.config["KNOWLEDGE_DIR"]) / KPI_FILE).read_text(encoding="utf-8"))
        if isinstance(raw, dict) and isinstance(raw.get("review_note"), str):
            note = raw["review_note"]
    except (OSError, ValueError, yaml.YAMLError):
        pass
    return dump(note, export_kpis())


# ---------------------------------------------------------------------------------------------------------------
# Actuals: entered by staff, each one audited; never edited (a correction is a new entry), withdrawn with a reason.

def parse_value(kpi: Kpi, raw: str) -> str:
    """Return a typed actual as canonical decimal text, or raise Invalid saying in Japanese what is wrong."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if kpi.kind == "milestone":
        code = _MILESTONE_WORDS.get(text)
        if code is None:
            raise Invalid("「策定済み」か「未策定」を選んでください", "value")
        return code
    if not text:
        raise Invalid("実績値を入力してください", "value")
    if has_control(text, one_line=True) or len(text) > 30:
        raise Invalid("実績値は数字で入力してください（例：38）", "value")
    text = text.replace(",", "")
    if kpi.unit and text.endswith(kpi.unit):
        text = text[: -len(kpi.unit)].strip()
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise Invalid(f"実績値「{text[:20]}」は数字として読めません。数字だけを入力してください（例：{_example(kpi)}）",
                      "value") from None
    if not number.is_finite():
        raise Invalid("実績値は数字で入力してください", "value")
    if number < 0:
        raise Invalid("実績値は0以上にしてください", "value")
    if kpi.unit == "%" and number > 100:
        raise Invalid("割合（%）は0〜100で入力してください", "value")
    if number >= MAX_ACTUAL:
        raise Invalid("実績値が大きすぎます。桁を確かめてください", "value")
    if kpi.unit in INTEGER_UNITS and number != number.to_integral_value():
        raise Invalid(f"{kpi.measure}は整数で入力してください（単位：{kpi.unit}）", "value")
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise Invalid("小数は2桁までで入力してください", "value")
    normal = number.normalize()
    return "0" if normal == 0 else f"{normal:f}"


def _example(kpi: Kpi) -> str:
    return "12.4" if kpi.unit == "%" else "38"


def parse_day(raw: str, today: date) -> date:
    """Return the typed date (2025-03-31, 2025/3/31, 2025年3月31日), or raise Invalid: not in the future."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise Invalid("集計日を入力してください（例：2025-03-31）", "as_of")
    match = _DATE.match(text)
    if not match:
        raise Invalid("集計日は 2025-03-31 の形で入力してください", "as_of")
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise Invalid(f"集計日「{text[:20]}」はありません（日付を確かめてください）", "as_of") from None
    if day > today:
        raise Invalid("集計日に未来の日付は入力できません", "as_of")
    if day < EARLIEST:
        raise Invalid(f"集計日は{EARLIEST.year}年以降にしてください", "as_of")
    return day


def _one_line(raw: str, name: str, label: str, limit: int, required: bool) -> str:
    text = unicodedata.normalize("NFC", (raw or "").replace("\r\n", "\n")).strip()
    if required and not text:
        raise Invalid(f"{label}を入力してください（例：令和6年度 市民課の集計）", name)
    if len(text) > limit:
        raise Invalid(f"{label}は{limit}文字以内で入力してください（今は{len(text)}文字）", name)
    if has_control(text, one_line=True):
        raise Invalid(f"{label}に改行や制御文字は使えません", name)
    return text


def record_actual(kpi: Kpi, value: str, as_of: str, source: str, note: str, actor: str,
                  now: datetime | None = None) -> KpiActual:
    """Add an actual value with its date and source, audited; the board shows the newest by date. Commits."""
    now = now or utcnow()
    if kpi.retired:
        raise Invalid("このKPIは知識パックにないため、実績を入力できません")
    if kpi.live:
        raise Invalid(f"「{kpi.name}」は自動で数えています（{LIVE.get(kpi.live, '')}）。入力はいりません")
    problems: list[Problem] = []
    parsed: dict[str, Any] = {}
    for name, parse in (("value", lambda: parse_value(kpi, value)), ("as_of", lambda: parse_day(as_of, to_local(now).date())),
                        ("source", lambda: _one_line(source, "source", "出典", MAX_SOURCE, True)),
                        ("note", lambda: _one_line(note, "note", "メモ", MAX_NOTE, False))):
        try:
            parsed[name] = parse()
        except Invalid as exc:
            problems += exc.problems
    if problems:
        raise Invalid(problems)
    latest = current_actual(kpi)
    if latest is not None and (latest.value, latest.as_of, latest.source) == (parsed["value"], parsed["as_of"], parsed["source"]):
        raise Invalid("同じ集計日・実績値・出典の実績がすでに入力されています", "value")
    actual = KpiActual(kpi_id=kpi.id, value=parsed["value"], as_of=parsed["as_of"], source=parsed["source"],
                       note=parsed["note"], entered_by=actor, entered_at=now)
    db.session.add(actual)
    before = None
    if latest is not None:
        before = {"kpi_value": value_text(kpi, Decimal(latest.value)), "as_of": latest.as_of.isoformat(),
                  "source": latest.source}
    shown = value_text(kpi, Decimal(parsed["value"]))
    try:
        db.session.flush()
        audit.record(actor, "kpi.actual", "kpi", kpi.key, f"KPI「{kpi.name}」の実績を {shown}（{jdate(parsed['as_of'])}）に",
                     before, {"kpi_value": shown, "as_of": parsed["as_of"].isoformat(), "source": parsed["source"]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return actual


def withdraw_actual(actual: KpiActual, reason: str, actor: str) -> bool:
    """Withdraw a mistaken actual (kept in the history with who and why), audited; False if already withdrawn."""
    if actual.withdrawn_at is not None:
        return False
    reason = _one_line(reason, "reason", "取り消しの理由", MAX_REASON, True)
    kpi = actual.kpi
    shown = value_text(kpi, Decimal(actual.value))
    actual.withdrawn_at, actual.withdrawn_by, actual.withdrawn_reason = utcnow(), actor, reason
    try:
        audit.record(actor, "kpi.withdraw", "kpi", kpi.key, f"KPI「{kpi.name}」の実績 {shown}（{jdate(actual.as_of)}）を取り消し",
                     {"kpi_value": shown, "as_of": actual.as_of.isoformat(), "source": actual.source},
                     {"withdrawn_reason": reason})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


# ---------------------------------------------------------------------------------------------------------------
# The CSV for the 推進会議.

CSV_HEADER = ["KPI", "指標", "単位", "基準値", "基準年度", "目標値", "目標年度", "実績値", "集計日", "出典", "達成率（%）",
              "状況", "総合戦略のページ", "基本目標", "事業", "具体的な施策", "目標の種類"]


def csv_bytes(now: datetime | None = None) -> tuple[bytes, int]:
    """Return the board as CSV for Excel (UTF-8 with BOM, formula-safe) and how many KPIs it holds."""
    rows = []
    readings = board(now)
    for r in readings:
        k = r.kpi
        rows.append([k.name, k.measure, k.unit, k.baseline.get("text", ""), year_label(k.baseline.get("year", "")),
                     k.target.get("text", ""), year_label(k.target.get("year", "")),
                     r.value_text if r.entered else NOT_ENTERED, r.as_of.isoformat() if r.as_of else "", r.source,
                     "" if r.percent is None else r.percent, r.state, f"{k.page}頁", k.goal, k.program, k.policy,
                     KINDS.get(k.kind, k.kind)])
    return csvsafe.to_bytes(CSV_HEADER, rows), len(rows)


def record_export(count: int, actor: str) -> None:
    """Audit a download of the board as CSV. Commits."""
    audit.record(actor, "kpi.export", "kpi", "", f"KPIをCSVで書き出し（{count}件）", None, {"count": count})
    db.session.commit()


def entered_text(actual: KpiActual) -> str:
    """Return when and by whom an actual was entered, for the console's history."""
    return f"{console_time(actual.entered_at)}　{actual.entered_by}"


def signage_panel(now: datetime | None = None, limit: int = 9) -> list[dict[str, Any]]:
    """Return the KPIs a signage screen shows (those with an actual), public fields only, as JSON data."""
    return [{"name": r.kpi.name, "value": r.value_text, "as_of": f"{r.as_of_text}現在" if r.as_of else "",
             "target": r.target_text, "percent": r.percent if r.percent is not None else 0, "state": r.state}
            for r in board(now) if r.entered][:limit]
