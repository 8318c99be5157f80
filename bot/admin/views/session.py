"""Log in and out, change one's own password, and end one's sessions on other devices."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from bot.core.access import public, staff_required
from bot.admin.auth import next_url, safe_next, start_session
from bot.core.blueprint import bp
from bot.core.inputs import ActionForm
from bot.core.problems import Invalid
from bot.admin.inputs import LoginForm, PasswordForm
from bot.staff import accounts, sessions, throttle
from bot.staff.sessions import renew_session


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and log staff in, throttling repeated failures."""
    form = LoginForm()
    default = url_for("admin.overview")
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
        if current_user.is_authenticated:
            return redirect(next_url(form.next.data, default))
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if result.throttled:
            flash(throttle.PAUSED_MESSAGE, "error")
            return render_template("admin/login.html", form=form), 429
        if result.user is not None:
            start_session(result.user)
            if result.user.must_change_password:
                return redirect(url_for("admin.account"))
            return redirect(next_url(form.next.data, default))
        flash("メールアドレスかパスワードが違います。", "error")
        return render_template("admin/login.html", form=form), 401
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
@staff_required
def logout():
    """Log out on every device and return to the login page."""
    if ActionForm().validate_on_submit():
        accounts.log_out_everywhere(current_user)
        logout_user()
        flash("ログアウトしました。", "info")
    return redirect(url_for("admin.login"))


@bp.route("/account", methods=["GET", "POST"])
@staff_required
def account():
    """Let staff change their own password (first, when someone else set it)."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(current_user, form.current.data, form.new.data)
        except Invalid as exc:
            (form.current if "current" in exc.errors else form.new).errors.append(exc.message)
        else:
            renew_session(current_user)
            flash("パスワードを変更しました。ほかの端末のログインは終了しました。", "info")
            return redirect(url_for("admin.account"))
    return render_template("admin/account.html", form=form, others=ActionForm(formdata=None))


@bp.post("/account/sessions")
@staff_required
def end_other_sessions():
    """End the user's sessions on every other device, keeping this one."""
    if ActionForm().validate_on_submit():
        sessions.end_other_sessions(current_user)
        renew_session(current_user)
        flash("ほかの端末のログインをすべて終了しました。", "info")
    return redirect(url_for("admin.account"))
