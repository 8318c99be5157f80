"""PostgreSQL's row-level security (migration 0031): every town table shows and takes only the current town's rows,
for the application's role, whatever SQL it runs; the ORM's own filter is the first wall, this is the second.

PostgreSQL only: every test here runs on the session's PostgreSQL (a missing server fails in CI, as everywhere)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool

from bot import create_app
from bot.core.tenancy import use_town
from bot.dbroles import RoleRefused, app_role_problems, check_app_role, grant_app_role
from bot.extensions import db
from bot.models.tenancy import DEFAULT_TOWN_ID, TownScoped
from bot.staff.accounts import create_user
from bot.towns.store import create_town
from tests.conftest import base_config
from tests.forms.staff_support import make_version, submit
from tests.notices.support import FAST, add_followers, scheduled_notice
from tests.support import events
from tests.support.linesign import body_of, sign

pytestmark = pytest.mark.parametrize("app", ["postgresql"], indirect=True)

OTHER, OTHER_SECRET = "biei", "other-secret"
PLATFORM = {"towns", "rate_limits", "notice_worker_leases", "operators", "operator_audit", "alembic_version"}
POLICY = "town_isolation"


def catalog_town_tables(connection) -> set[str]:
    return set(connection.execute(text(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_name = 'town_id'")).scalars())


def model_town_tables() -> set[str]:
    return {m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TownScoped)}


def rls_problems(connection, tables: set[str]) -> list[str]:
    """Return what is missing on each table: row-level security enabled, forced, and the town policy."""
    problems = []
    for table in sorted(tables):
        row = connection.execute(text(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, p.qual, p.with_check, p.cmd, p.permissive "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() "
            "LEFT JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname "
            "AND p.policyname = :policy WHERE c.relname = :table"), {"table": table, "policy": POLICY}).first()
        if row is None:
            problems.append(f"{table}: no such table")
            continue
        enabled, forced, qual, check, cmd, permissive = row
        if not enabled:
            problems.append(f"{table}: row-level security is not enabled")
        if not forced:
            problems.append(f"{table}: row-level security is not forced (the owner would bypass it)")
        setting = "current_setting('app.town_id'::text, true)"
        if not (qual and check and setting in qual and setting in check and "town_id" in qual
                and cmd == "ALL" and permissive == "PERMISSIVE"):
            problems.append(f"{table}: no {POLICY} policy comparing town_id with app.town_id "
                            f"(USING {qual!r}, WITH CHECK {check!r}, {cmd})")
    return problems


def owner_engine(app):
    return create_engine(app.config["DATABASE_MIGRATION_URL"], poolclass=NullPool)


# --- the catalog: every town table has the policy ------------------------------------------------------------------

def test_every_town_table_has_row_level_security_forced_and_the_town_policy(app):
    with app.app_context(), db.engine.connect() as connection:
        catalog = catalog_town_tables(connection)
        models = model_town_tables()
        assert catalog == models  # the database and the models name the same town tables
        assert len(catalog) >= 30 and {"followers", "question_log", "notices", "form_submissions",
                                        "users"} <= catalog
        assert rls_problems(connection, catalog | models) == []
        # The platform's tables have no town and no policy.
        platform = set(connection.execute(text(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relrowsecurity")).scalars())
        assert platform == PLATFORM


def test_the_check_fails_for_a_town_table_without_the_policy(app):
    """A table made with a town_id and no policy (a migration that forgot it) is named, so the check can fail."""
    owner = owner_engine(app)
    try:
        with owner.begin() as connection:
            connection.execute(text("CREATE TABLE rls_probe (id serial PRIMARY KEY, town_id integer NOT NULL)"))
        with app.app_context(), db.engine.connect() as connection:
            tables = catalog_town_tables(connection)
            assert "rls_probe" in tables and "rls_probe" not in model_town_tables()
            problems = rls_problems(connection, tables)
        assert problems == ["rls_probe: row-level security is not enabled",
                            "rls_probe: row-level security is not forced (the owner would bypass it)",
                            "rls_probe: no town_isolation policy comparing town_id with app.town_id "
                            "(USING None, WITH CHECK None, None)"]
    finally:
        with owner.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS rls_probe"))
        owner.dispose()


# --- the roles -------------------------------------------------------------------------------------------------------

def test_the_app_role_owns_nothing_and_cannot_bypass_the_policies(app):
    with app.app_context(), db.engine.connect() as connection:
        user, superuser, bypass = connection.execute(text(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        assert (superuser, bypass) == (False, False)
        owners = set(connection.execute(text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema()")).scalars())
        assert user not in owners and len(owners) == 1
        assert not connection.execute(text("SELECT pg_has_role(current_user, :owner, 'MEMBER')"),
                                      {"owner": owners.pop()}).scalar()
        assert app_role_problems(connection) == []
        # TRUNCATE is the one statement the policies do not filter: the app's role has no right to it, nor to
        # change a table (ALTER TABLE … DISABLE ROW LEVEL SECURITY needs the owner).
        truncatable = connection.execute(text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND has_table_privilege(c.oid, 'TRUNCATE')")
        ).scalar()
        assert truncatable == 0
        for statements in (["TRUNCATE followers"], ["ALTER TABLE followers DISABLE ROW LEVEL SECURITY"],
                           ["DROP POLICY town_isolation ON followers"],
                           ["SET LOCAL row_security = off", "SELECT * FROM users"]):
            with pytest.raises(ProgrammingError):
                with connection.begin_nested():
                    for statement in statements:
                        connection.exec_driver_sql(statement)
        # It reads which revision the database is at, and never writes it.
        assert connection.execute(text(
            "SELECT has_table_privilege('alembic_version', 'SELECT'), "
            "has_table_privilege('alembic_version', 'UPDATE')")).one() == (True, False)


def test_production_refuses_to_start_as_the_owner_and_starts_as_the_app_role(app, fake_line):
    production = {"APP_ENV": "production", "PUBLIC_BASE_URL": "https://bot.example.jp/"}
    as_owner = create_app({**base_config(app.config["DATABASE_MIGRATION_URL"], fake_line), **production})
    try:
        with as_owner.app_context(), db.engine.connect() as connection:
            problems = app_role_problems(connection)
        assert len(problems) == 1 and "owns" in problems[0]
        with pytest.raises(RuntimeError, match="row-level security does not bind it"):
            check_app_role(as_owner)
        as_owner.config["APP_ENV"] = "development"  # elsewhere: a warning, the same problems
        assert check_app_role(as_owner) == problems
    finally:
        as_owner.extensions["line_sender"].close()
        with as_owner.app_context():
            db.engine.dispose()
    as_app = create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"], fake_line), **production})
    try:
        assert check_app_role(as_app) == []
    finally:
        as_app.extensions["line_sender"].close()
        with as_app.app_context():
            db.engine.dispose()


def test_grant_refuses_the_owner_an_unknown_role_and_sqlite(app, runner, tmp_path):
    with app.app_context():
        owner = db.session.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'users'")).scalar()
        me = db.session.execute(text("SELECT current_user")).scalar()
        db.session.rollback()
        with pytest.raises(RoleRefused, match="テーブルの所有者"):
            grant_app_role(owner)
        with pytest.raises(RoleRefused, match="ありません"):
            grant_app_role("no_such_role_here")
        # Granting again is harmless: the same statements, the same privileges.
        statements = grant_app_role(me)
        assert statements[-1] == f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {me}"
    result = runner.invoke(args=["db", "grant", owner])
    assert result.exit_code == 1 and "row-level security" in result.output
    sqlite = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    with sqlite.app_context(), pytest.raises(RoleRefused, match="PostgreSQL"):
        grant_app_role("anyone")


# --- the rows: raw SQL as the app's role sees and touches its own town only ------------------------------------------

def _seed_town(app) -> None:
    """Rows in a town: staff (users, grants, audit), followers and subscriptions, a notice, an application."""
    create_user("admin@example.invalid", "admin", "correct horse battery staple")
    add_followers(range(3), topics=("kosodate",))
    scheduled_notice(title="出産応援ギフトのお知らせ")
    submit(make_version(), "R-0001")


def _ask(app, prefix: str, secret: str, message: str) -> None:
    raw = body_of([events.text(message)])
    response = app.test_client().post(f"{prefix}/callback", data=raw, headers={
        "Content-Type": "application/json", "X-Line-Signature": sign(raw, secret)})
    assert response.status_code == 200, (prefix, response.get_data(as_text=True))
    assert app.extensions["line_sender"].drain(10)


@pytest.fixture
def seeded(loaded_app):
    """Two towns with the bundled pack and rows in most of their tables; return (app, other town's id)."""
    loaded_app.config.update(FAST)
    with loaded_app.app_context():
        other = create_town(OTHER, "美瑛町", actor="test", pack_dir=loaded_app.config["KNOWLEDGE_DIR"],
                            channel_secret=OTHER_SECRET, access_token="other-token").id
        _seed_town(loaded_app)
        with use_town(other):
            _seed_town(loaded_app)
    # A question in each town through the webhook (the hot path: followers, question_log, processed_events).
    _ask(loaded_app, "", "test-channel-secret", "給食費は無料ですか")
    _ask(loaded_app, f"/{OTHER}", OTHER_SECRET, "給食費は無料ですか")  # signed with the town's own channel secret
    return loaded_app, other


def _counts_by_town(app, tables: list[str]) -> dict[str, dict[int, int]]:
    """Return each table's rows per town, read by a superuser (who alone sees every town)."""
    from tests.conftest import _PG

    admin = create_engine(_PG[0].url_of(_PG[0].admin, _PG[0].database), poolclass=NullPool)
    try:
        with admin.connect() as connection:
            return {t: dict(connection.execute(text(f'SELECT town_id, count(*) FROM "{t}" GROUP BY town_id')).all())
                    for t in tables}
    finally:
        admin.dispose()


def test_raw_sql_as_the_app_role_sees_and_changes_only_the_current_towns_rows(seeded):
    app, other = seeded
    with app.app_context():
        tables = sorted(catalog_town_tables(db.session.connection()))
        db.session.rollback()
    truth = _counts_by_town(app, tables)
    in_both = [t for t in tables if truth[t].get(DEFAULT_TOWN_ID) and truth[t].get(other)]
    # The seed reaches the tables that matter most, in both towns.
    assert {"followers", "question_log", "notices", "form_submissions", "form_versions", "users", "role_grants",
            "audit_log", "entries", "notice_subscriptions", "processed_events"} <= set(in_both)
    assert len(in_both) >= 15
    for town, theirs in ((DEFAULT_TOWN_ID, other), (other, DEFAULT_TOWN_ID)):
        with app.app_context(), use_town(town):
            session = db.session
            for table in tables:
                seen = dict(session.execute(text(f'SELECT town_id, count(*) FROM "{table}" GROUP BY town_id')).all())
                assert seen == ({town: truth[table][town]} if truth[table].get(town) else {}), table
                # Another town's rows, asked for by their town: none to see, none to change.
                where = {"theirs": theirs}
                assert session.execute(text(f'SELECT count(*) FROM "{table}" WHERE town_id = :theirs'),
                                       where).scalar() == 0, table
                assert session.execute(text(f'UPDATE "{table}" SET town_id = town_id WHERE town_id = :theirs'),
                                       where).rowcount == 0, table
                assert session.execute(text(f'DELETE FROM "{table}" WHERE town_id = :theirs'),
                                       where).rowcount == 0, table
            for table in in_both:
                columns = session.execute(text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND table_name = :t ORDER BY ordinal_position"), {"t": table}).scalars().all()
                listed = ", ".join(f'"{c}"' for c in columns)
                copied = ", ".join(":theirs" if c == "town_id" else f'"{c}"' for c in columns)
                # A copy of one of this town's rows, written into the other town: refused by the policy.
                with pytest.raises(ProgrammingError, match="row-level security"):
                    with session.begin_nested():
                        session.execute(text(f'INSERT INTO "{table}" ({listed}) SELECT {copied} FROM "{table}" '
                                             "LIMIT 1"), {"theirs": theirs})
                # Moving this town's rows into the other town: refused too.
                with pytest.raises(ProgrammingError, match="row-level security"):
                    with session.begin_nested():
                        session.execute(text(f'UPDATE "{table}" SET town_id = :theirs'), {"theirs": theirs})
            session.rollback()
    assert _counts_by_town(app, tables) == truth  # nothing was lost or moved


def test_with_no_town_set_the_app_role_sees_no_rows(seeded, no_default_town):
    app, _ = seeded
    with app.app_context():
        assert db.session.execute(text("SELECT current_setting('app.town_id', true)")).scalar() == ""
        tables = sorted(catalog_town_tables(db.session.connection()))
        for table in tables:
            assert db.session.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() == 0, table
        with pytest.raises(ProgrammingError, match="row-level security"):
            db.session.execute(text("INSERT INTO town_settings (town_id, key, value) VALUES (1, 'phone', 'x')"))
        db.session.rollback()
        # A connection that never set the town (raw, outside the session) sees nothing either.
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM followers")).scalar() == 0
        # The platform's tables need no town.
        assert db.session.execute(text("SELECT count(*) FROM towns")).scalar() == 2


def test_the_policy_lets_the_town_indexes_work(seeded):
    """The policy compares town_id with a STABLE expression: the (town_id, …) indexes serve the hot path."""
    app, _ = seeded
    with app.app_context():
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.session.execute(text(
            "EXPLAIN SELECT id FROM followers WHERE line_user_id = :u"), {"u": "U" + "1" * 32}).scalars())
        db.session.rollback()
    assert "Index" in plan and "town_id" in plan and "line_user_id" in plan, plan


# --- the migration goes down and up again -----------------------------------------------------------------------------

def test_the_migration_downgrades_to_no_policy_and_upgrades_again(app, fake_line, request):
    from flask_migrate import downgrade, upgrade

    pg = request.getfixturevalue("pg_database")
    name = f"{pg.database}_rls"
    admin = create_engine(pg.admin, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {name} OWNER {pg.owner_role}"))
    own = create_app(base_config(pg.url_of(pg.owner, name), fake_line))
    try:
        with own.app_context():
            upgrade()
            tables = catalog_town_tables(db.session.connection())
            assert rls_problems(db.session.connection(), tables) == []
            db.session.commit()
            downgrade(revision="0030_operators")
            connection = db.session.connection()
            assert connection.execute(text("SELECT count(*) FROM pg_policies")).scalar() == 0
            assert connection.execute(text(
                "SELECT count(*) FROM pg_class WHERE relrowsecurity OR relforcerowsecurity")).scalar() == 0
            # Without the policies the owner sees every town's rows again (what 0031 took away from it).
            connection.execute(text("INSERT INTO towns (id, slug, name, status, line_channel_secret, "
                                    "line_access_token, line_bot_user_id, pack_dir, created_at, updated_at) VALUES "
                                    "(2, 'biei', '美瑛町', 'active', '', '', '', '', now(), now())"))
            connection.execute(text("INSERT INTO town_settings (town_id, key, value, updated_by, updated_at) "
                                    "VALUES (2, 'phone', 'x', 'test', now())"))
            assert connection.execute(text("SELECT count(*) FROM town_settings")).scalar() == 1
            db.session.commit()
            upgrade()
            connection = db.session.connection()
            assert rls_problems(connection, tables) == []
            assert connection.execute(text("SELECT count(*) FROM town_settings")).scalar() == 0  # town 1's view
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    finally:
        own.extensions["line_sender"].close()
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
