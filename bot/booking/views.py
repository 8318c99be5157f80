"""The resident's booking pages, opened from LINE through a signed link (no login): facility → day (free or full
at a glance) → slot → people and purpose → 確認 → 完了 with a receipt number. Plain links and forms: no script is
needed, and every step works by keyboard. The link's token moves into an HttpOnly cookie on the first GET, so no
URL the access log keeps carries it."""
from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, url_for

from bot.bodylimits import body_limit
from bot.booking import calendar as cal
from bot.booking import store
from bot.booking.line import notify_booked
from bot.booking.links import TokenError, make_draft, read_draft, read_link
from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import Follower, utcnow
from bot.models.timeutil import to_local

bp = Blueprint("booking", __name__, url_prefix="/booking")
log = logging.getLogger(__name__)
LINK_COOKIE = "booking_link"
CHANGED = "確認画面の内容が正しくありません。もう一度枠を選んでください。"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _message(title: str, message: str, status: int):
    return _no_store(make_response(render_template("booking/message.html", title=title, message=message), status))


def _resident() -> str:
    """Return the LINE user id the link cookie names; raise TokenError when there is no valid link."""
    follower_id = read_link(request.cookies.get(LINK_COOKIE, "")[:300])
    follower = db.session.get(Follower, follower_id)
    if follower is None or follower.status != "active":
        raise TokenError("LINE から開いたリンクが正しくありません。LINE で「施設を予約する」と送って、届いたボタンから開いてください。")
    return follower.line_user_id


def _refused(exc: TokenError):
    sent = bool(request.cookies.get(LINK_COOKIE))
    response = _message("リンクを確認できませんでした", exc.message, 400 if sent else 200)
    if sent:  # the refusal is said once; a visitor who sent no link gets no cookie at all
        response.delete_cookie(LINK_COOKIE, path=url_for("booking.start"))
    return response


def _facility(key: str):
    facility = store.facility_by_key(key)
    if facility is None:
        abort(404)
    return facility


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


