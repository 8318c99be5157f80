"""管理画面 → 避難所: the list with its three status buttons, and add / edit. Admins and editors alike:
whoever is on duty in a disaster must be able to open a shelter from a phone."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from bot.core.access import staff_required
from bot.core.labels import actor_label
from bot.core.blueprint import bp
from bot.core.inputs import attach_errors
from bot.extensions import db
from bot.models import Shelter
from bot.models.shelters import STATUSES
from bot.shelters.inputs import ShelterForm, StatusForm
from bot.shelters.pack import KINDS, kinds_text
from bot.core.problems import Invalid
from bot.shelters.store import ShelterConflict, all_shelters, save_shelter, set_status
from bot.town.settings import disaster_state


@bp.get("/shelters")
@staff_required
def shelter_list():
    """List the shelters, each with its three status buttons (未開設 / 開設 / 満)."""
    return render_template("shelters/shelters.html", shelters=all_shelters(), statuses=STATUSES,
                           status_form=StatusForm(formdata=None), kinds_text=kinds_text,
                           disaster=disaster_state(), actor_label=actor_label)


@bp.post("/shelters/<int:shelter_id>/status")
@staff_required
def shelter_status(shelter_id: int):
    """Set one shelter's status (the second tap: the first chose the button, the browser asks to confirm)."""
    shelter = db.get_or_404(Shelter, shelter_id)
    form = StatusForm()
    if not form.validate_on_submit():
        reasons = [m for messages in form.errors.values() for m in messages]
        flash("状況を変更できませんでした。" + ("、".join(reasons) if reasons else "画面を開き直してから、もう一度お試しください。"),
              "error")
    else:
        changed = set_status(shelter, form.status.data, current_user.email)
        label = STATUSES[form.status.data]
        flash(f"「{shelter.name}」を「{label}」にしました。LINEの返信とサイネージに反映されます。" if changed
              else f"「{shelter.name}」はすでに「{label}」です。", "info")
    return redirect(url_for("admin.shelter_list") + f"#shelter-{shelter_id}")


@bp.route("/shelters/new", methods=["GET", "POST"])
@staff_required
def shelter_new():
    """Add a shelter (it starts 未開設)."""
    form = ShelterForm()
    if form.validate_on_submit():
        try:
            shelter, _ = save_shelter(None, form.shelter_data(), current_user.email)
        except Invalid as exc:
            attach_errors(form, exc.errors)
        else:
            flash(f"避難所「{shelter.name}」を追加しました（状況は「未開設」です）。", "info")
            return redirect(url_for("admin.shelter_list") + f"#shelter-{shelter.id}")
    return render_template("shelters/shelter_edit.html", form=form, shelter=None, kinds=KINDS)


@bp.route("/shelters/<int:shelter_id>", methods=["GET", "POST"])
@staff_required
def shelter_edit(shelter_id: int):
    """Edit a shelter's name, address and the rest; a save from an outdated page is refused, the text kept."""
    shelter = db.get_or_404(Shelter, shelter_id)
    form = ShelterForm()
    if request.method == "GET":
        form.fill(shelter.content())
        form.lock_version.data = str(shelter.lock_version)
    elif form.validate_on_submit():
        expected = int(form.lock_version.data) if (form.lock_version.data or "").isdigit() else None
        try:
            _, changed = save_shelter(shelter, form.shelter_data(), current_user.email, expected_version=expected)
        except Invalid as exc:
            attach_errors(form, exc.errors)
        except ShelterConflict:
            db.session.refresh(shelter)
            form.lock_version.data = str(shelter.lock_version)
            form.form_errors.append("保存できませんでした。あなたが編集している間に、別の担当者がこの避難所を保存しました。"
                                    "あなたの入力は下に残っています。内容を確かめてから、もう一度保存してください。")
        else:
            flash("保存しました。" if changed else "変更はありませんでした。", "info")
            return redirect(url_for("admin.shelter_edit", shelter_id=shelter.id))
    form.key.data = shelter.key
    return render_template("shelters/shelter_edit.html", form=form, shelter=shelter, kinds=KINDS)
