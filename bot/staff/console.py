"""Staff accounts (admins only): create, change role, disable, reset a password."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from bot.core.access import admin_required
from bot.core.blueprint import bp
from bot.core.inputs import ActionForm
from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import RoleGrant, User
from bot.staff import accounts, grants
from bot.staff.inputs import UserForm, UserUpdateForm
from bot.staff.sessions import renew_session


def _page(form: UserForm, generated: tuple[str, str] | None = None):
    rows = [(u, UserUpdateForm(formdata=None, role=u.role, active=u.active))
            for u in db.session.scalars(select(User).order_by(User.email))]
    # Shown once on this response only; never stored in plain text or flashed into the cookie.
    waiting = [(g, grants.decide_problem(db.session.get(RoleGrant, g.id), current_user))
               for g in grants.waiting_grants()]
    admins = sum(1 for u, _ in rows if u.is_admin and u.active)
    return render_template("staff/users.html", form=form, rows=rows, generated=generated,
                           reset=ActionForm(formdata=None), waiting=waiting, admins=admins)


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    """List staff accounts and create new ones."""
    form = UserForm()
    if form.validate_on_submit():
        password = form.password.data or accounts.generate_password()
        try:
            # Someone else chose this password, so its owner replaces it at the first login.
            user = accounts.create_user(form.email.data, form.role.data, password, current_user.email,
                                        must_change=True)
        except Invalid as exc:
            form.email.errors.append(str(exc))
        else:
            flash(f"{user.email} を作成しました。", "info")
            return _page(UserForm(formdata=None), (user.email, password) if not form.password.data else None)
    return _page(form)


@bp.post("/users/<int:user_id>")
@admin_required
def user_update(user_id: int):
    """Change a user's role or whether they may log in; their sessions end."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserUpdateForm()
    if form.validate_on_submit():
        try:
            accounts.update_user(user, form.role.data, bool(form.active.data), current_user.email)
        except Invalid as exc:
            flash(str(exc), "error")
        else:
            if user.id == current_user.id:
                renew_session(user)  # an admin changing their own role keeps this session, with the new role
            flash(f"{user.email} を更新しました。ログイン中の端末はログアウトされました。", "info")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_reset_password(user_id: int):
    """Give a user a new generated password, shown once; they must change it at the next login."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    if user.id == current_user.id:
        flash("自分のパスワードは「アカウント」の画面で変更してください。", "error")
        return redirect(url_for("admin.users"))
    password = accounts.reset_password(user, current_user.email)
    flash(f"{user.email} のパスワードを再発行しました。ログイン中の端末はログアウトされました。", "info")
    return _page(UserForm(formdata=None), (user.email, password))


@bp.post("/users/grants/<int:grant_id>/confirm")
@admin_required
def user_grant_confirm(grant_id: int):
    """Confirm an admin grant another admin made in the console (never one's own)."""
    return _decide(grant_id, "confirm")


@bp.post("/users/grants/<int:grant_id>/refuse")
@admin_required
def user_grant_refuse(grant_id: int):
    """Refuse an admin grant another admin made in the console: the account becomes an editor."""
    return _decide(grant_id, "refuse")


def _decide(grant_id: int, decision: str):
    if db.session.get(RoleGrant, grant_id) is None:
        abort(404)  # none in this town, as any other row's door answers
    if not ActionForm().validate_on_submit():
        flash("画面の有効期限が切れました。もう一度お試しください。", "error")
        return redirect(url_for("admin.users"))
    try:
        grant = (grants.confirm if decision == "confirm" else grants.refuse)(grant_id, current_user)
    except Invalid as exc:
        flash(str(exc), "error")
    else:
        email = db.session.get(User, grant.user_id).email
        flash(f"{email} の管理者の権限を確認しました。これからは、権限を付けた人とは別の人としてお知らせを承認できます。"
              if decision == "confirm" else f"{email} の管理者の権限付与を拒否しました。編集者に戻りました。", "info")
    return redirect(url_for("admin.users"))
