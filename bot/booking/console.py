"""管理画面 → 施設予約: each facility's calendar by day and week (printable), bookings taken by phone or at the
counter, one booking's status, memo and history, closures (listing the bookings they hit first) and the CSV.

Every signed-in staff member sees the calendar, without names; admins and 施設予約担当 see who booked, take
bookings and change them. Every change is audited (bot.booking.store)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bot.booking import calendar as cal
from bot.booking import retention, store
from bot.booking.inputs import (BookingForm, ClosureForm, DetailForm, HandlerForm, RetentionForm,
                                values as form_values)
from bot.core.access import admin_required, bookings_required, staff_required
from bot.core.blueprint import bp
from bot.core.inputs import attach_errors
from bot.core.limits import limited
from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import AuditLog, BookingClosure, User, utcnow
from bot.models.timeutil import local_stamp, local_today, to_local


def sees_names() -> bool:
    """Tell whether the signed-in user may see who booked (admins and 施設予約担当)."""
    return bool(current_user.is_authenticated and (current_user.is_admin or current_user.handles_bookings))


def _facility(key: str):
    facility = store.facility_by_key(key)
    if facility is None:
        abort(404)
    return facility


def _booking(receipt: str):
    row = store.by_receipt(receipt)
    if row is None:
        abort(404)
    return row


def _day_arg(name: str = "day", default: date | None = None) -> date:
    raw = request.args.get(name, "")[:20]
    if not raw:
        return default or local_today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash("日付は 2026-12-24 の形で指定してください。今日を表示しています。", "error")
        return local_today()


@bp.get("/booking")
@staff_required
def booking_home():
    """List the facilities residents may book, with today's bookings of each."""
    today = local_today()
    rows = [(f, len(cal.live_bookings(f, today, today))) for f in store.facilities()]
    return render_template("booking/console/home.html", rows=rows, today=cal.jday(today), names=sees_names())


@bp.get("/booking/<fkey>")
@staff_required
def booking_calendar(fkey: str):
    """One facility's calendar: a day (every unit side by side) or a week (one table per unit). Printable."""
    facility = _facility(fkey)
    day = _day_arg()
    week = request.args.get("view") == "week"
    first = day - timedelta(days=day.weekday()) if week else day
    last = first + timedelta(days=6) if week else day
    bookings = cal.live_bookings(facility, first, last)
    now = utcnow()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    grid = {d: cal.day_slots(facility, d, now, bookings) for d in days}
    reasons = {d: cal.closed_reason(facility, d) for d in days}
    return render_template("booking/console/calendar.html", facility=facility, day=day, week=week, days=days,
                           grid=grid, reasons=reasons, units=cal.units(facility), jday=cal.jday, names=sees_names(),
                           holiday=cal.holiday_name, prev=first - timedelta(days=7 if week else 1),
                           next=first + timedelta(days=7 if week else 1), statuses=store.STATUSES,
                           channels=store.CHANNELS, starts=cal.slot_starts(facility, day),
                           cancelled=cal.cancelled_bookings(facility, first, last), jtime=cal.jtime,
                           local=to_local)


@bp.route("/booking/<fkey>/new", methods=["GET", "POST"])
@bookings_required
def booking_new(fkey: str):
    """Take a booking by phone or at the counter (the resident's name is required here)."""
    facility = _facility(fkey)
    values = form_values(BookingForm(formdata=request.values))
    errors: dict[str, str] = {}
    if request.method == "POST":
        unit = store.unit_by_key(facility, values["unit"])
        try:
            if unit is None:
                raise Invalid("部屋・コートを選んでください", "unit")
            starts = store.parse_start(facility, values["day"], values["code"])
            channel = values["channel"] if values["channel"] in (store.PHONE, store.COUNTER) else store.PHONE
            row = store.book(facility, unit, starts, people=values["people"], purpose=values["purpose"],
                             name=values["name"], phone=values["phone"], channel=channel, actor=current_user.email,
                             memo=values["memo"])
        except Invalid as exc:
            errors = {k: " ".join(v) for k, v in exc.errors.items()}
        else:
            flash(f"予約しました（受付番号 {row.receipt_no}）。受付番号を相手の方にお伝えください。", "info")
            return redirect(url_for("admin.booking_calendar", fkey=facility.key, day=values["day"]))
    codes = [(f"{s:%H%M}", f"{s:%H:%M}〜{cal.slot_end(facility, s):%H:%M}") for s in cal.slot_starts(facility, local_today())]
    return render_template("booking/console/new.html", facility=facility, values=values, errors=errors,
                           units=cal.units(facility), channels=store.CHANNELS, codes=codes), (400 if errors else 200)


@bp.route("/bookings/<receipt>", methods=["GET", "POST"])
@bookings_required
def booking_detail(receipt: str):
    """One booking: who, when, status and memo (changeable), and its history."""
    row = _booking(receipt)
    if request.method == "POST":
        form = DetailForm()
        try:
            changed = False
            if "status" in request.form:
                changed |= store.set_status(row, str(form.status.data or "")[:20], current_user.email)
            if "memo" in request.form:
                changed |= store.set_memo(row, str(form.memo.data or "")[:2000], current_user.email)
        except Invalid as exc:
            flash("保存できませんでした。" + exc.message, "error")
        else:
            flash("保存しました。" if changed else "変更はありませんでした。", "info")
        return redirect(url_for("admin.booking_detail", receipt=row.receipt_no))
    history = list(db.session.scalars(select(AuditLog).where(
        AuditLog.target_type == "booking", AuditLog.target_id == row.receipt_no).order_by(AuditLog.id)))
    return render_template("booking/console/detail.html", row=row, summary=store.summary(row), history=history,
                           statuses=store.STATUSES, channels=store.CHANNELS, local=to_local,
                           cleared=retention.cleared(row), keep=retention.days())


