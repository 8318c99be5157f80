"""The operator console (運用者) at /operator/: towns, their LINE channels and their first admins.

A platform page: it serves with no current town (bot.core.tenancy.platform_endpoint), so any query on a town's
data raises NoTownSelected; only creating a town's first admins enters that town, inside the service. Operators
have their own session cookie, scoped to /operator/, with the staff console's idle and lifetime limits.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from bot.core.labels import action_label
from bot.core.inputs import ActionForm, attach_errors
from bot.core.problems import Invalid
from bot.core.access import public
from bot.core.blueprint import console_headers
from bot.core.sessionclock import fresh_session, start_clocks, time_is_up
from bot.core.tenancy import TOWN_ENVIRON, platform_endpoint, platform_session
from bot.line.channels import MissingKey
from bot.models.tenancy import ACTIVE, SUSPENDED
from bot.publicurl import absolute, site_url
from bot.towns import operators, store
from bot.staff.throttle import PAUSED_MESSAGE
from bot.towns.inputs import ChannelForm, FirstAdminForm, OperatorLoginForm, TownForm

bp = Blueprint("operator", __name__, url_prefix="/operator")
F = TypeVar("F", bound=Callable)
COOKIE = "operator_session"
OPERATOR, LOGGED_IN_AT, SEEN_AT = "operator", "operator_login_at", "operator_seen_at"
ENDED = {
    "revoked": "ログアウトしたため、この画面のログインは終了しました。もう一度ログインしてください。",
    "idle": "しばらく操作がなかったため、ログアウトしました。もう一度ログインしてください。",
    "lifetime": "ログインしてから時間がたったため、ログアウトしました。もう一度ログインしてください。",
}
EXPIRED = "画面の有効期限が切れました。もう一度お試しください。"


# ---------------------------------------------------------------------------------------------------------------
# Who is signed in: the operator's own session, with the staff console's time limits.

def _end(reason: str) -> None:
    for key in (OPERATOR, LOGGED_IN_AT, SEEN_AT):
        session.pop(key, None)
    flash(ENDED[reason], "error")


def _signed_in():
    value = session.get(OPERATOR)
    if not value:
        return None
    operator = operators.load(value)
    ended = "revoked" if operator is None else time_is_up(LOGGED_IN_AT, SEEN_AT)
    if ended:
        _end(ended)
        return None
    return operator


@bp.before_request
def _bind_operator():
    if request.environ.get(TOWN_ENVIRON):
        abort(404)  # /<town>/operator/ is no town's page
    g.operator = _signed_in()


bp.after_request(console_headers)  # no-store, and the app-wide security headers, as the staff console


def operator_required(view: F) -> F:
    """Let only a signed-in operator through; anyone else gets the operator's login page."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("operator") is None:
            return redirect(url_for("operator.login"))
        return view(*args, **kwargs)

    wrapper.access = "operator"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _me() -> str:
    return g.operator.email


def _webhook(slug: str) -> str:
    return absolute(f"/{slug}/callback", site_url())


# ---------------------------------------------------------------------------------------------------------------
# Login and logout.

