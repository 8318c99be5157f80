"""The rich-menu publishing page: what LINE shows for each mode, what a publish would change, and the 災害時モード switch.

Every publish and switch shows the changes since that menu's last publish (tile by tile, every URL in full) and
posts the digest of that review; the service refuses a menu that changed after the page was shown.
"""
from __future__ import annotations

import logging

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from bot.core.access import admin_required
from bot.core.blueprint import bp
from bot.core.problems import Invalid
from bot.richmenu import mode as modes
from bot.richmenu import publish as publisher
from bot.richmenu.inputs import DisasterForm, PublishForm
from bot.richmenu.spec import MODES
from bot.town.settings import disaster_state

log = logging.getLogger(__name__)


def _page(status: int = 200, reason: str = ""):
    """Render the page with each mode's review as it stands now."""
    state = disaster_state()
    active = "disaster" if state.on else "normal"
    reviews = {mode: modes.review(mode) for mode in MODES}
    rows = []
    for mode in MODES:
        publication, review = reviews[mode].published, reviews[mode]
        rows.append({"mode": mode, "label": publisher.MODE_LABELS[mode], "publication": publication,
                     "active": mode == active, "buildable": review.spec is not None,
                     "up_to_date": publication is not None and review.spec is not None
                     and publication.fingerprint == review.spec.fingerprint()})
    target = reviews["normal" if state.on else "disaster"]  # the menu the switch would send
    disaster_form = DisasterForm(formdata=None, switch="off" if state.on else "on")
    return render_template("admin/richmenu_publish.html", rows=rows, reviews=reviews, target=target, state=state,
                           configured=publisher.configured(), not_configured=publisher.NOT_CONFIGURED,
                           publish_form=PublishForm(formdata=None), disaster_form=disaster_form,
                           reason=reason), status


@bp.get("/richmenu/publish")
@admin_required
def menu_publish_page():
    """Show each mode's menu at LINE, what publishing it would change, and the disaster-mode switch."""
    return _page()


def _changed(exc: modes.ReviewChanged, reason: str = ""):
    """Refuse a publish or switch whose menu changed after the page was shown; show the new changes."""
    log.info("rich-menu %s review no longer current: refused", exc.review.mode)
    flash(exc.message, "error")
    return _page(409, reason)


@bp.post("/richmenu/publish")
@admin_required
def menu_publish():
    """Publish one mode's menu to LINE, if it is the change the admin reviewed."""
    form = PublishForm()
    if not form.validate_on_submit():
        flash("公開するメニューを選んでください。", "error")
        return redirect(url_for("admin.menu_publish_page"))
    try:
        result = modes.publish_mode(form.mode.data, current_user.email, confirmed=form.digest.data)
    except modes.ReviewChanged as exc:
        return _changed(exc)
    except publisher.PublishError as exc:
        flash(exc.message, "error")
    except Exception:
        log.exception("publishing the %s rich menu failed", form.mode.data)
        flash("メニューを作れなかったため、公開していません。メニューの定義を確認してください。", "error")
    else:
        flash(result.summary(), "info")
    return redirect(url_for("admin.menu_publish_page"))


@bp.post("/richmenu/mode")
@admin_required
def disaster_mode():
    """Switch disaster mode on or off with a reason, if the menu it sends is the one the admin reviewed."""
    form = DisasterForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error if isinstance(error, str) else "入力を確認してください。", "error")
        return _page(400, form.reason.data or "")
    try:
        result = modes.switch(form.switch.data == "on", form.reason.data, current_user.email,
                              confirmed=form.digest.data)
    except modes.ReviewChanged as exc:
        return _changed(exc, form.reason.data or "")
    except Invalid as exc:
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
