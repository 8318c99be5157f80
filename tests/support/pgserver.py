"""Start a throwaway PostgreSQL cluster for the test session (or use TEST_POSTGRES_URL), with the two roles a
deployment has: the tables' owner (migrations) and the application's role (bound by row-level security)."""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def find_bin(name: str) -> str | None:
    """Return the path of a PostgreSQL server binary, newest version first."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A private PostgreSQL cluster in a temporary directory, with trust auth on 127.0.0.1."""

    def __init__(self, durable: bool = False) -> None:
        # Tests trade durability for speed; benchmarks ask for PostgreSQL's defaults (fsync on every commit).
        self.durable = durable
        self.initdb = find_bin("initdb")
        self.pg_ctl = find_bin("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.root = tempfile.mkdtemp(prefix="bot-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        # PostgreSQL refuses to run as root; run it as the postgres user the Debian package creates.
        self.run_as = "postgres" if os.geteuid() == 0 else None
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> str:
        """Initialise and start the cluster; return its SQLAlchemy URL."""
        self._run(self.initdb, "-D", self.data, "--auth=trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=100"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(self.pg_ctl, "-D", self.data, "-o", opts, "-w", "-l", os.path.join(self.root, "log"), "start")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the cluster and delete its files."""
        try:
            self._run(self.pg_ctl, "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@dataclass(frozen=True)
class PgDatabase:
    """A database of its own on a server, owned by a role of its own, with an application role beside it."""

    admin: str  # a superuser's URL (the server's): creates and drops the roles and the database
    owner: str  # the tables' owner (migrations), nothing more
    app: str  # the application's role: no ownership, no BYPASSRLS (privileges come from `flask db grant`)
    owner_role: str
    app_role: str
    database: str

    def url_of(self, url: str, database: str) -> str:
        """Return url (one of the three) pointing at another database of the server."""
        return make_url(url).set(database=database).render_as_string(hide_password=False)


def provision(admin_url: str, prefix: str = "bot") -> PgDatabase:
    """Create an owner role, an application role and a database the owner owns; names are unique per call, so
    sessions sharing a server (TEST_POSTGRES_URL, pytest-xdist) never meet."""
    suffix = secrets.token_hex(4)
    owner, app, database = f"{prefix}_owner_{suffix}", f"{prefix}_app_{suffix}", f"{prefix}_{suffix}"
    owner_password, app_password = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f"CREATE ROLE {owner} LOGIN NOCREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE "
                           f"PASSWORD '{owner_password}'"))
            c.execute(text(f"CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
                           f"PASSWORD '{app_password}'"))
            c.execute(text(f"CREATE DATABASE {database} OWNER {owner}"))
    finally:
        admin.dispose()
    url = make_url(admin_url)
    in_db = create_engine(url.set(database=database), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with in_db.connect() as c:
            # PostgreSQL 15 has this by default; older servers let every role create tables in public.
            c.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    finally:
        in_db.dispose()
    return PgDatabase(
        admin=admin_url,
        owner=url.set(username=owner, password=owner_password, database=database).render_as_string(hide_password=False),
        app=url.set(username=app, password=app_password, database=database).render_as_string(hide_password=False),
        owner_role=owner, app_role=app, database=database)


def unprovision(pg: PgDatabase) -> None:
    """Drop the database, every database the owner made, and the two roles."""
    admin = create_engine(pg.admin, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            owned = c.execute(text("SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                                   "WHERE r.rolname = :owner"), {"owner": pg.owner_role}).scalars().all()
            for name in owned:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f"DROP ROLE IF EXISTS {pg.app_role}"))
            c.execute(text(f"DROP ROLE IF EXISTS {pg.owner_role}"))
    finally:
        admin.dispose()
