"""Bookings in the database: a resident's booking from LINE, staff bookings by phone or at the counter,
cancellations, status and memo, closures (with the bookings they hit), the pack's facilities and the CSV.

Every service here validates, writes its audit row and commits (or raises Invalid before anything changed).
Double booking is refused by the database (bot/models/booking.py): of many residents racing for one slot exactly
one insert succeeds, and the others hear which slots nearby are still free.
"""
from __future__ import annotations

import secrets
import threading
import time
import unicodedata
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot import csvsafe
from bot.booking import calendar as cal
from bot.core import audit
from bot.core.problems import Invalid
from bot.core.records import ImportReport
from bot.core.tenancy import clear_after_commit, current_ref, town_cache
from bot.core.textrules import has_control
from bot.extensions import db
from bot.models import Booking, BookingClosure, BookingFacility, BookingUnit, User, utcnow
from bot.models.tenancy import ACTIVE
from bot.models.timeutil import console_time, to_local

LINE, PHONE, COUNTER = "line", "phone", "counter"
CHANNELS = {LINE: "LINE", PHONE: "電話", COUNTER: "窓口"}
STATUSES = {"booked": "予約", "used": "利用済み", "no_show": "無断不使用", "cancelled": "取消し"}
MAX_PURPOSE, MAX_NAME, MAX_PHONE, MAX_MEMO, MAX_REASON = 100, 50, 20, 500, 100
_RECEIPT_ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"
SUSPENDED = "この町の受付は現在停止しています。予約は受け付けられません。"


class SlotTaken(Invalid):
    """The slot was booked by someone else first; carries the nearest free slots to offer instead."""

    def __init__(self, message: str, nearest: list[cal.SlotView]):
        super().__init__(message, "slot")
        self.nearest = nearest


# ---------------------------------------------------------------------------------------------------------------
# Reading

def facilities() -> list[BookingFacility]:
    return list(db.session.scalars(select(BookingFacility).where(BookingFacility.retired.is_(False))
                                   .order_by(BookingFacility.position, BookingFacility.id)))


class _Offered:
    """Whether the town has a facility to book, as this process last read it, and when."""

    def __init__(self) -> None:
        self.value = False
        self.read_at: float | None = None
        self.generation = 0  # counts clears: a read that overlapped one is not kept
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.generation += 1
            self.read_at = None


def _offered() -> _Offered:
    return town_cache("booking_offered", _Offered)


def any_facility() -> bool:
    """Tell whether the town takes bookings (one facility or more). Asked on every facility-reservation answer, so
    read at most every TOWN_CACHE_SECONDS: a committed change to the facilities clears this process's copy at once,
    other workers see it within those seconds (as with the town's settings)."""
    memo = _offered()
    now = time.monotonic()
    if memo.read_at is not None and now - memo.read_at < current_app.config.get("TOWN_CACHE_SECONDS", 5):
        return memo.value
    generation = memo.generation
    value = db.session.scalar(select(BookingFacility.id).where(BookingFacility.retired.is_(False)).limit(1)) is not None
    with memo.lock:
        if memo.generation == generation:
            memo.value, memo.read_at = value, now
    return value


# A committed change to the facilities clears this process's copy at once.
clear_after_commit(BookingFacility, lambda: _offered().clear())


def facility_by_key(key: str) -> BookingFacility | None:
    if not key or len(key) > 60:
        return None
    return db.session.scalar(select(BookingFacility).where(BookingFacility.key == key,
                                                           BookingFacility.retired.is_(False)))


def unit_by_key(facility: BookingFacility, key: str) -> BookingUnit | None:
    if not key or len(key) > 60:
        return None
    return db.session.scalar(select(BookingUnit).where(BookingUnit.facility_id == facility.id,
                                                       BookingUnit.key == key, BookingUnit.retired.is_(False)))


def by_receipt(receipt_no: str) -> Booking | None:
    if not receipt_no or len(receipt_no) > 20:
        return None
    return db.session.scalar(select(Booking).where(Booking.receipt_no == receipt_no))


def resident_bookings(line_user_id: str, now: datetime | None = None) -> list[Booking]:
    """Return a LINE user's live bookings that have not ended yet, soonest first."""
    now = now or utcnow()
    if not line_user_id:
        return []
    return list(db.session.scalars(select(Booking).where(
        Booking.line_user_id == line_user_id, Booking.status == "booked", Booking.ends_at > now)
        .order_by(Booking.starts_at)))


def summary(b: Booking) -> str:
    """Return a booking as LINE and the pages show it: facility, unit and time (no personal data)."""
    return f"{b.facility.name} {b.unit.name}\n{cal.jtime(b.starts_at)}〜{to_local(b.ends_at):%H:%M}"


