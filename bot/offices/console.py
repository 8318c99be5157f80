"""Offices (担当課): list, create, edit and history; answers name them and show their phone."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from bot.core.access import staff_required
from bot.core.blueprint import bp
from bot.core.revisions import history as revision_history
from bot.core.inputs import attach_errors
from bot.core.problems import Invalid
from bot.extensions import db
from bot.core.revisions import revision_diffs
from bot.core.labels import REVISION_REASONS, actor_label
from bot.models import Office
from bot.models.offices import OFFICE_FIELDS
from bot.offices.inputs import OfficeForm
from bot.offices.pack import LABELS
from bot.offices.store import (
    OfficeConflict, all_offices, entries_naming, entry_counts, save_office
)


@bp.get("/offices")
@staff_required
def office_list():
    """List the offices, flagging those whose phone staff have not filled in yet."""
    return render_template("offices/offices.html", offices=all_offices(), used=entry_counts())


@bp.route("/offices/new", methods=["GET", "POST"])
@staff_required
def office_new():
    """Add an office entries can name."""
    form = OfficeForm()
    if form.validate_on_submit():
        try:
            office, _ = save_office(None, form.office_data(), current_user.email)
        except Invalid as exc:
            attach_errors(form, exc.errors)
        else:
            flash(f"担当課「{office.name}」を追加しました。", "info")
            return redirect(url_for("admin.office_edit", office_id=office.id))
    return render_template("offices/office_edit.html", form=form, office=None, entries=[])


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@staff_required
def office_edit(office_id: int):
    """Edit an office; a save based on an outdated version is refused and the text kept."""
    office = db.get_or_404(Office, office_id)
    form = OfficeForm()
    if request.method == "GET":
        form.fill(office.content())
        form.lock_version.data = str(office.lock_version)
    elif form.validate_on_submit():
        expected = int(form.lock_version.data) if (form.lock_version.data or "").isdigit() else None
        try:
            _, changed = save_office(office, form.office_data(), current_user.email, expected_version=expected)
        except Invalid as exc:
            attach_errors(form, exc.errors)
        except OfficeConflict:
            db.session.refresh(office)
            form.lock_version.data = str(office.lock_version)
            form.form_errors.append("保存できませんでした。あなたが編集している間に、別の担当者がこの担当課を保存しました。"
                                    "あなたの入力は下に残っています。「変更履歴」で最新の内容を確かめてから、もう一度保存してください。")
        else:
            flash("保存しました。住民への回答に反映されました。" if changed else "変更はありませんでした。", "info")
            return redirect(url_for("admin.office_edit", office_id=office.id))
    form.key.data = office.key
    return render_template("offices/office_edit.html", form=form, office=office, entries=entries_naming(office.key))


@bp.get("/offices/<int:office_id>/history")
@staff_required
def office_history(office_id: int):
    """Show every revision of an office with what changed."""
    office = db.get_or_404(Office, office_id)
    revisions = revision_history(office)
    diffs = revision_diffs([(str(r.number), r.data) for r in revisions], OFFICE_FIELDS, LABELS)
    return render_template("offices/office_history.html", office=office, rows=list(zip(revisions, diffs))[::-1],
                           reasons=REVISION_REASONS, actor_label=actor_label)