@bp.post("/bookings/<receipt>/cancel")
@bookings_required
def booking_cancel(receipt: str):
    """Cancel a booking (staff may cancel after the residents' deadline too)."""
    row = _booking(receipt)
    done = store.cancel(row, current_user.email)
    flash(f"受付番号 {row.receipt_no} を取り消しました。" if done else "この予約はすでに取り消されています。", "info")
    return redirect(url_for("admin.booking_detail", receipt=row.receipt_no))


@bp.route("/booking/<fkey>/closures", methods=["GET", "POST"])
@bookings_required
def booking_closures(fkey: str):
    """Close the facility (or a unit) for some days; the bookings the closure hits are listed before saving."""
    facility = _facility(fkey)
    values = form_values(ClosureForm())
    unit = store.unit_by_key(facility, values["unit"]) if values["unit"] else None
    hits, errors, preview = [], {}, False
    if request.method == "POST":
        try:
            first, last, _reason = store.check_closure(values["first_day"], values["last_day"], values["reason"])
            hits = store.closure_hits(facility, unit, first, last)
            if values["step"] == "save":
                _row, hits = store.add_closure(facility, unit, values["first_day"], values["last_day"],
                                               values["reason"], current_user.email)
                flash(f"休館を登録しました（{first.isoformat()}〜{last.isoformat()}）。" +
                      (f"この期間の予約{len(hits)}件は取り消していません。予約した方へ連絡してから取り消してください。"
                       if hits else ""), "info")
                return redirect(url_for("admin.booking_closures", fkey=facility.key))
            preview = True
        except Invalid as exc:
            errors = {k: " ".join(v) for k, v in exc.errors.items()}
    found = list(db.session.scalars(select(BookingClosure).where(BookingClosure.facility_id == facility.id)
                                    .order_by(BookingClosure.first_day.desc()).limit(100)))
    return render_template("booking/console/closures.html", facility=facility, values=values, hits=hits,
                           preview=preview, errors=errors, closures=found, units=cal.units(facility),
                           names=sees_names(), jtime=cal.jtime), (400 if errors else 200)


@bp.post("/booking/<fkey>/closures/<int:closure_id>/remove")
@bookings_required
def booking_closure_remove(fkey: str, closure_id: int):
    facility = _facility(fkey)
    closure = db.session.get(BookingClosure, closure_id)
    if closure is None or closure.facility_id != facility.id:
        abort(404)
    store.remove_closure(closure, current_user.email)
    flash("休館を取りやめました。", "info")
    return redirect(url_for("admin.booking_closures", fkey=facility.key))


@bp.get("/booking/<fkey>/export.csv")
@bookings_required
@limited("console_export")
def booking_export(fkey: str):
    """Download a facility's bookings of a period as CSV (Excel-friendly, formula-safe); audited."""
    facility = _facility(fkey)
    first = _day_arg("first", local_today())
    last = _day_arg("last", first + timedelta(days=30))
    if last < first or (last - first).days > 366:
        first, last = first, first + timedelta(days=30)
    body, count = store.csv_bytes(facility, first, last, with_names=True)
    store.record_export(facility, count, True, current_user.email)
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=booking-{facility.key}-{local_stamp()}.csv"})


@bp.route("/booking/settings/retention", methods=["GET", "POST"])
@admin_required
def booking_retention():
    """How long bookings keep the resident's personal data (a town setting); `flask booking purge` clears it."""
    form = RetentionForm(formdata=None) if request.method == "GET" else RetentionForm()
    status = 200
    if request.method == "GET":
        form.booking_retention_days.data = retention.raw_value()
    elif form.validate_on_submit():
        try:
            changed = retention.save(str(form.booking_retention_days.data or "")[:40], current_user.email)
        except Invalid as exc:
            db.session.rollback()
            attach_errors(form, exc.errors)
            status = 400
        else:
            flash(f"保存期間を{retention.days()}日にしました。" if changed else "変更はありませんでした。", "info")
            return redirect(url_for("admin.booking_retention"))
    else:
        attach_errors(form, {retention.KEY: ["保存できませんでした。画面を開き直してから、もう一度お試しください。"]})
        status = 400
    return render_template("booking/console/retention.html", form=form, days=retention.days(),
                           default=retention.default_days()), status


@bp.post("/users/<int:user_id>/bookings")
@admin_required
def user_bookings(user_id: int):
    """Grant or revoke 施設予約担当 (seeing who booked, taking and changing bookings)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    handles = HandlerForm().handles_bookings.data == "y"
    if store.set_handler(user, handles, current_user.email):
        flash(f"{user.email} を施設予約担当{'にしました' if handles else 'から外しました'}。", "info")
    return redirect(url_for("admin.users"))
