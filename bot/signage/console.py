"""The console's signage pages under /admin/signage: facilities, screens, their health and keys.

Editors may look at the list (to tell the facility staff a screen is off); only admins change anything,
because a screen URL shows what the city says in public places.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from bot.core.access import admin_required, staff_required
from bot.core.blueprint import console_headers
from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import Facility, Screen, utcnow
from bot.signage import facilities, health, qr
from bot.core.inputs import ActionForm
from bot.signage.inputs import FacilityForm, ScreenForm

bp = Blueprint("signage_admin", __name__, url_prefix="/admin/signage")
bp.after_request(console_headers)


def _facility_or_404(facility_id: int) -> Facility:
    facility = db.session.get(Facility, facility_id)
    if facility is None:
        abort(404)
    return facility


def _screen_or_404(screen_id: int) -> Screen:
    screen = db.session.get(Screen, screen_id)
    if screen is None:
        abort(404)
    return screen


def _form_errors(form) -> None:
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}：{error}", "error")


@bp.get("/")
@staff_required
def screens():
    """List facilities and their screens, with each screen's last report and a flag for silent ones."""
    now = utcnow()
    rows = [(f, [(s, health.state(s, now)) for s in f.screens]) for f in facilities.all_facilities()]
    return render_template("signage/console.html", rows=rows, kpi=health.kpi(now), facility_form=FacilityForm(),
                           screen_form=ScreenForm(), action=ActionForm(), can_manage=current_user.is_admin)


@bp.post("/facilities")
@admin_required
def facility_add():
    """Add a facility."""
    form = FacilityForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("signage_admin.screens"))
    try:
        facility = facilities.create(form.name.data, form.place.data, by=current_user.email)
    except Invalid as exc:
        flash(str(exc), "error")
    else:
        flash(f"施設「{facility.name}」を登録しました。続けて画面を追加してください。", "info")
    return redirect(url_for("signage_admin.screens"))


@bp.post("/facilities/<int:facility_id>")
@admin_required
def facility_edit(facility_id: int):
    """Rename a facility or change its place."""
    facility = _facility_or_404(facility_id)
    form = FacilityForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("signage_admin.screens"))
    try:
        facilities.rename(facility, form.name.data, form.place.data, by=current_user.email)
    except Invalid as exc:
        flash(str(exc), "error")
    else:
        flash(f"施設「{facility.name}」を変更しました。", "info")
    return redirect(url_for("signage_admin.screens"))


@bp.post("/facilities/<int:facility_id>/delete")
@admin_required
def facility_delete(facility_id: int):
    """Delete a facility without live screens."""
    facility = _facility_or_404(facility_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = facility.name
    try:
        facilities.delete(facility, by=current_user.email)
    except Invalid as exc:
        flash(str(exc), "error")
    else:
        flash(f"施設「{name}」を削除しました。", "info")
    return redirect(url_for("signage_admin.screens"))


def _show_key(screen: Screen, key: str, message: str):
    url = facilities.screen_url(key)
    # Rendered once, never flashed: a flash would put the key into the (signed, not encrypted) session cookie.
    return render_template("signage/screen_key.html", screen=screen, url=url, qr=qr.data_uri(url), message=message)


@bp.post("/facilities/<int:facility_id>/screens")
@admin_required
def screen_add(facility_id: int):
    """Add a screen to a facility and show its URL once."""
    facility = _facility_or_404(facility_id)
    form = ScreenForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return redirect(url_for("signage_admin.screens"))
    try:
        screen, key = facilities.add_screen(facility, form.name.data, by=current_user.email)
    except Invalid as exc:
        flash(str(exc), "error")
        return redirect(url_for("signage_admin.screens"))
    return _show_key(screen, key, "画面を追加しました。")


@bp.post("/screens/<int:screen_id>/rekey")
@admin_required
def screen_rekey(screen_id: int):
    """Issue a new URL for a screen; the old one stops working at once."""
    screen = _screen_or_404(screen_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        key = facilities.new_key_for(screen, by=current_user.email)
    except Invalid as exc:
        flash(str(exc), "error")
        return redirect(url_for("signage_admin.screens"))
    return _show_key(screen, key, "URLを再発行しました。前のURLはもう使えません。")


@bp.post("/screens/<int:screen_id>/retire")
@admin_required
def screen_retire(screen_id: int):
    """Retire a screen: its URL stops working for good."""
    screen = _screen_or_404(screen_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        facilities.retire(screen, by=current_user.email)
    except Invalid as exc:
        flash(str(exc), "error")
    else:
        flash(f"画面「{screen.name}」を廃止しました。そのURLはもう表示されません。", "info")
    return redirect(url_for("signage_admin.screens"))
