"""Log in and out, and change one's own password."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from bot import audit
from bot.admin import accounts
from bot.admin.auth import public, safe_next, staff_required
from bot.admin.blueprint import bp
from bot.admin.forms import ActionForm, LoginForm, PasswordForm
from bot.extensions import db


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and log staff in, throttling repeated failures."""
    form = LoginForm()
    default = url_for("admin.overview")
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data, default))
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if result.throttled:
            flash("ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからお試しください。", "error")
            return render_template("admin/login.html", form=form), 429
        if result.user is not None:
            login_user(result.user)
            return redirect(safe_next(form.next.data, default))
        flash("メールアドレスかパスワードが違います。", "error")
        return render_template("admin/login.html", form=form), 401
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
@staff_required
def logout():
    """Log out and return to the login page."""
    if ActionForm().validate_on_submit():
        audit.record(current_user.email, "logout", "user", current_user.id, "ログアウト")
        db.session.commit()
        logout_user()
        flash("ログアウトしました。", "info")
    return redirect(url_for("admin.login"))


@bp.route("/account", methods=["GET", "POST"])
@staff_required
def account():
    """Let staff change their own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("今のパスワードが違います。")
        else:
            try:
                accounts.set_password(current_user, form.new.data, current_user.email)
            except accounts.AccountError as exc:
                form.new.errors.append(str(exc))
            else:
                flash("パスワードを変更しました。", "info")
                return redirect(url_for("admin.account"))
    return render_template("admin/account.html", form=form)
