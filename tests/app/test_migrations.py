"""The migrations build exactly the schema the models describe, on each backend."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_web_processes_skip_alembic_and_the_cli_keeps_it(monkeypatch):
    from bot import create_app

    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    web = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": False})
    assert "migrate" not in web.extensions
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    cli = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": False})
    assert "migrate" in cli.extensions
