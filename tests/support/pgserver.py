"""Start a throwaway PostgreSQL cluster for the test session (or use TEST_POSTGRES_URL)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile


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
