"""Alembic's INFO lines show only under `flask db …`, not in other commands or in code that migrates."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

from tests.conftest import ROOT

ALEMBIC_INFO = ("Context impl", "Will assume", "Running upgrade", "setup plugin", "alembic")


def _flask(tmp_path, *args: str) -> str:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}", APP_ENV="development",
               FLASK_APP="app")
    env.pop("FLASK_RUN_FROM_CLI", None)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_only_flask_db_shows_alembic_progress(tmp_path):
    upgraded = _flask(tmp_path, "db", "upgrade")
    # The same process that must stay quiet elsewhere still reports what it migrated.
    assert "Running upgrade" in upgraded and "Context impl SQLiteImpl" in upgraded
    assert "Context impl SQLiteImpl" in _flask(tmp_path, "db", "current")
    # One command that reads and writes the database, one that only builds the app (each is a process of its own).
    for command in (("kb", "import"), ("routes",)):
        output = _flask(tmp_path, *command)
        noisy = [line for line in output.splitlines() if any(mark in line for mark in ALEMBIC_INFO)]
        assert noisy == [], (command, noisy)


def test_migrating_from_code_keeps_alembic_quiet_and_the_app_logging(tmp_path, fake_line, capfd):
    from flask_migrate import upgrade

    from bot import create_app
    from bot.extensions import db
    from tests.conftest import base_config

    # Logging does not depend on the database: a fresh SQLite file migrated from nothing shows every line.
    app = create_app(base_config(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", fake_line))
    root_level, root_handlers = logging.getLogger().level, list(logging.getLogger().handlers)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    app.extensions["line_sender"].close()
    err = capfd.readouterr().err
    assert "Context impl" not in err and "Running upgrade" not in err
    # env.py no longer runs fileConfig here, which reset the root logger to WARN and swapped its handlers.
    assert logging.getLogger().level == root_level and logging.getLogger().handlers == root_handlers