def cancel_deadline(b: Booking) -> date:
    """Return the last day a resident may cancel (the facility's deadline before the booked day)."""
    return to_local(b.starts_at).date() - timedelta(days=b.facility.deadline_days)


# ---------------------------------------------------------------------------------------------------------------
# Checking what a resident (or staff) typed

def _text(raw: str, field: str, label: str, limit: int, required: bool) -> str:
    text = unicodedata.normalize("NFC", (raw or "").replace("\r\n", "\n")).strip()
    if required and not text:
        raise Invalid(f"{label}を入力してください", field)
    if len(text) > limit:
        raise Invalid(f"{label}は{limit}文字以内で入力してください（今は{len(text)}文字）", field)
    if has_control(text, one_line=True):
        raise Invalid(f"{label}に改行や制御文字は使えません", field)
    return text


def parse_people(raw: Any, unit: BookingUnit) -> int:
    text = unicodedata.normalize("NFKC", str(raw or "")).strip().removesuffix("人").strip()
    if not text:
        raise Invalid("人数を入力してください", "people")
    if not text.isdigit() or len(text) > 4:
        raise Invalid("人数は数字で入力してください（例：8）", "people")
    people = int(text)
    if people < 1:
        raise Invalid("人数は1人以上にしてください", "people")
    if people > unit.capacity:
        raise Invalid(f"{unit.name}の定員は{unit.capacity}人です。{unit.capacity}人以下で入力してください", "people")
    return people


def parse_phone(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "").strip().replace("ー", "-")
    if text and (len(text) > MAX_PHONE or not all(c.isdigit() or c in "-() " for c in text)
                 or sum(c.isdigit() for c in text) < 10):
        raise Invalid("電話番号は数字とハイフンで入力してください（例：0124-22-2111）", "phone")
    return text


def parse_start(facility: BookingFacility, day_text: str, code: str) -> datetime:
    """Return the local start of a slot named by its day (2026-12-08) and time (1000); Invalid if there is none."""
    try:
        day = date.fromisoformat(day_text)
    except (TypeError, ValueError):
        raise Invalid("日付が正しくありません。カレンダーから選び直してください", "slot") from None
    for starts in cal.slot_starts(facility, day):
        if f"{starts:%H%M}" == code:
            return starts
    raise Invalid("その時間の枠はありません。カレンダーから選び直してください", "slot")


def _town_open() -> None:
    ref = current_ref()
    if ref is None or ref.status != ACTIVE:
        raise Invalid(SUSPENDED)


def check_slot(facility: BookingFacility, unit: BookingUnit, starts: datetime, now: datetime, *,
               staff: bool = False) -> None:
    """Raise Invalid in Japanese when the slot cannot be booked: past, closed, outside the window, not a slot."""
    day = starts.date()
    if starts not in cal.slot_starts(facility, day):
        raise Invalid("その時間の枠はありません。カレンダーから選び直してください", "slot")
    if cal.utc(starts) <= now:
        raise Invalid("過ぎた時間は予約できません。これからの枠を選んでください", "slot")
    reason = cal.closed_reason(facility, day, unit)
    if reason:
        raise Invalid(f"{cal.jday(day)}は{reason}のため予約できません。ほかの日を選んでください", "slot")
    if not staff:
        first, last = cal.window(facility, to_local(now).date())
        if day < first:
            raise Invalid(f"{facility.name}の予約は利用日の{facility.deadline_days}日前までです。"
                          f"{cal.jday(first)}以降の枠を選ぶか、施設へお電話ください", "slot")
        if day > last:
            raise Invalid(f"{facility.name}は{facility.days_ahead}日先（{cal.jday(last)}）までの予約を受け付けています", "slot")


def nearest_free(facility: BookingFacility, unit: BookingUnit, starts: datetime, now: datetime,
                 limit: int = 3) -> list[cal.SlotView]:
    """Return up to `limit` free slots of the unit nearest in time to `starts` (the same day first, then later)."""
    first, last = cal.window(facility, to_local(now).date())
    day = max(starts.date(), first)
    found: list[cal.SlotView] = []
    for offset in range(0, 8):
        current = day + timedelta(days=offset)
        if current > last:
            break
        slots = [s for s in cal.day_slots(facility, current, now).get(unit.id, []) if s.state == cal.FREE]
        slots.sort(key=lambda s: abs((s.starts - starts).total_seconds()))
        found.extend(slots[: limit - len(found)])
        if len(found) >= limit:
            break
    return sorted(found, key=lambda s: s.starts)


