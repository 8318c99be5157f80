"""An existing single-town database upgrades into the default town with nothing lost (issue 21 §3, Upgrades).

The database is the one the previous release (c4924bc, before towns) made: its demo data, dumped as INSERTs by
tests/data/make_release_dump.py into tests/data/release-c4924bc-demo.sql. The test migrates a fresh database to that
release's head revision with the current migrations folder, loads the dump, upgrades to head and checks every row.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from bot import create_app
from bot.extensions import db
from bot.models.tenancy import DEFAULT_TOWN_ID, TownScoped
from tests.conftest import BACKENDS, base_config
from tests.support import events
from tests.support.console import login
from tests.support.linesign import body_of, sign

DUMP = Path(__file__).resolve().parents[1] / "data" / "release-c4924bc-demo.sql"
PREVIOUS_HEAD = "0012_login_limits"  # the last migration of release c4924bc (the one before 0022_towns)
PASSWORD = "demo horse battery staple"  # tests/data/make_release_dump.py
TOWN_NAME = "北海道芦別市"  # the release's 町の設定 name (the dump's town_settings)
DATABASE = "release_upgrade"


@dataclass(frozen=True)
class Database:
    """An empty database of the test's own, as a deployment has it."""

    app: str  # what the application connects with (on PostgreSQL: its own role, bound by row-level security)
    owner: str  # what migrations run as (on PostgreSQL: the tables' owner, bound by the forced policies too)
    reader: str  # what the test compares rows with: every town's rows (on PostgreSQL: the server's superuser)
    app_role: str = ""  # PostgreSQL: the role `flask db grant` gives its privileges to


@pytest.fixture(params=BACKENDS)
def empty_db(request, tmp_path, fake_line):
    """Yield an empty database of the test's own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'release.sqlite3'}"
        yield Database(url, url, url)
        return
    # Owned by the session's owner role, made and dropped by the server's superuser (see tests/notices/test_migration.py).
    pg = request.getfixturevalue("pg_database")
    name = f"{pg.database}_release"
    admin = create_engine(pg.admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {name} OWNER {pg.owner_role}"))
    yield Database(pg.url_of(pg.app, name), pg.url_of(pg.owner, name), pg.url_of(pg.admin, name), pg.app_role)
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def statements(path: Path):
    """Yield the dump's statements (one a line, unless a text holds a line break)."""
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if not pending and (line.startswith("--") or not line.strip()):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    assert not pending.strip(), "the dump ends inside a statement"


def load_dump(connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")  # the release stored UTC without a zone
    for statement in statements(DUMP):
        connection.exec_driver_sql(statement)
    if postgres:  # the ids were given: move each table's sequence past them, as a live database's would be
        for table in inspect(connection).get_table_names():
            columns = {c["name"] for c in inspect(connection).get_columns(table)}
            if "id" in columns and connection.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"coalesce((SELECT max(id) FROM \"{table}\"), 0) + 1, false)"))


