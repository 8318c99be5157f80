"""Command-line tools: every feature's command group, log retention and the demo data (the commands that span
features; each feature's own commands live in its cli.py)."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from bot.conversation.cli import ask
from bot.conversation.records import purge_before
from bot.core import labels
from bot.core.tenancy import add_town_options, job_towns, use_town, with_town_option
from bot.knowledge.cli import KNOWLEDGE_COMMANDS
from bot.models import utcnow
from bot.pack.cli import PACK_COMMANDS
from bot.pack.transfer import purge_staged, staging_dir

# Who did something from the command line, as the console's audit log names it (`flask users …`, `flask demo seed`).
labels.register(actors={"cli": "コマンドライン", "demo seed": "デモデータ（コマンドライン）"})

kb_cli = AppGroup("kb", help="Check, import, export and evaluate the knowledge pack.")
logs_cli = AppGroup("logs", help="Question-log retention.")
demo_cli = AppGroup("demo", help="A demo database for screenshots and first looks (refused in production).")
for _command in (*PACK_COMMANDS, *KNOWLEDGE_COMMANDS):  # kb check / import / export with the pack, match / eval
    kb_cli.add_command(_command)                            # with the knowledge


@logs_cli.command("purge")
@click.option("--days", type=int, default=None, help="Keep this many days (default: LOG_RETENTION_DAYS).")
def logs_purge(days: int | None) -> None:
    """Delete question logs, webhook dedupe records and simulated residents older than the retention period."""
    keep = days if days is not None else current_app.config["LOG_RETENTION_DAYS"]
    for town in job_towns():  # --town, or every active town
        with use_town(town):
            purged = purge_before(utcnow() - timedelta(days=keep))
        click.echo(f"{town.slug}: deleted {purged.questions} question log rows and {purged.events} event records "
                   f"older than {keep} days")
        click.echo(f"{town.slug}: deleted {purged.residents} simulated residents not seen for {keep} days")
    # Previewed uploads nobody applied: a copy of the knowledge that must not pile up on disk.
    staged = purge_staged(staging_dir())
    click.echo(f"deleted {staged} expired import previews")


@demo_cli.command("seed")
@click.option("--password", help="Password for the two demo staff accounts (default: generated and printed once).")
def demo_seed(password: str | None) -> None:
    """Fill the database with a month of made-up questions, inbox, followers, notices and two staff accounts."""
    from bot import demo
    from bot.core.problems import Invalid
    from bot.dbcheck import schema_problem

    problem = schema_problem()  # a fresh database: say what to run instead of a traceback (issue 19 B10)
    if problem:
        raise click.ClickException(problem)
    try:
        result = demo.seed(password)
    except (demo.DemoRefused, Invalid) as exc:
        raise click.ClickException(str(exc)) from None
    if result.already:
        click.echo("demo data is already here (seeded before); nothing was changed")
        return
    notices = ", ".join(f"{n} {status}" for status, n in sorted(result.notices.items()))
    click.echo(f"demo: {result.questions} questions over {demo.DAYS} days, {result.inbox_groups} inbox groups, "
               f"{result.followers} followers (fake ids), notices: {notices}, {result.bookings} example bookings")
    click.echo(f"staff: {', '.join(result.users)}")
    if not password:
        click.echo(f"password (shown only now): {result.password}")


@click.command("grant")
@click.argument("role")
@with_appcontext
def db_grant(role: str) -> None:
    """Give the application's PostgreSQL ROLE its privileges on every table, now and after later migrations.

    Runs as the tables' owner (DATABASE_MIGRATION_URL). ROLE must exist, own nothing and not bypass row-level
    security; DATABASE_URL then connects as ROLE (docs/operations.md, "Database roles")."""
    from bot.dbroles import RoleRefused, grant_app_role

    try:
        statements = grant_app_role(role)
    except RoleRefused as exc:
        raise click.ClickException(str(exc)) from None
    for statement in statements:
        click.echo(statement + ";")


# The platform's own commands: no town (towns, migrations, the detector's explanations, Flask's own).
PLATFORM_COMMANDS = frozenset({"db", "towns", "operators", "safety", "routes", "shell", "run"})
NO_DATABASE = frozenset({"kb check"})  # reads a pack folder only
EVERY_TOWN_JOBS = frozenset({"notices worker", "notices send-due", "logs purge", "forms purge", "booking remind",
                             "booking purge", "chat purge"})


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    from bot.core import tenancy
    from bot.dbcheck import schema_problem

    tenancy.schema_problem = schema_problem  # a town command on an empty database says what to run
    if "migrate" in app.extensions:  # `flask db …` (Flask-Migrate's group): `flask db grant ROLE` beside upgrade
        from flask_migrate.cli import db as migrate_cli
        migrate_cli.add_command(db_grant)
    app.cli.add_command(kb_cli)
    app.cli.add_command(logs_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(ask)
    from bot.notices.cli import notices_cli  # notice commands live with the notices package
    app.cli.add_command(notices_cli)
    from bot.staff.cli import users_cli  # staff accounts live in their own room
    app.cli.add_command(users_cli)
    from bot.forms.cli import forms_cli  # retention of applications lives with the forms
    app.cli.add_command(forms_cli)
    from bot.richmenu.cli import richmenu_cli  # rich-menu commands live with the rich menu
    app.cli.add_command(richmenu_cli)
    from bot.shelters.cli import shelters_cli  # shelters live in their own room
    app.cli.add_command(shelters_cli)
    from bot.safety.cli import safety_cli  # `safety explain` lives with the detector
    app.cli.add_command(safety_cli)
    from bot.towns.cli import operators_cli, towns_cli  # the operator's towns, and the operators
    app.cli.add_command(towns_cli)
    app.cli.add_command(operators_cli)
    # Every command that touches a town's data runs inside one town: --town SLUG (the default town when left out);
    # jobs (the worker, purges) work for every active town in turn unless --town names one.
    for name, command in app.cli.commands.items():
        if name in PLATFORM_COMMANDS:
            continue
        if isinstance(command, click.Group):
            add_town_options(command, EVERY_TOWN_JOBS, NO_DATABASE, name)
        else:
            with_town_option(command)
