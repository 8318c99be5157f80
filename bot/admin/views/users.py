"""Staff accounts (admins only): create, change role, disable."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from bot.admin import accounts
from bot.admin.auth import admin_required
from bot.admin.blueprint import bp
from bot.admin.forms import UserForm, UserUpdateForm
from bot.extensions import db
from bot.models import User


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    """List staff accounts and create new ones."""
    form = UserForm()
    generated = None
    if form.validate_on_submit():
        password = form.password.data or accounts.generate_password()
        try:
            user = accounts.create_user(form.email.data, form.role.data, password, current_user.email)
        except accounts.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(f"{user.email} を作成しました。", "info")
            # Shown once on this response only; never stored in plain text or flashed into the cookie.
            generated = (user.email, password) if not form.password.data else None
            form = UserForm(formdata=None)
    rows = [(u, UserUpdateForm(formdata=None, role=u.role, active=u.active))
            for u in db.session.scalars(select(User).order_by(User.email))]
    return render_template("admin/users.html", form=form, rows=rows, generated=generated)


@bp.post("/users/<int:user_id>")
@admin_required
def user_update(user_id: int):
    """Change a user's role or whether they may log in."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserUpdateForm()
    if form.validate_on_submit():
        try:
            accounts.update_user(user, form.role.data, bool(form.active.data), current_user.email)
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{user.email} を更新しました。", "info")
    return redirect(url_for("admin.users"))
