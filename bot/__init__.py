"""Ashibetsu LINE FAQ bot: the Flask application factory."""
from __future__ import annotations

import logging
import os

from flask import Flask, jsonify

from bot import config
from bot.core import security
from bot.extensions import csrf, db, login_manager
from bot.urlnumbers import bounded_int


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    # Flask's own defaults exist for these keys, so set them outright (setdefault would be a no-op).
    app.config.update(
        # Session cookies: never readable from scripts, not sent cross-site, Secure behind https.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Form messages come from WTForms' own Japanese catalogue (bot/core/inputs.py), not from Flask-Babel.
        WTF_I18N_ENABLED=False,
        SESSION_COOKIE_SECURE=app.config["APP_ENV"] == "production",
    )
    if test_config:
        app.config.update(test_config)
    config.check_secret_key(app.config)
    config.check_public_base_url(app.config)
    from bot.core import tenancy
    tenancy.init_app(app)  # /<town>/… and the current town; inside ProxyFix, which must see the request first
    if app.config["TRUSTED_PROXIES"]:
        _trust_proxies(app, app.config["TRUSTED_PROXIES"])
    # Settings given explicitly (tests, deployments) win over the defaults for the database in use.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**_engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
                                               **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from bot import bodylimits
    bodylimits.init_app(app)  # each door's own body limit (MAX_CONTENT_LENGTH is the console default)
    db.init_app(app)
    _tune_sqlite(app)
    _check_idle_connections(app)
    _init_migrations(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    # Before any blueprint adds its rules: converters are bound when a rule is added.
    app.url_map.converters["int"] = bounded_int
    security.init_app(app)

    from bot import models  # noqa: F401  (register tables with the metadata)
    from bot.cli import register_cli
    from bot.line.client import LineGateway
    from bot.line.sender import ReplySender
    from bot.line.webhook import bp as webhook_bp
    from bot.simulator import bp as simulator_bp

    app.extensions["line_gateway"] = LineGateway.from_config(app.config)
    app.extensions["line_sender"] = ReplySender(app.extensions["line_gateway"], app.config["LINE_REPLY_THREADS"],
                                                app.config["LINE_REPLY_QUEUE"])
    app.register_blueprint(webhook_bp)
    csrf.exempt(webhook_bp)  # the LINE signature authenticates /callback
    app.register_blueprint(simulator_bp)
    from bot.notices import init_app as init_notices
    init_notices(app)
    from bot.forms import init_app as init_forms
    init_forms(app)
    from bot.admin import init_app as init_admin
    init_admin(app)
    from bot.towns.console import init_app as init_operator_console
    init_operator_console(app)  # /operator/: the platform operator's console (serves with no town)
    from bot.signage import init_app as init_signage
    init_signage(app)
    from bot.chat import init_app as init_chat
    init_chat(app)  # `flask chat open|close|purge` (before register_cli: --town like every town command)
    from bot.kpi import init_app as init_kpi
    init_kpi(app)  # /kpi, /kpi.atom and `flask kpi` (before register_cli: it gets --town like every town command)
    from bot.booking import init_app as init_booking
    init_booking(app)  # /booking… (from LINE) and `flask booking`
    from bot.town.settings import town_name
    app.context_processor(lambda: {"town_name": town_name})  # called by the templates that show it
    register_cli(app)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/favicon.ico")
    def favicon():
        """Serve the small icon browsers ask for on every page (a static file; no session, no cookie)."""
        return app.send_static_file("favicon.ico")

    _register_error_handlers(app)
    return app


def _trust_proxies(app: Flask, count: int) -> None:
    """Take the client's address, scheme and host from the X-Forwarded-* headers of that many proxies."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    # Only as many hops as there are proxies: a client could prepend any X-Forwarded-For it likes.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def _init_migrations(app: Flask) -> None:
    """Set up Flask-Migrate for the `flask` command line and tests, not for web processes."""
    # Importing Alembic costs about half a second of every web process's cold start, and only
    # `flask db …` (and the tests, which migrate their databases) use it.
    if not (os.environ.get("FLASK_RUN_FROM_CLI") or app.testing or app.config.get("MIGRATIONS_ENABLED")):
        return
    # Alembic logs at INFO on import and on every migration context; only `flask db …` should show that
    # (migrations/env.py turns it back on there), not `flask kb import`, the worker or the tests.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from flask_migrate import Migrate

    Migrate(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))


def _engine_options(uri: str) -> dict:
    """Return engine options suited to the database in use."""
    # Statement parameters hold residents' user ids and questions: never put them into error messages or logs.
    private = {"hide_parameters": True}
    if uri.startswith("sqlite"):
        # A busy timeout lets concurrent gunicorn workers wait for SQLite's write lock instead of failing.
        return {**private, "connect_args": {"timeout": 15}}
    # Fail fast when PostgreSQL is unreachable so the webhook answers 503 within LINE's budget. Idle
    # connections are checked on checkout by bot.dbpool, not every connection by pool_pre_ping.
    return {**private, "connect_args": {"connect_timeout": 3}}


def _tune_sqlite(app: Flask) -> None:
    """Put SQLite in WAL mode so webhook writes do not wait for an fsync or block readers."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL + synchronous=NORMAL: a commit survives a crash of the app, and only a power loss can
        # drop the last transactions; every commit no longer pays an fsync (~15 ms on a plain disk).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    with app.app_context():
        event.listen(db.engine, "connect", on_connect)


def _check_idle_connections(app: Flask) -> None:
    """Ping PostgreSQL connections that sat idle in the pool before handing them out."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return  # a file does not drop connections
    from bot.dbpool import ping_when_idle

    with app.app_context():
        ping_when_idle(db.engine, app.config["DB_PING_IDLE_SECONDS"])


def _register_error_handlers(app: Flask) -> None:
    """Answer JSON errors for API paths and plain pages elsewhere."""
    from werkzeug.exceptions import HTTPException

    from flask import render_template, request, url_for

    def handle(exc: HTTPException):
        if request.path.startswith(("/callback", "/api/")) or request.accept_mimetypes.best == "application/json":
            return jsonify(error=exc.name, message=exc.description), exc.code
        from bot.errorpages import home_path, page_text

        title, message = page_text(exc)
        return render_template("error.html", code=exc.code, title=title, message=message,
                               home=home_path()), exc.code

    def too_large(exc: HTTPException):
        from bot.bodylimits import limit_text

        limit = limit_text(request.max_content_length)
        if request.path.startswith(("/callback", "/api/")) or request.accept_mimetypes.best == "application/json":
            return jsonify(error=exc.name, message=f"The body is larger than {request.max_content_length} bytes."), 413
        # request.path is the town's own path: under /<slug>/ the prefix sits in script_root.
        from bot.errorpages import home_path

        back = (url_for("admin.transfer_page") if request.path.startswith("/admin/import")
                else (request.referrer or home_path()))
        return render_template("too_large.html", limit=limit, back=back), 413

    for code in (400, 404, 405, 500, 503):
        app.register_error_handler(code, handle)
    app.register_error_handler(413, too_large)


def warm_up(app: Flask) -> None:
    """Load the Sudachi dictionary and build the knowledge index before traffic arrives."""
    from bot.knowledge.index import knowledge
    from bot.matching.tokenize import analyze

    from bot.dbroles import check_app_role

    log = logging.getLogger(__name__)
    check_app_role(app)  # production refuses a role that row-level security would not bind (docs/operations.md)
    analyze("芦別市の給食費")  # loads the dictionary once, so forked workers share its pages
    with app.app_context():
        from bot.safety import current_rules

        current_rules()  # compiled here too: the first urgent message must not wait for it
    try:
        with app.app_context():
            from bot.core.tenancy import default_slug, default_town, use_town

            # The index is kept per town: build the default town's (the one unprefixed paths serve). With no
            # default town (DEFAULT_TOWN empty: many towns on one deployment) every town's index is built on its
            # first question, as a town dropped from the LRU (TOWN_CACHE_TOWNS) is rebuilt.
            town = default_town() if default_slug() else None
            if town is None:
                log.info("warm-up: no default town (DEFAULT_TOWN=%r); each town's index is built on its first "
                         "question", default_slug())
            else:
                with use_town(town):
                    knowledge()
    except Exception as exc:  # no database yet (first deploy): workers build the index on first use
        log.warning("warm-up skipped the knowledge index: %s", type(exc).__name__)
    finally:
        with app.app_context():
            # Connections opened here must not be inherited by forked workers and shared between them.
            db.engine.dispose()