def snapshot(connection, tables: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Return every row of every table, by the columns the release had, sorted."""
    rows = {}
    for table, columns in tables.items():
        names = ", ".join(f'"{c}"' for c in columns)
        result = connection.exec_driver_sql(f'SELECT {names} FROM "{table}"').all()
        rows[table] = sorted((tuple(_plain(v) for v in row) for row in result), key=repr)
    return rows


def _plain(value):
    """JSON comes back parsed on PostgreSQL and as text on SQLite: compare what it means."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return value


def test_the_previous_releases_demo_database_upgrades_into_the_default_town(empty_db, fake_line):
    config = {**base_config(empty_db.app, fake_line), "DATABASE_MIGRATION_URL": empty_db.owner}
    config["TOWN_NAME"] = "設定にない名前"  # the stored 町の設定 name wins over the environment's
    app = create_app(config)
    owner = create_engine(empty_db.owner)
    reader = create_engine(empty_db.reader)
    try:
        with app.app_context():
            upgrade(revision=PREVIOUS_HEAD)  # as the owner (DATABASE_MIGRATION_URL), as a deployment upgrades
            with owner.begin() as connection:
                load_dump(connection)
            with reader.connect() as connection:
                inspector = inspect(connection)
                tables = {t: [c["name"] for c in inspector.get_columns(t)]
                          for t in inspector.get_table_names() if t != "alembic_version"}
                before = snapshot(connection, tables)
            assert "towns" not in tables
            filled = {t for t, rows in before.items() if rows}
            # The dump is the release's demo month: residents, questions, the inbox, notices, staff, forms, signage.
            assert {"followers", "question_log", "inbox_resolutions", "notices", "notice_batches", "users",
                    "audit_log", "form_submissions", "signage_screens", "town_settings", "entries"} <= filled
            assert len(before["question_log"]) > 100 and len(before["followers"]) == 48

            upgrade()
            if empty_db.app_role:  # PostgreSQL: the application's role gets its privileges, as docs/operations.md says
                result = app.test_cli_runner().invoke(args=["db", "grant", empty_db.app_role])
                assert result.exit_code == 0, result.output

            # Read by a role no policy binds (the superuser on PostgreSQL): rows outside the default town would show.
            with reader.connect() as connection:
                after = snapshot(connection, tables)
                for table in tables:
                    assert after[table] == before[table], f"{table}: rows changed in the upgrade"
                town_tables = {m.local_table.name for m in db.Model.registry.mappers
                               if issubclass(m.class_, TownScoped)}
                assert set(tables) - town_tables == {"rate_limits", "notice_worker_leases"}  # the platform's tables
                for table in town_tables:
                    outside = connection.exec_driver_sql(
                        f'SELECT count(*) FROM "{table}" WHERE town_id IS NULL OR town_id <> {DEFAULT_TOWN_ID}'
                    ).scalar()
                    assert outside == 0, table
                towns = connection.exec_driver_sql("SELECT id, slug, name, status FROM towns").all()
                assert [tuple(t) for t in towns] == [(DEFAULT_TOWN_ID, "default", TOWN_NAME, "active")]
            db.session.remove()
            db.engine.dispose()
    finally:
        app.extensions["line_sender"].close()
        owner.dispose()
        reader.dispose()

    served = create_app(base_config(empty_db.app, fake_line))  # the application's own role from here
    try:
        _serves_the_default_town(served, fake_line)
    finally:
        served.extensions["line_sender"].close()
        with served.app_context():
            db.session.remove()
            db.engine.dispose()


def _serves_the_default_town(app, fake_line) -> None:
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests
    from bot.safety import warm

    warm(app.config["KNOWLEDGE_DIR"])
    client = app.test_client()
    # A demo staff member logs in with the release's password and sees the release's data.
    response = login(client, "demo-admin@example.invalid", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200
    notices = client.get("/admin/notices/").get_data(as_text=True)
    assert "出産・子育ての支援についてのご案内" in notices
    # Every page the prefix /default/ serves is the same town.
    assert "市民会館の休館日のお知らせ" in client.get("/default/notices").get_data(as_text=True)

    # A resident's question is answered from the release's entries.
    fake_line.reset()
    body = body_of([events.text("給食費って無料になったの？", user="Udemo" + "0" * 27 + "1")])
    response = app.test_client().post("/callback", data=body, headers={
        "Content-Type": "application/json", "X-Line-Signature": sign(body, app.config["LINE_CHANNEL_SECRET"])})
    assert response.status_code == 200
    assert app.extensions["line_sender"].drain(10)
    replies = fake_line.calls("/v2/bot/message/reply")
    assert len(replies) == 1 and "給食" in json.dumps(replies[0].body, ensure_ascii=False)
    with app.app_context():
        logged = db.session.execute(text("SELECT count(*), min(town_id), max(town_id) FROM question_log")).one()
        assert tuple(logged)[1:] == (DEFAULT_TOWN_ID, DEFAULT_TOWN_ID)

    # The release's form and its notice feed.
    page = app.test_client().get("/forms/supporters-club")
    assert page.status_code == 200 and "応援団" in page.get_data(as_text=True)
    feed = app.test_client().get("/notices.atom")
    assert feed.status_code == 200 and "市民会館の休館日のお知らせ" in feed.get_data(as_text=True)
    assert "出産・子育ての支援" not in feed.get_data(as_text=True)  # LINE only, as before


def test_the_dump_holds_only_made_up_people():
    """Demo data only: LINE ids of the demo's shape (never a real one's), staff and residents at example.invalid."""
    dump = DUMP.read_text(encoding="utf-8")
    assert not re.findall(r"\bU[0-9a-f]{32}\b", dump)  # a real LINE user id's shape
    assert set(re.findall(r"\bU[0-9a-z]{32}\b", dump)) == set(re.findall(r"\bUdemo[0-9]{28}\b", dump)) != set()
    emails = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", dump))
    assert emails and all(e.endswith("@example.invalid") for e in emails), emails