def taken_message(facility: BookingFacility, unit: BookingUnit, starts: datetime, nearest: list[cal.SlotView]) -> str:
    text = f"申し訳ありません。{cal.jday(starts.date())}{starts:%H:%M}の{unit.name}は、先に予約が入りました。"
    if nearest:
        text += "近くの空いている枠：" + "、".join(f"{cal.jday(s.starts.date())}{s.label}" for s in nearest)
    else:
        text += "近くに空いている枠はありません。ほかの日や施設をお選びください。"
    return text


def check_input(unit: BookingUnit, raw: dict[str, Any], *, staff: bool = False) -> dict[str, Any]:
    """Return the checked people, purpose, name and phone; raise Invalid naming every field that is wrong."""
    problems, out = [], {}
    for name, check in (("people", lambda: parse_people(raw.get("people"), unit)),
                        ("purpose", lambda: _text(str(raw.get("purpose") or ""), "purpose", "利用目的", MAX_PURPOSE, True)),
                        ("name", lambda: _text(str(raw.get("name") or ""), "name", "お名前", MAX_NAME, True)),
                        ("phone", lambda: parse_phone(str(raw.get("phone") or "")))):
        try:
            out[name] = check()
        except Invalid as exc:
            problems += exc.problems
    if problems:
        raise Invalid(problems)
    return out


def check_limit(facility: BookingFacility, line_user_id: str, now: datetime) -> None:
    """Raise Invalid when the resident already holds as many live bookings as one person may."""
    held = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.line_user_id == line_user_id, Booking.status == "booked", Booking.ends_at > now))
    if held >= facility.max_per_resident:
        raise Invalid(f"お一人が同時に持てる予約は{facility.max_per_resident}件までです。"
                      "「予約の確認」でいまの予約を確かめるか、使わない予約を取り消してからお申し込みください", "limit")


def _receipt() -> str:
    for _ in range(20):
        receipt = "Y" + "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(7))
        if by_receipt(receipt) is None:
            return receipt
    raise RuntimeError("no free receipt number")


# ---------------------------------------------------------------------------------------------------------------
# Writing

def book(facility: BookingFacility, unit: BookingUnit, starts: datetime, *, people: Any, purpose: str,
         name: str = "", phone: str = "", line_user_id: str = "", channel: str = LINE, actor: str = "resident",
         memo: str = "", now: datetime | None = None) -> Booking:
    """Book one slot, audited, and commit; raise Invalid (nothing stored) or SlotTaken with the nearest free slots."""
    now = now or utcnow()
    _town_open()
    staff = channel != LINE
    if facility.retired or unit.retired or unit.facility_id != facility.id:
        raise Invalid("この施設はいま予約を受け付けていません", "slot")
    check_slot(facility, unit, starts, now, staff=staff)
    values = check_input(unit, {"people": people, "purpose": purpose, "name": name, "phone": phone}, staff=staff)
    values["memo"] = _text(memo, "memo", "メモ", MAX_MEMO, False)
    if line_user_id:
        check_limit(facility, line_user_id, now)
    row = Booking(receipt_no=_receipt(), facility_id=facility.id, unit_id=unit.id, starts_at=cal.utc(starts),
                  ends_at=cal.utc(cal.slot_end(facility, starts)), slot_start=cal.utc(starts), status="booked",
                  line_user_id=line_user_id, channel=channel, created_by=actor, created_at=now,
                  reminder_key=str(uuid.uuid4()), reminder_state="pending", **values)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        nearest = nearest_free(facility, unit, starts, now)
        raise SlotTaken(taken_message(facility, unit, starts, nearest), nearest) from None
    audit.record(actor, "booking.create", "booking", row.receipt_no,
                 f"受付番号 {row.receipt_no}：{facility.name} {unit.name} {cal.jtime(row.starts_at)}"
                 f"（{CHANNELS.get(channel, channel)}）", None, _audited(row))
    try:
        db.session.commit()
    except IntegrityError:  # PostgreSQL checks the exclusion constraint at commit at the latest
        db.session.rollback()
        nearest = nearest_free(facility, unit, starts, now)
        raise SlotTaken(taken_message(facility, unit, starts, nearest), nearest) from None
    return row


def _audited(b: Booking) -> dict[str, Any]:
    """A booking as the audit log keeps it: no name, phone or LINE id (the log outlives the booking)."""
    return {"booking_slot": f"{cal.jtime(b.starts_at)}〜{to_local(b.ends_at):%H:%M}", "people": b.people,
            "booking_status": STATUSES.get(b.status, b.status), "booking_channel": CHANNELS.get(b.channel, b.channel)}