@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the operator's login form and sign them in, on the staff console's login limits."""
    if request.method == "GET" and g.operator is not None:
        return redirect(url_for("operator.towns"))
    form = OperatorLoginForm()
    if form.validate_on_submit():
        result = operators.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if result.throttled:
            flash(PAUSED_MESSAGE, "error")
            return render_template("towns/login.html", form=form), 429
        if result.operator is not None:
            fresh_session()  # nothing from before the login survives it (session fixation, an old CSRF secret)
            session[OPERATOR] = operators.session_id(result.operator)
            start_clocks(LOGGED_IN_AT, SEEN_AT)
            return redirect(url_for("operator.towns"))
        flash("メールアドレスかパスワードが違います。", "error")
        return render_template("towns/login.html", form=form), 401
    return render_template("towns/login.html", form=form)


@bp.post("/logout")
@operator_required
def logout():
    """Log out on every device."""
    if ActionForm().validate_on_submit():
        operators.log_out(g.operator)
        session.clear()
        flash("ログアウトしました。", "info")
    return redirect(url_for("operator.login"))


# ---------------------------------------------------------------------------------------------------------------
# Towns.

@bp.get("/")
@operator_required
def towns():
    """List every town: slug, name, status, whether its LINE channel is set, its webhook URL."""
    return render_template("towns/towns.html", towns=store.list_towns(), webhook=_webhook)


@bp.route("/towns/new", methods=["GET", "POST"])
@operator_required
def town_new():
    """Create a town (as `flask towns create` does)."""
    form = TownForm()
    if form.validate_on_submit():
        try:
            town = store.create_town(form.slug.data, form.name.data, actor=_me(),
                                     pack_dir=current_app.config["KNOWLEDGE_DIR"] if form.pack.data else None,
                                     channel_secret=form.line_channel_secret.data,
                                     access_token=form.line_access_token.data,
                                     bot_user_id=(form.line_bot_user_id.data or "").strip())
        except (Invalid, MissingKey) as exc:
            attach_errors(form, exc.errors if isinstance(exc, Invalid) else {"-": [str(exc)]})
        else:
            flash(f"町「{town.name}」を作成しました。次に、最初の管理者を作成してください。", "info")
            return redirect(url_for("operator.town", slug=town.slug))
    return render_template("towns/town_new.html", form=form), 400 if form.errors or form.form_errors else 200


def _town_or_404(slug: str) -> store.TownRow:
    try:
        return store.town_row(slug)
    except Invalid:
        abort(404)


def _town_page(slug: str, *, channel: ChannelForm | None = None, admin: FirstAdminForm | None = None,
               created: tuple[str, str] | None = None, status: int = 200):
    town = _town_or_404(slug)
    return render_template("towns/town.html", town=town, webhook=_webhook(town.slug),
                           login_url=absolute(f"/{town.slug}/admin/login", site_url()),
                           channel=channel or ChannelForm(formdata=None), admin=admin or FirstAdminForm(formdata=None),
                           created=created), status


def _refused(form, slug: str, name: str):
    """Return the answer to a town page's form that did not validate (None when it did): the page with the form's
    Japanese errors, or, for an expired CSRF token, back to the page with a message."""
    if form.validate_on_submit():
        return None
    if form.errors.get("csrf_token"):
        flash(EXPIRED, "error")
        return redirect(url_for("operator.town", slug=slug))
    return _town_page(slug, **{name: form}, status=400)


@bp.get("/towns/<slug>")
@operator_required
def town(slug: str):
    """One town: its status and webhook, rotating its LINE credentials, its first admins."""
    return _town_page(slug)


@bp.route("/towns/<slug>/suspend", methods=["GET", "POST"])
@operator_required
def town_suspend(slug: str):
    """Ask, then suspend a town: its webhook, console and public pages answer 503."""
    return _status(slug, SUSPENDED)


@bp.route("/towns/<slug>/resume", methods=["GET", "POST"])
@operator_required
def town_resume(slug: str):
    """Ask, then make a suspended town active again."""
    return _status(slug, ACTIVE)


def _status(slug: str, status: str):
    town = _town_or_404(slug)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(EXPIRED, "error")
            return redirect(url_for("operator.town", slug=town.slug))
        store.set_status(town.slug, status, actor=_me())
        flash(f"町「{town.name}」を{'停止' if status == SUSPENDED else '再開'}しました。", "info")
        return redirect(url_for("operator.town", slug=town.slug))
    return render_template("towns/confirm_status.html", town=town, status=status, form=ActionForm(formdata=None))


@bp.post("/towns/<slug>/channel")
@operator_required
def town_channel(slug: str):
    """Rotate a town's LINE credentials: what is left blank stays as it is."""
    town = _town_or_404(slug)
    form = ChannelForm()
    refused = _refused(form, town.slug, "channel")
    if refused:
        return refused
    try:
        store.set_channel(town.slug, actor=_me(), channel_secret=form.line_channel_secret.data or None,
                          access_token=form.line_access_token.data or None,
                          bot_user_id=(form.line_bot_user_id.data or "").strip() or None)
    except (Invalid, MissingKey) as exc:
        attach_errors(form, exc.errors if isinstance(exc, Invalid) else {"-": [str(exc)]})
        return _town_page(town.slug, channel=form, status=400)
    flash("LINEチャネルの設定を変更しました。", "info")
    return redirect(url_for("operator.town", slug=town.slug))


@bp.post("/towns/<slug>/admins")
@operator_required
def town_admin_create(slug: str):
    """Create one of a town's first admins; the generated password is shown on this response only."""
    town = _town_or_404(slug)
    form = FirstAdminForm()
    refused = _refused(form, town.slug, "admin")
    if refused:
        return refused
    try:
        created = store.create_first_admin(town.slug, form.email.data, actor=_me())
    except Invalid as exc:
        form.email.errors = [*form.email.errors, exc.message]
        return _town_page(town.slug, admin=form, status=400)
    return _town_page(town.slug, created=created)


@bp.get("/audit")
@operator_required
def audit():
    """What operators did, newest first (no personal data is ever recorded here)."""
    return render_template("towns/audit.html", rows=operators.recent_audit(), action_label=action_label)


def init_app(app: Flask) -> None:
    """Register the operator console: its endpoints serve with no town, under a session cookie of their own."""
    app.register_blueprint(bp)
    platform_session("/operator/", COOKIE)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("operator."):
            platform_endpoint(rule.endpoint)
