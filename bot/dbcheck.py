"""Tell whether the database has the schema this code expects, before a command that would fail without it."""
from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from bot.extensions import db

UPGRADE = "flask --app app db upgrade"


def schema_problem() -> str | None:
    """Return what to run when the database is empty or behind the migrations (Japanese and English), else None."""
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if not current:
        return ("データベースがまだ作られていません。先に次のコマンドを実行してください：" + UPGRADE + "\n"
                "The database has no tables yet. Run this first: " + UPGRADE)
    if current != set(script.get_heads()):
        return ("データベースが古い版のままです。先に次のコマンドを実行してください：" + UPGRADE + "\n"
                "The database is behind the code's migrations. Run this first: " + UPGRADE)
    return None
