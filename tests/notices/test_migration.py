"""Migration 0004: accounts made before grants were recorded get their grants back from the audit log."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from bot import create_app
from bot.extensions import db
from tests.conftest import BACKENDS, base_config


@pytest.fixture(params=BACKENDS)
def empty_db(request, tmp_path, fake_line):
    """Yield the URL of a database of its own (migrations run up and down in it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.sqlite3'}"
        return
    # Owned by the session's owner role, which migrates it; made and dropped by the server's superuser (only a
    # superuser may end an autovacuum worker that happens to be in the database when it is dropped).
    pg = request.getfixturevalue("pg_database")
    name = f"{pg.database}_migration"
    admin = create_engine(pg.admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {name} OWNER {pg.owner_role}"))
    yield pg.url_of(pg.owner, name)
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_grants_are_rebuilt_from_the_audit_log(empty_db, fake_line):
    app = create_app(base_config(empty_db, fake_line))
    with app.app_context():
        upgrade(revision="0003_notices")
        now = "2026-11-30 10:00:00+00:00"
        db.session.execute(text(
            "INSERT INTO users (id, email, password_hash, role, active, created_at) VALUES "
            "(1, 'first@example.invalid', 'x', 'admin', true, :now), "
            "(2, 'made@example.invalid', 'x', 'editor', true, :now), "
            "(3, 'puppet@example.invalid', 'x', 'admin', true, :now)"), {"now": now})
        log = ("INSERT INTO audit_log (created_at, actor, action, target_type, target_id, summary, before, after) "
               "VALUES (:now, :actor, :action, 'user', :target, '', :before, :after)")
        for actor, action, target, before, after in [
            ("cli", "user.create", "1", None, '{"email": "first@example.invalid", "role": "admin"}'),
            ("first@example.invalid", "user.create", "2", None, '{"email": "made@example.invalid", "role": "editor"}'),
            ("first@example.invalid", "user.create", "3", None, '{"email": "puppet@example.invalid", "role": "editor"}'),
            ("first@example.invalid", "user.update", "3", '{"role": "editor", "active": true}',
             '{"role": "admin", "active": true}'),
            ("first@example.invalid", "user.update", "2", '{"role": "editor", "active": true}',
             '{"role": "editor", "active": false}'),
        ]:
            db.session.execute(text(log), {"now": now, "actor": actor, "action": action, "target": target,
                                           "before": before, "after": after})
        db.session.execute(text(
            "INSERT INTO notices (title, body, url, entry_slug, topics, status, created_by, created_at, requested_by, "
            "approved_by, cancelled_by, test_sent_to, recipients) VALUES ('t', 'b', '', '', '[]', 'draft', "
            "'first@example.invalid', :now, '', '', '', '', 0)"), {"now": now})
        db.session.commit()

        upgrade()
        grants = db.session.execute(text(
            "SELECT user_id, role, granted_by FROM role_grants ORDER BY id")).all()
        assert [tuple(g) for g in grants] == [(1, "admin", None), (2, "editor", 1), (3, "editor", 1), (3, "admin", 1)]
        editors = db.session.execute(text("SELECT editors, revision FROM notices")).one()
        assert (editors[0] if isinstance(editors[0], list) else __import__("json").loads(editors[0]),
                editors[1]) == (["first@example.invalid"], 1)
        db.session.commit()  # no open transaction may hold the tables the downgrade drops

        downgrade(revision="0003_notices")
        db.session.remove()
        db.engine.dispose()
