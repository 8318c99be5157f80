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


def test_migration_files_sort_in_chain_order():
    # Files are numbered in the order of the chain, so `ls migrations/versions` reads as the history. The revision
    # ids inside keep their first names: a deployed database stores the id of its revision in alembic_version.
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    folder = Path(__file__).resolve().parents[2] / "migrations"
    config = Config()
    config.set_main_option("script_location", str(folder))
    scripts = ScriptDirectory.from_config(config)
    chain = list(reversed(list(scripts.walk_revisions())))  # base first
    assert len(scripts.get_heads()) == 1, "the migrations must be one chain"
    files = [Path(script.path).name for script in chain]
    assert files == sorted(files)
    numbers = [name.split("_", 1)[0] for name in files]
    assert len(set(numbers)) == len(numbers), "each file has its own number"