def cancel(b: Booking, actor: str, *, resident: str | None = None, now: datetime | None = None) -> bool:
    """Cancel a booking, audited, and commit; False when it was no longer live. A resident (their LINE id given)
    may cancel only their own, and only until the deadline; staff may cancel any."""
    now = now or utcnow()
    if resident is not None:
        if b.line_user_id != resident:
            raise Invalid("取り消す予約が見つかりませんでした")
        if to_local(now).date() > cancel_deadline(b):
            raise Invalid(f"取消しの期限（{cal.jday(cancel_deadline(b))}）を過ぎています。"
                          f"{b.facility.name}{'（' + b.facility.phone + '）' if b.facility.phone else ''}へお電話ください")
    before = _audited(b)
    # Compare-and-set: of two taps on 「取り消す」 exactly one cancels.
    done = db.session.execute(update(Booking).where(Booking.id == b.id, Booking.status != "cancelled").values(
        status="cancelled", slot_start=None, cancelled_at=now, cancelled_by=actor,
        reminder_state="skipped").execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        return False
    db.session.refresh(b)
    audit.record(actor, "booking.cancel", "booking", b.receipt_no, f"受付番号 {b.receipt_no} を取消し", before,
                 _audited(b))
    db.session.commit()
    return True


def set_status(b: Booking, status: str, actor: str, now: datetime | None = None) -> bool:
    """Mark a booking 利用済み, 無断不使用 or back to 予約 (staff), audited; 取消し goes through cancel()."""
    if status == "cancelled":
        return cancel(b, actor, now=now)
    if status not in STATUSES:
        raise Invalid("状態が正しくありません", "status")
    if b.status == "cancelled":
        raise Invalid("取り消した予約の状態は変えられません。新しく予約を入れてください", "status")
    if b.status == status:
        return False
    before = _audited(b)
    b.status = status
    audit.record(actor, "booking.status", "booking", b.receipt_no,
                 f"受付番号 {b.receipt_no} を「{STATUSES[status]}」に", before, _audited(b))
    db.session.commit()
    return True


def set_memo(b: Booking, memo: str, actor: str) -> bool:
    text = _text(memo, "memo", "メモ", MAX_MEMO, False)
    if text == b.memo:
        return False
    b.memo = text
    audit.record(actor, "booking.memo", "booking", b.receipt_no, f"受付番号 {b.receipt_no} のメモを変更")
    db.session.commit()
    return True


def parse_day(raw: str, field: str, label: str) -> date:
    text = unicodedata.normalize("NFKC", raw or "").strip().replace("/", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label}は 2026-12-24 の形で入力してください", field) from None


def closure_hits(facility: BookingFacility, unit: BookingUnit | None, first: date, last: date) -> list[Booking]:
    """Return the live bookings a closure of these days would hit (staff contact these people first)."""
    rows = db.session.scalars(select(Booking).where(*cal.overlapping([facility.id], first, last))
                              .order_by(Booking.starts_at))
    return [b for b in rows if unit is None or b.unit_id == unit.id]


def check_closure(first_raw: str, last_raw: str, reason: str) -> tuple[date, date, str]:
    first = parse_day(first_raw, "first_day", "休館の初日")
    last = parse_day(last_raw or first_raw, "last_day", "休館の最終日")
    if last < first:
        raise Invalid("最終日は初日と同じか、それより後にしてください", "last_day")
    if (last - first).days > 366:
        raise Invalid("休館の期間は1年以内にしてください", "last_day")
    return first, last, _text(reason, "reason", "理由", MAX_REASON, True)


def add_closure(facility: BookingFacility, unit: BookingUnit | None, first_raw: str, last_raw: str, reason: str,
                actor: str) -> tuple[BookingClosure, list[Booking]]:
    """Close a facility (or one unit) for some days, audited; return it with the live bookings it hits."""
    first, last, text = check_closure(first_raw, last_raw, reason)
    row = BookingClosure(facility_id=facility.id, unit_id=unit.id if unit else None, first_day=first, last_day=last,
                         reason=text, created_by=actor)
    db.session.add(row)
    hits = closure_hits(facility, unit, first, last)
    audit.record(actor, "booking.closure", "booking_facility", facility.key,
                 f"{facility.name}{' ' + unit.name if unit else ''}を休館：{first.isoformat()}〜{last.isoformat()}"
                 f"（{text}）予約{len(hits)}件に影響", None,
                 {"closure_days": f"{first.isoformat()}〜{last.isoformat()}", "reason": text, "count": len(hits)})
    db.session.commit()
    return row, hits


def remove_closure(closure: BookingClosure, actor: str) -> None:
    facility = db.session.get(BookingFacility, closure.facility_id)
    audit.record(actor, "booking.reopen", "booking_facility", facility.key if facility else "",
                 f"休館（{closure.first_day.isoformat()}〜{closure.last_day.isoformat()}）を取りやめ")
    db.session.delete(closure)
    db.session.commit()


# ---------------------------------------------------------------------------------------------------------------
# The pack: facilities.yaml (shipped empty: the plan names no facility)

def import_facilities(items: list[dict[str, Any]], *, author: str) -> ImportReport:
    """Upsert facilities and their units by key in the caller's transaction; ones gone from the pack are retired."""
    report = ImportReport()
    existing = {f.key: f for f in db.session.scalars(select(BookingFacility))}
    for position, data in enumerate(items):
        row = existing.pop(data["key"], None)
        before = row.content() if row is not None else None
        if row is not None and not row.retired and before == {**data, "units": data["units"]}:
            report.unchanged.append(data["key"])
            continue
        if row is None:
            row = BookingFacility(key=data["key"])
            db.session.add(row)
            report.created.append(data["key"])
        else:
            report.updated.append(data["key"])
        for name, value in data.items():
            if name != "units":
                setattr(row, name, value)
        row.position, row.retired = position, False
        db.session.flush()
        units = {u.key: u for u in db.session.scalars(select(BookingUnit).where(BookingUnit.facility_id == row.id))}
        for n, unit in enumerate(data["units"]):
            u = units.pop(unit["key"], None) or BookingUnit(facility_id=row.id, key=unit["key"])
            u.name, u.capacity, u.position, u.retired = unit["name"], unit["capacity"], n, False
            db.session.add(u)
        for u in units.values():
            u.retired = True
        audit.record(author, "booking.import", "booking_facility", data["key"], f"施設「{data['name']}」を取り込み")
    for row in existing.values():
        if not row.retired:
            row.retired = True
            report.updated.append(row.key)
            audit.record(author, "booking.import", "booking_facility", row.key,
                         f"施設「{row.name}」は知識パックにないため予約の受付を終了")
    db.session.flush()
    return report


# ---------------------------------------------------------------------------------------------------------------
# CSV

CSV_HEADER = ["受付番号", "施設", "部屋・コート", "利用日", "開始", "終了", "人数", "利用目的", "状態", "受付方法",
              "受付日時", "メモ"]
CSV_NAMES = ["お名前", "電話番号"]


def csv_bytes(facility: BookingFacility, first: date, last: date, with_names: bool) -> tuple[bytes, int]:
    """Return a facility's bookings of first…last as CSV (UTF-8 with BOM, formula-safe); names only when allowed."""
    rows = []
    for b in db.session.scalars(select(Booking).where(
            Booking.facility_id == facility.id, Booking.starts_at >= cal.utc(cal.local_moment(first, cal.time(0))),
            Booking.starts_at < cal.utc(cal.local_moment(last + timedelta(days=1), cal.time(0))))
            .order_by(Booking.starts_at, Booking.id)):
        starts, ends = to_local(b.starts_at), to_local(b.ends_at)
        row = [b.receipt_no, facility.name, b.unit.name, starts.date().isoformat(), f"{starts:%H:%M}", f"{ends:%H:%M}",
               b.people, b.purpose, STATUSES.get(b.status, b.status), CHANNELS.get(b.channel, b.channel),
               console_time(b.created_at), b.memo]
        rows.append(row + ([b.name, b.phone] if with_names else []))
    return csvsafe.to_bytes(CSV_HEADER + (CSV_NAMES if with_names else []), rows), len(rows)


def record_export(facility: BookingFacility, count: int, with_names: bool, actor: str) -> None:
    audit.record(actor, "booking.export", "booking_facility", facility.key,
                 f"{facility.name}の予約をCSVで書き出し（{count}件{'・氏名あり' if with_names else ''}）", None,
                 {"count": count})
    db.session.commit()


def set_handler(user: User, handles: bool, actor: str) -> bool:
    """Make a staff member 施設予約担当 or not, audited, and commit; False when nothing changed. Checked on every
    request, so a revoked permission ends at the next click."""
    if handles == user.handles_bookings:
        return False
    user.handles_bookings = handles
    audit.record(actor, "user.bookings", "user", user.id, f"{user.email} を施設予約担当{'にする' if handles else 'から外す'}",
                 {"handles_bookings": not handles}, {"handles_bookings": handles})
    db.session.commit()
    return True
