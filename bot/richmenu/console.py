"""The console's rich-menu pages: the editor and the publishing page with the 災害時モード switch.

The editor: each mode's layout, chat-bar text and tiles, a live preview, and a designed image.

The publishing page: what LINE shows for each mode, what a publish would change, and the switch. Every publish
and switch shows the changes since that menu's last publish (tile by tile, every URL in full) and posts the
digest of that review; the service refuses a menu that changed after the page was shown.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from bot.bodylimits import body_limit, limit_text
from bot.core.access import admin_required, staff_required
from bot.core.problems import FORM, Invalid, Problem
from bot.core.textrules import CONTROL_OR_BREAK
from bot.core.blueprint import bp
from bot.knowledge import categories
from bot.richmenu import mode as modes
from bot.richmenu import publish as publisher
from bot.richmenu import render, store
from bot.richmenu.build import rendered_image
from bot.richmenu.definition import ACTION_LABELS, LAYOUTS, MAX_SUB_LABEL, MODE_LABELS
from bot.richmenu.inputs import (
    MAX_TILES, DisasterForm, PublishForm, RichMenuActionForm, RichMenuForm, RichMenuImageForm, definition_of, form_data
)
from bot.richmenu.image import check_image
from bot.richmenu.spec import MODES
from bot.town.settings import disaster_state

log = logging.getLogger(__name__)

_WHERE = re.compile(r"^tiles\[(\d+)\]\.(?:action\.)?(label|sub|category|text|uri|type)$")
EMPTY: dict[str, Any] = {"layout": "large-2x3", "chat_bar_text": "", "tiles": []}


def _mode(value: Any) -> str:
    mode = str(value or "normal")
    if mode not in MODES:
        abort(404)
    return mode


def _field_of(where: str) -> str | None:
    match = _WHERE.match(where)
    if match:
        return f"t{match[1]}_{'kind' if match[2] == 'type' else match[2]}"
    return where if where in ("layout", "chat_bar_text") else None


def _labelled(form: RichMenuForm, name: str, error: str) -> str:
    match = re.match(r"^t(\d+)_", name)
    where = f"ボタン{match[1]}の" if match else ""
    return f"{where}{form[name].label.text}：{error}" if name in form else error


def _form(mode: str, definition: dict[str, Any], formdata: Any = None) -> RichMenuForm:
    form = RichMenuForm(formdata=formdata, data={**form_data(definition), "mode": mode})
    names = categories.names()
    for n in range(1, MAX_TILES + 1):
        field = getattr(form, f"t{n}_category")
        current = field.data or ""
        field.choices = [SelectChoice("", "（選んでください）")] + [SelectChoice(c, c) for c in names] + (
            [SelectChoice(current, f"{current}（カテゴリ一覧にありません）")] if current and current not in names else [])
    return form


def _preview_url(mode: str, definition: dict[str, Any]) -> str:
    params: dict[str, str] = {"mode": mode, "layout": definition.get("layout", "")}
    for n, tile in enumerate(definition.get("tiles", []), start=1):
        params[f"t{n}_label"] = tile.get("label", "")
        if tile.get("sub"):
            params[f"t{n}_sub"] = tile["sub"]
    return url_for("admin.richmenu_preview", **params)


def _describe(tile: dict[str, Any]) -> str:
    action = tile.get("action", {})
    kind = action.get("type", "")
    detail = {"topic": action.get("category"), "message": action.get("text"), "uri": action.get("uri")}.get(kind)
    return ACTION_LABELS.get(kind, "（動作が未設定）") + (f"：{detail}" if detail else "")


def _stored(mode: str, fallback: dict[str, Any]) -> store.StoredMenu:
    try:
        return store.load(mode)
    except Invalid:  # the pack's file is broken or missing: the editor still opens to fix it
        return store.StoredMenu(mode, fallback)


def _page(mode: str, form: RichMenuForm, definition: dict[str, Any], problems: list[Problem] = (),
          status: int = 200):
    stored = _stored(mode, definition)
    layout = LAYOUTS.get(definition.get("layout", "")) or LAYOUTS.get(stored.definition.get("layout", "")) \
        or LAYOUTS["large-2x3"]
    return render_template(
        "richmenu/editor.html", mode=mode, modes=MODE_LABELS, form=form, stored=stored, layout=layout,
        layouts={name: {"rows": shape.rows, "cols": shape.cols, "width": shape.width, "height": shape.height,
                        "cells": shape.cells} for name, shape in LAYOUTS.items()},
        bounds=list(zip(layout.bounds(), definition.get("tiles", []))), describe=_describe,
        preview_url=_preview_url(mode, definition), problems=problems, max_tiles=MAX_TILES,
        image_form=RichMenuImageForm(formdata=None, mode=mode),
        action_form=RichMenuActionForm(formdata=None, mode=mode),
        upload_limit=limit_text(current_app.config["MAX_RICHMENU_UPLOAD_BYTES"]), sub_max=MAX_SUB_LABEL), status


@bp.get("/richmenu")
@staff_required
def richmenu():
    """Show one mode's menu in the editor with its preview."""
    mode = _mode(request.args.get("mode"))
    try:
        definition = store.load(mode).definition
    except Invalid as exc:
        flash("リッチメニューの定義を読めません：" + "、".join(p.message for p in exc.problems), "error")
        definition = EMPTY
    return _page(mode, _form(mode, definition), definition)


