"""PostgreSQL's two roles: the owner that migrates, and the application's role that row-level security binds.

- **Migrations** run as the tables' owner: `DATABASE_MIGRATION_URL` when it is set (`flask db …` and code that
  migrates use it), else `DATABASE_URL` (SQLite, and a development database).
- **The application** connects with `DATABASE_URL` as a role that owns nothing and has no BYPASSRLS: the policies
  of migration 0031 then hold for every statement it runs (docs/security.md, "Row-level security").
- `grant_app_role(role)` (`flask db grant ROLE`) gives that role what it needs on the tables the owner has and
  will create, and nothing more: rows (SELECT, INSERT, UPDATE, DELETE), sequences (USAGE, SELECT); the migration
  table only to read.
- `app_role_problems()` says what is wrong with the role the app connected as (superuser, BYPASSRLS, owner of
  the tables or a member of their owner); `check_app_role(app)` refuses to start in production with one of them
  and warns elsewhere.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from bot.extensions import db

log = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"


def migration_engine(app: Flask | None = None) -> Engine:
    """Return the engine migrations run on: DATABASE_MIGRATION_URL's (not pooled), or the app's own engine."""
    app = app or current_app
    url = app.config.get("DATABASE_MIGRATION_URL") or ""
    if not url:
        return db.engine
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    # Only what does not depend on the pool (a migration holds one connection, then lets it go).
    kept = {k: v for k, v in options.items() if k in ("hide_parameters", "connect_args")}
    return create_engine(url, poolclass=NullPool, **kept)


def grant_statements(role: str, schema: str, quote) -> list[str]:
    """Return the statements that give `role` the app's privileges in `schema` (names quoted with `quote`)."""
    name, schema = quote(role), quote(schema)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
        # Tables and sequences the owner makes later (the next migrations) come with the same privileges.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {name}",
    ]


class RoleRefused(ValueError):
    """The role named for the application cannot be it (it does not exist, or it would bypass the policies)."""


def grant_app_role(role: str, engine: Engine | None = None) -> list[str]:
    """Grant the application's privileges to `role`, as the tables' owner (the migration URL); return the
    statements run. Raise RoleRefused when the role is unknown, the owner itself, or bypasses row-level security."""
    engine = engine or migration_engine()
    try:
        with engine.begin() as connection:
            if connection.dialect.name != "postgresql":
                raise RoleRefused("ロールの付与は PostgreSQL だけの操作です（SQLite にはロールがありません）。"
                                  " Roles exist on PostgreSQL only.")
            row = connection.execute(text(
                "SELECT rolsuper, rolbypassrls, pg_has_role(:role, current_user, 'MEMBER') FROM pg_roles "
                "WHERE rolname = :role"), {"role": role}).first()
            if row is None:
                raise RoleRefused(f"ロール {role!r} はありません（先に CREATE ROLE で作ってください）。"
                                  f" Role {role!r} does not exist: create it first.")
            if row[0] or row[1] or row[2]:
                raise RoleRefused(f"ロール {role!r} はアプリ用にできません（スーパーユーザー、BYPASSRLS、またはテーブルの"
                                  f"所有者です）。 Role {role!r} is a superuser, has BYPASSRLS or is the tables' owner: "
                                  "the application's role must be bound by row-level security.")
            quote = connection.dialect.identifier_preparer.quote
            schema = connection.execute(text("SELECT current_schema()")).scalar()
            statements = grant_statements(role, schema, quote)
            exists = connection.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": VERSION_TABLE}).scalar()
            if exists:  # the app reads which revision the database is at (bot.dbcheck); it never writes it
                statements.append(f"REVOKE INSERT, UPDATE, DELETE ON {VERSION_TABLE} FROM {quote(role)}")
            for statement in statements:
                connection.execute(text(statement))
    finally:
        if engine is not db.engine:
            engine.dispose()
    return statements


def app_role_problems(connection: Connection) -> list[str]:
    """Return what makes the connected role unfit to run the application on PostgreSQL (empty: fit)."""
    if connection.dialect.name != "postgresql":
        return []
    row = connection.execute(text(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    owned = connection.execute(text(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
        "AND pg_has_role(current_user, tableowner, 'MEMBER')")).scalar()
    problems = []
    if row[1]:
        problems.append(f"the database role {row[0]!r} is a superuser")
    if row[2]:
        problems.append(f"the database role {row[0]!r} has BYPASSRLS")
    if owned:
        problems.append(f"the database role {row[0]!r} owns {owned} table(s) (or is a member of their owner)")
    return problems


def check_app_role(app: Flask) -> list[str]:
    """Refuse to run in production (RuntimeError) when the app's role escapes row-level security; warn elsewhere.

    Return the problems found. A database that cannot be reached is left to the first request (it answers 503)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return []
    try:
        with app.app_context(), db.engine.connect() as connection:
            problems = app_role_problems(connection)
    except DBAPIError as exc:
        log.warning("could not check the database role: %s", type(exc).__name__)
        return []
    if not problems:
        return []
    message = ("; ".join(problems) + ": row-level security does not bind it. Connect DATABASE_URL as the "
               "application's role and migrate with DATABASE_MIGRATION_URL (docs/operations.md, \"Database roles\").")
    if app.config["APP_ENV"] == "production":
        raise RuntimeError(message + " DATABASE_URL はアプリ用のロール（所有者でもスーパーユーザーでもないもの）にしてください。")
    log.warning("%s", message)
    return problems
