"""Shared fixtures: the app on SQLite and PostgreSQL, the fake LINE API, signed webhooks."""
from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest
from flask import appcontext_pushed
from sqlalchemy import text

from bot import create_app
from bot.extensions import db
from bot.models.tenancy import DEFAULT_TOWN_ID
from tests.support.fakeline import FakeLine
from tests.support.linesign import body_of, sign
from tests.support.pgserver import PgDatabase, PgServer, provision, unprovision

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-channel-secret"
TOKEN = "test-access-token"
# In CI every backend .ci/run installs must run: a missing one is a failure, not a skip.
STRICT = bool(os.environ.get("CI"))
BACKENDS = [b for b in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def _unavailable(what: str, why: str):
    message = f"{what} is not available ({why})"
    if STRICT:
        pytest.fail(message + "; CI must install it", pytrace=False)
    pytest.skip(message)


def shared_path(*parts: str) -> Path:
    """Return a file from ../shared (or SHARED_DIR); skip, or fail in CI, when it is not there."""
    path = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")).joinpath(*parts)
    if not path.exists():
        _unavailable(str(path), "the shared folder beside the repository is missing")
    return path


def base_config(uri: str, fake: FakeLine) -> dict:
    """Return the settings every test app starts from."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret-key-long-enough-for-production",
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_ENDPOINT": fake.url,
        "LINE_API_TIMEOUT": 0.5,
        "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "SIMULATOR_ENABLED": True,
        # Staff accounts in tests: a fast hash (production always uses scrypt; see bot/models/accounts.py).
        "TEST_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def _migrate(uri: str, fake: FakeLine, owner: str = "") -> None:
    from flask_migrate import upgrade

    app = create_app({**base_config(uri, fake), "DATABASE_MIGRATION_URL": owner})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    app.extensions["line_sender"].close()


@pytest.fixture(scope="session")
def fake_line():
    fake = FakeLine().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, fake_line) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrate(f"sqlite:///{path}", fake_line)
    return path


# The session's PostgreSQL database (pg_database): its owner truncates between tests (the app's role cannot).
_PG: list[PgDatabase] = []


@pytest.fixture(scope="session")
def pg_database(fake_line) -> PgDatabase:
    """The session's PostgreSQL database, as a deployment has it: migrated by its owner, the app's role granted
    its privileges with `flask db grant` (row-level security binds it; tests/app/test_row_level_security.py).

    TEST_POSTGRES_URL: a superuser's URL on an existing server instead of a private throwaway cluster; the
    session creates its own database and two roles there, and drops them at the end."""
    admin = os.environ.get("TEST_POSTGRES_URL")
    server = None
    if not admin:
        try:
            server = PgServer()
            admin = server.start()
        except Exception as exc:  # no binaries, or they would not start
            _unavailable("PostgreSQL", str(exc))
    pg = provision(admin)
    _migrate(pg.app, fake_line, owner=pg.owner)
    _grant(pg, fake_line)
    _PG.append(pg)
    yield pg
    _PG.remove(pg)
    if server:
        server.stop()
    else:
        unprovision(pg)


@pytest.fixture(scope="session")
def pg_url(pg_database) -> str:
    """The URL the application connects with: its own role, not the owner."""
    return pg_database.app


def _grant(pg: PgDatabase, fake: FakeLine) -> None:
    app = create_app({**base_config(pg.app, fake), "DATABASE_MIGRATION_URL": pg.owner})
    result = app.test_cli_runner().invoke(args=["db", "grant", pg.app_role])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
    app.extensions["line_sender"].close()


def owner_config(uri: str) -> dict:
    """Return the migration setting an app on uri needs (the session's owner, on its PostgreSQL database)."""
    return {"DATABASE_MIGRATION_URL": _PG[0].owner} if _PG and uri == _PG[0].app else {}


def _truncate_all() -> None:
    """Empty every table of the session's PostgreSQL database but the default town, as its owner: TRUNCATE is the
    one statement row-level security does not filter, so the app's role has no right to it."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    owner = create_engine(_PG[0].owner, poolclass=NullPool)
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables if t.name != "towns")
    try:
        with owner.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # The default town the migration made stays, as it was; towns a test created go.
            connection.execute(text("DELETE FROM towns WHERE id <> 1"))
            connection.execute(text("UPDATE towns SET status = 'active', line_channel_secret = '', "
                                    "line_access_token = '', line_bot_user_id = '' WHERE id = 1"))
            connection.execute(text("SELECT setval(pg_get_serial_sequence('towns', 'id'), 1)"))
    finally:
        owner.dispose()


def _in_default_town(_app, **_extra) -> None:
    from flask import g

    g.setdefault("town_id", DEFAULT_TOWN_ID)


# Code a test calls directly (services, in `with app.app_context()`) works for the default town, as a command
# without --town does; requests bind their own town from the path. Tests of the fail-closed rule use the
# `no_default_town` fixture (tests/app/test_tenancy.py).
appcontext_pushed.connect(_in_default_town)


@pytest.fixture
def no_default_town():
    """App contexts pushed during the test start with no town, as in production."""
    appcontext_pushed.disconnect(_in_default_town)
    yield
    appcontext_pushed.connect(_in_default_town)


def make_app(request, backend: str, tmp_path, fake_line):
    """Yield a fresh app on a migrated database of this backend, and clean up after (the `app` fixture's body,
    shared with fixtures that choose the backend themselves: tests/browser/conftest.py)."""
    if backend == "sqlite":
        path = tmp_path / "bot.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        uri = f"sqlite:///{path}"
    else:
        uri = request.getfixturevalue("pg_url")
    fake_line.reset()
    app = create_app({**base_config(uri, fake_line), **owner_config(uri)})
    app.config["BACKEND"] = backend
    yield app
    app.extensions["line_sender"].close()
    with app.app_context():
        db.session.remove()
        if backend == "postgresql":
            _truncate_all()
        db.engine.dispose()
    fake_line.reset()


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path, fake_line):
    yield from make_app(request, request.param, tmp_path, fake_line)


_PACKS: dict[str, object] = {}


def _bundled_pack(directory: str):
    """Return a fresh copy of the pack in directory, read and validated once per test session."""
    from bot.pack import read_pack

    if directory not in _PACKS:
        _PACKS[directory] = read_pack(directory)
    return copy.deepcopy(_PACKS[directory])


@pytest.fixture
def loaded_app(app):
    """Return the app with the bundled knowledge pack imported."""
    from bot.pack import import_pack
    from bot.safety import warm

    with app.app_context():
        import_pack(_bundled_pack(app.config["KNOWLEDGE_DIR"]))
    warm(app.config["KNOWLEDGE_DIR"])  # the safety detector, compiled once per process as warm_up() does
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def webhook(app):
    """Return a function that posts events to /callback, signed as LINE signs them."""
    test_client = app.test_client()

    def post(events=None, *, raw: bytes | None = None, signature: str | None = None, secret: str = SECRET,
             drain: bool = True):
        body = raw if raw is not None else body_of(events or [])
        headers = {"Content-Type": "application/json"}
        if signature is not False:
            headers["X-Line-Signature"] = signature if signature is not None else sign(body, secret)
        response = test_client.post("/callback", data=body, headers=headers)
        if drain:
            # Replies go out from the sender's threads: wait for them, as a resident would.
            assert app.extensions["line_sender"].drain(10), "replies still queued after 10 s"
        return response

    return post