@bp.post("/richmenu")
@staff_required
def richmenu_save():
    """Save a menu's definition, or only show its preview (the 「プレビュー」 button)."""
    mode = _mode(request.form.get("mode"))
    form = _form(mode, {}, request.form)
    definition = definition_of(form.data)
    if not form.validate_on_submit():
        problems = [Problem(FORM, name, _labelled(form, name, error)) for name, errors in form.errors.items()
                    for error in errors]
        return _page(mode, form, definition, problems or [Problem(FORM, "-", "送信内容が正しくありません。")], 400)
    try:
        clean = store.check(definition)
    except Invalid as exc:
        for problem in exc.problems:
            name = _field_of(problem.field)
            if name and name in form:
                form[name].errors = [*form[name].errors, problem.message]
        return _page(mode, form, definition, exc.problems, 400 if request.form.get("do") != "preview" else 200)
    if request.form.get("do") == "preview":
        flash("プレビューを更新しました（まだ保存していません）。", "info")
        return _page(mode, form, clean)
    dropped = store.save(mode, clean, current_user.email)
    flash(f"{MODE_LABELS[mode]}を保存しました。" + ("形を変えたので、登録していた画像は削除しました。" if dropped else "")
          + "LINE に出すには「公開」が必要です。", "info")
    return redirect(url_for("admin.richmenu", mode=mode))


def _preview_menu(args: Any, mode: str) -> dict[str, Any]:
    layout = LAYOUTS.get(args.get("layout", ""))
    if layout is None:
        abort(Response("メニューの形が正しくありません。", status=400, mimetype="text/plain"))
    tiles = []
    for n in range(1, layout.cells + 1):
        # Drawn as typed so staff see their text, cut to what the saved menu allows so one preview stays cheap.
        label = CONTROL_OR_BREAK.sub("", args.get(f"t{n}_label", ""))[:layout.max_label]
        sub = CONTROL_OR_BREAK.sub("", args.get(f"t{n}_sub", ""))[:MAX_SUB_LABEL]
        tiles.append({"label": label, "sub": sub} if sub else {"label": label})
    return {"layout": layout.name, "chat_bar_text": "", "tiles": tiles}


@bp.get("/richmenu/preview.png")
@staff_required
def richmenu_preview():
    """Return the menu image for the given layout and labels: the uploaded image if the layout matches it."""
    mode = _mode(request.args.get("mode"))
    stored = _stored(mode, EMPTY)
    if "layout" not in request.args and stored.definition.get("layout") in LAYOUTS:
        menu = stored.definition
    else:
        menu = _preview_menu(request.args, mode)
    if stored.image is not None and menu["layout"] == stored.definition["layout"]:
        return Response(stored.image, mimetype=stored.image_type or "image/png")
    try:
        png = rendered_image(menu, mode)
    except render.RenderError as exc:
        return Response(str(exc), status=503, mimetype="text/plain")
    return Response(png, mimetype="image/png")


@bp.post("/richmenu/image")
@staff_required
@body_limit("MAX_RICHMENU_UPLOAD_BYTES")
def richmenu_upload():
    """Use a designed image for a menu after checking it against LINE's rules."""
    mode = _mode(request.form.get("mode"))
    form = RichMenuImageForm()
    if not form.validate_on_submit():
        flash("画像を登録できませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect(url_for("admin.richmenu", mode=mode))
    data = form.image.data.read(current_app.config["MAX_RICHMENU_UPLOAD_BYTES"] + 1)
    layout = LAYOUTS.get(_stored(mode, EMPTY).definition.get("layout", ""), LAYOUTS["large-2x3"])
    try:
        image_type = check_image(data, layout)
    except Invalid as exc:
        flash("画像を登録できませんでした：" + " ".join(p.message for p in exc.problems), "error")
        return redirect(url_for("admin.richmenu", mode=mode))
    store.set_image(mode, data, image_type, current_user.email)
    flash(f"{MODE_LABELS[mode]}の画像を登録しました。", "info")
    return redirect(url_for("admin.richmenu", mode=mode))


@bp.post("/richmenu/image/delete")
@staff_required
def richmenu_image_delete():
    """Drop a menu's uploaded image so it is drawn from its labels again."""
    mode = _mode(request.form.get("mode"))
    if RichMenuActionForm().validate_on_submit() and _stored(mode, EMPTY).image is not None:
        store.clear_image(mode, current_user.email)
        flash("画像を削除しました。ボタンの文字から自動で作った画像を使います。", "info")
    return redirect(url_for("admin.richmenu", mode=mode))


# -- publishing and the 災害時モード switch ------------------------------------------------------------

def _publish_page(status: int = 200, reason: str = ""):
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
    return render_template("richmenu/publish.html", rows=rows, reviews=reviews, target=target, state=state,
                           configured=publisher.configured(), not_configured=publisher.NOT_CONFIGURED,
                           publish_form=PublishForm(formdata=None), disaster_form=disaster_form,
                           reason=reason), status


@bp.get("/richmenu/publish")
@admin_required
def menu_publish_page():
    """Show each mode's menu at LINE, what publishing it would change, and the disaster-mode switch."""
    return _publish_page()


def _changed(exc: modes.ReviewChanged, reason: str = ""):
    """Refuse a publish or switch whose menu changed after the page was shown; show the new changes."""
    log.info("rich-menu %s review no longer current: refused", exc.review.mode)
    flash(exc.message, "error")
    return _publish_page(409, reason)


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
        return _publish_page(400, form.reason.data or "")
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
