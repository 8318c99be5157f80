"""町の設定 (admins only): the town's name, switchboard, hours, website and disaster-mode texts."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from bot.core.access import admin_required
from bot.core.blueprint import bp
from bot.core.labels import actor_label
from bot.core.inputs import ActionForm
from bot.town.inputs import TownForm
from bot.extensions import db
from bot.town import settings


def _render(form: TownForm):
    return render_template("admin/town.html", form=form, defaults=settings.defaults(),
                           stored=settings.stored_keys(), disaster=settings.disaster_state(),
                           reset=ActionForm(formdata=None), actor_label=actor_label)


@bp.route("/town", methods=["GET", "POST"])
@admin_required
def town_settings():
    """Show the town's settings and save the ones an admin changed."""
    form = TownForm()
    if form.validate_on_submit():
        changed = settings.save({key: getattr(form, key).data for key in settings.DEFAULTS}, current_user.email)
        db.session.commit()
        flash(f"町の設定を保存しました（{len(changed)}項目）。数秒のうちに返信に反映されます。" if changed
              else "変更はありませんでした。", "info")
        return redirect(url_for("admin.town_settings"))
    if not form.is_submitted():
        town = settings.current_town()
        for key in settings.DEFAULTS:
            getattr(form, key).data = getattr(town, key)
    return _render(form)


@bp.post("/town/reset/<key>")
@admin_required
def town_reset(key: str):
    """Put one setting back to the environment's default."""
    if key not in settings.DEFAULTS:
        abort(404)
    if not ActionForm().validate_on_submit():
        flash("初期値に戻せませんでした。画面を開き直してから、もう一度お試しください。", "error")
    elif settings.reset(key, current_user.email):
        db.session.commit()
        flash("初期値に戻しました。", "info")
    return redirect(url_for("admin.town_settings"))
