"""The 公開準備 page: open review notes, placeholder pages and contacts, and marking a note resolved."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from bot.core.access import staff_required
from bot.core.blueprint import bp
from bot.core.inputs import ActionForm
from bot.admin.readiness import counts, launch_readiness, offices_without_phone, town_items
from bot.extensions import db
from bot.knowledge.editing import resolve_review_note
from bot.models import Entry
from bot.shelters.store import disaster_todo


@bp.get("/readiness")
@staff_required
def readiness():
    """List every entry with what is still missing before residents rely on it."""
    rows = launch_readiness()
    done, total = counts(rows)
    return render_template("admin/readiness.html", rows=rows, done=done, total=total, action_form=ActionForm(),
                           offices=offices_without_phone(), town=town_items(), disaster_todo=disaster_todo())


@bp.post("/readiness/<int:entry_id>/resolve")
@staff_required
def readiness_resolve(entry_id: int):
    """Mark an entry's review note as dealt with."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        abort(404)
    if ActionForm().validate_on_submit():
        if resolve_review_note(entry, current_user.email):
            flash(f"「{entry.title}」の確認メモを対応済みにしました（変更履歴に残ります）。", "info")
        else:
            flash("確認メモはすでに対応済みです。", "info")
    return redirect(url_for("admin.readiness"))