@bp.get("")
def start():
    """Take the LINE link's token into a cookie (303 to the same page without it), then list the facilities."""
    if "t" in request.args:
        response = _no_store(redirect(url_for("booking.start"), 303))
        response.set_cookie(LINK_COOKIE, request.args.get("t", "")[:300], max_age=24 * 3600,
                            path=url_for("booking.start"), httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
        return response
    try:
        _resident()
    except TokenError as exc:
        return _refused(exc)
    return _no_store(make_response(render_template("booking/facilities.html", facilities=store.facilities())))


@bp.get("/<key>")
def days(key: str):
    """Show the days a resident may book, each free or full at a glance."""
    try:
        _resident()
    except TokenError as exc:
        return _refused(exc)
    facility = _facility(key)
    now = utcnow()
    first, last = cal.window(facility, to_local(now).date())
    bookings = cal.live_bookings(facility, first, last)
    rows = []
    day = first
    while day <= last:
        reason = cal.closed_reason(facility, day)
        free, total = (0, 0) if reason else cal.free_count(facility, day, now, bookings)
        rows.append({"day": day, "label": cal.jday(day), "closed": reason, "free": free, "total": total,
                     "holiday": cal.holiday_name(day)})
        day += timedelta(days=1)
    return _no_store(make_response(render_template("booking/days.html", facility=facility, rows=rows)))


@bp.get("/<key>/<day>")
def slots(key: str, day: str):
    """Show one day's slots of every unit: free ones are links to the booking form."""
    try:
        _resident()
    except TokenError as exc:
        return _refused(exc)
    facility = _facility(key)
    when = _day(day)
    reason = cal.closed_reason(facility, when)
    views = {} if reason else cal.day_slots(facility, when, utcnow())
    return _no_store(make_response(render_template("booking/slots.html", facility=facility, day=when,
                                                   label=cal.jday(when), closed=reason, units=cal.units(facility),
                                                   views=views)))


def _slot(facility, day: str, unit_key: str, code: str):
    unit = store.unit_by_key(facility, unit_key)
    if unit is None:
        abort(404)
    try:
        starts = store.parse_start(facility, day, code)
    except Invalid:
        abort(404)
    return unit, starts


def _input(facility, unit, starts, values, errors, status=200, notice=""):
    return _no_store(make_response(render_template(
        "booking/input.html", facility=facility, unit=unit, starts=starts, when=_when(facility, starts),
        values=values, errors=errors, notice=notice), status))


def _when(facility, starts) -> str:
    return f"{cal.jday(starts.date())}{starts:%H:%M}〜{cal.slot_end(facility, starts):%H:%M}"


@bp.route("/<key>/<day>/<unit_key>/<code>", methods=["GET", "POST"])
@body_limit("MAX_PUBLIC_FORM_BYTES")
def slot(key: str, day: str, unit_key: str, code: str):
    """The booking form of one slot (number of people, purpose, name, phone); posting it shows the confirm page."""
    try:
        resident = _resident()
    except TokenError as exc:
        return _refused(exc)
    facility = _facility(key)
    unit, starts = _slot(facility, day, unit_key, code)
    now = utcnow()
    if request.method == "GET":
        try:
            store.check_slot(facility, unit, starts, now)
        except Invalid as exc:
            return _message("この枠は予約できません", exc.message, 400)
        return _input(facility, unit, starts, {}, {})
    values = {k: request.form.get(k, "")[:300] for k in ("people", "purpose", "name", "phone")}
    try:
        store.check_slot(facility, unit, starts, now)
        checked = store.check_input(unit, values)
        store.check_limit(facility, resident, now)
    except Invalid as exc:
        if any(p.field == "slot" for p in exc.problems):
            return _message("この枠は予約できません", exc.message, 400)
        return _input(facility, unit, starts, values, {k: " ".join(v) for k, v in exc.errors.items()}, 400)
    draft = make_draft({"f": facility.key, "u": unit.key, "d": day, "c": code, "n": secrets.token_hex(8), **checked})
    return _no_store(make_response(render_template("booking/confirm.html", facility=facility, unit=unit,
                                                   when=_when(facility, starts), values=checked, draft=draft)))


@bp.post("/confirm")
@body_limit("MAX_PUBLIC_FORM_BYTES")
def confirm():
    """Book the slot the confirm page shows; then the receipt (303, so a reload books nothing twice)."""
    try:
        resident = _resident()
        data = read_draft(request.form.get("draft", ""))
    except TokenError as exc:
        return _refused(exc)
    facility = store.facility_by_key(str(data.get("f", "")))
    unit = store.unit_by_key(facility, str(data.get("u", ""))) if facility else None
    if facility is None or unit is None:
        return _message("予約できませんでした", CHANGED, 400)
    try:
        starts = store.parse_start(facility, str(data.get("d", "")), str(data.get("c", "")))
        row = store.book(facility, unit, starts, people=data.get("people"), purpose=str(data.get("purpose", "")),
                         name=str(data.get("name", "")), phone=str(data.get("phone", "")), line_user_id=resident)
    except store.SlotTaken as exc:
        return _no_store(make_response(render_template("booking/taken.html", facility=facility, unit=unit,
                                                       message=exc.message, nearest=exc.nearest), 409))
    except Invalid as exc:
        return _message("予約できませんでした", exc.message, 400)
    told = notify_booked(row)
    log.info("booking %s made from LINE", row.receipt_no)
    return _no_store(redirect(url_for("booking.done", receipt=row.receipt_no, told=told), 303))


@bp.get("/done/<receipt>")
def done(receipt: str):
    """Show the receipt of a booking to the resident who made it."""
    try:
        resident = _resident()
    except TokenError as exc:
        return _refused(exc)
    row = store.by_receipt(receipt)
    if row is None or row.line_user_id != resident:
        abort(404)
    return _no_store(make_response(render_template(
        "booking/done.html", row=row, summary=store.summary(row), told=request.args.get("told", "")[:10],
        deadline=cal.jday(store.cancel_deadline(row)))))
