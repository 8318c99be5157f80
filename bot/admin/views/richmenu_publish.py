"""The rich-menu publishing page: what LINE shows for each mode, 「LINEに公開」, and the 災害時モード switch."""
from __future__ import annotations

import logging

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from bot.admin.auth import admin_required
from bot.admin.blueprint import bp
from bot.richmenu import mode as modes
from bot.richmenu import publish as publisher
from bot.richmenu.forms import DisasterForm, PublishForm
from bot.richmenu.spec import MODES
from bot.town.settings import disaster_state

log = logging.getLogger(__name__)


def _definition_fingerprint(mode: str) -> str | None:
    """Return the fingerprint of the menu the definition builds now; None when it cannot be built."""
    try:
        return modes.build(mode).fingerprint()
    except Exception:  # a broken or missing definition: the page says so instead of failing
        log.exception("building the %s rich menu failed", mode)
        return None


@bp.get("/richmenu/publish")
@admin_required
def menu_publish_page():
    """Show each mode's menu at LINE, whether it matches the definition, and the disaster-mode switch."""
    state = disaster_state()
    active = "disaster" if state.on else "normal"
    rows = []
    for mode in MODES:
        publication = publisher.current(mode)
        fingerprint = _definition_fingerprint(mode)
        rows.append({"mode": mode, "label": publisher.MODE_LABELS[mode], "publication": publication,
                     "active": mode == active, "buildable": fingerprint is not None,
                     "up_to_date": publication is not None and publication.fingerprint == fingerprint})
    disaster_form = DisasterForm(switch="off" if state.on else "on")
    return render_template("admin/richmenu_publish.html", rows=rows, state=state, configured=publisher.configured(),
                           not_configured=publisher.NOT_CONFIGURED, publish_form=PublishForm(),
                           disaster_form=disaster_form)


@bp.post("/richmenu/publish")
@admin_required
def menu_publish():
    """Publish one mode's menu to LINE."""
    form = PublishForm()
    if not form.validate_on_submit():
        flash("公開するメニューを選んでください。", "error")
        return redirect(url_for("admin.menu_publish_page"))
    try:
        result = modes.publish_mode(form.mode.data, current_user.email)
    except publisher.PublishError as exc:
        flash(exc.message, "error")
    except Exception:
        log.exception("building the %s rich menu failed", form.mode.data)
        flash("メニューを作れなかったため、公開していません。メニューの定義を確認してください。", "error")
    else:
        flash(result.summary(), "info")
    return redirect(url_for("admin.menu_publish_page"))


@bp.post("/richmenu/mode")
@admin_required
def disaster_mode():
    """Switch disaster mode on or off with a reason."""
    form = DisasterForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error if isinstance(error, str) else "入力を確認してください。", "error")
        return redirect(url_for("admin.menu_publish_page"))
    try:
        result = modes.switch(form.switch.data == "on", form.reason.data, current_user.email)
    except modes.ModeError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.menu_publish_page"))
    flash("災害時モードに切り替えました。返信の先頭に案内が付き、あいさつが変わります。" if result.on
          else "災害時モードを終了し、通常に戻しました。", "info")
    flash(result.menu_message, "info" if result.menu_ok else "error")
    return redirect(url_for("admin.menu_publish_page"))


@bp.app_context_processor
def _disaster_banner():
    """Let the console layout ask whether disaster mode is on (only pages that show the banner ask)."""
    return {"disaster_now": disaster_state}
