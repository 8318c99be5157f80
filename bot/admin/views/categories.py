"""Categories (admins only): the managed list entries choose from — add, rename, reorder."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from bot.core.access import admin_required
from bot.core.blueprint import bp
from bot.core.inputs import ActionForm
from bot.core.problems import Invalid
from bot.admin.inputs import CategoryForm
from bot.extensions import db
from bot.knowledge import categories
from bot.knowledge.editing import rename_category
from bot.models import Category, Entry


def _category_or_404(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        abort(404)
    return category


@bp.get("/categories")
@admin_required
def category_list():
    """Show the categories in menu order with how many entries use each."""
    rows = db.session.execute(select(Category, func.count(Entry.id)).outerjoin(Entry, Entry.category == Category.name)
                              .group_by(Category.id).order_by(Category.position, Category.id)).all()
    forms = [(c, n, CategoryForm(formdata=None, name=c.name, prefix=f"c{c.id}")) for c, n in rows]
    return render_template("admin/categories.html", rows=forms, add_form=CategoryForm(formdata=None),
                           action_form=ActionForm())


@bp.post("/categories")
@admin_required
def category_add():
    """Add a category at the end of the menu."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = categories.add(form.name.data, current_user.email)
        except Invalid as exc:
            flash(f"追加できませんでした：{exc}", "error")
        else:
            flash(f"カテゴリ「{category.name}」を追加しました。", "info")
    else:
        flash("追加できませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("admin.category_list"))


@bp.post("/categories/<int:category_id>/rename")
@admin_required
def category_rename(category_id: int):
    """Rename a category; its entries move with it."""
    category = _category_or_404(category_id)
    form = CategoryForm(prefix=f"c{category.id}")
    if form.validate_on_submit():
        old = category.name
        try:
            moved = rename_category(category, form.name.data, current_user.email)
        except Invalid as exc:
            flash(f"変更できませんでした：{exc}", "error")
        else:
            flash(f"「{old}」を「{category.name}」に変更しました（回答{moved}件）。", "info")
    else:
        flash("変更できませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("admin.category_list"))


@bp.post("/categories/<int:category_id>/up")
@admin_required
def category_up(category_id: int):
    """Move a category one place up in the menu."""
    return _move(category_id, -1)


@bp.post("/categories/<int:category_id>/down")
@admin_required
def category_down(category_id: int):
    """Move a category one place down in the menu."""
    return _move(category_id, 1)


def _move(category_id: int, step: int):
    category = _category_or_404(category_id)
    if ActionForm().validate_on_submit():
        categories.move(category, step, current_user.email)
    return redirect(url_for("admin.category_list"))
