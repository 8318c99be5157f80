"""`flask users …`: create staff accounts and let a newcomer into a development console."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from bot.staff import accounts, grants
from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import User
from bot.models.accounts import ROLES

users_cli = AppGroup("users", help="Staff accounts for the console at /admin.")
DEV_ADMIN = "admin@example.invalid"


def _new_password(generate: bool) -> str:
    """Return a generated password, or one typed twice at the prompt."""
    if generate:
        return accounts.generate_password()
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True)
@click.option("--generate", is_flag=True, help="Generate a password and print it once instead of prompting.")
def users_create(email: str, role: str, generate: bool) -> None:
    """Create a staff account; the password is prompted, or generated and printed once; it is changed at first login."""
    password = _new_password(generate)
    try:
        # Whoever runs the command chose or saw the password, so its owner replaces it at the first login.
        user = accounts.create_user(email, role, password, actor="cli", must_change=True)
    except Invalid as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {user.email} ({user.role})")
    if generate:
        click.echo(f"password (shown only now): {password}")
    click.echo("The password must be changed at the first login.")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--generate", is_flag=True, help="Generate a password and print it once instead of prompting.")
def users_set_password(email: str, generate: bool) -> None:
    """Set a new password for an account (for a locked-out colleague); it is changed at the next login."""
    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no user {email}")
    password = _new_password(generate)
    try:
        accounts.set_password(user, password, actor="cli", must_change=True)
    except Invalid as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password set for {user.email}; their sessions ended, and they change it at the next login")
    if generate:
        click.echo(f"password (shown only now): {password}")


@users_cli.command("confirm-grant")
@click.argument("email")
def users_confirm_grant(email: str) -> None:
    """Confirm the admin grants made in the console for an account (server access is trusted)."""
    user = db.session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no user {email}")
    waiting = [g for g in grants.waiting_grants() if g.email == user.email]
    if not waiting:
        raise click.ClickException(f"{user.email} has no admin grant waiting for confirmation")
    # The newest grant vouches for the account as it stands, earlier ones included.
    grants.confirm(waiting[0].id, None)
    for g in waiting:
        click.echo(f"confirmed: {g.granted_by} made {user.email} an admin")
    click.echo(f"{user.email} now approves notices independently of whoever made the account.")


@users_cli.command("list")
def users_list() -> None:
    """List staff accounts."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        click.echo(f"{user.email}\t{user.role}\t{'active' if user.active else 'disabled'}")


@users_cli.command("ensure-dev-admin")
def users_ensure_dev_admin() -> None:
    """Outside production, create a first admin and print how to log in (only when no user exists)."""
    if current_app.config["APP_ENV"] == "production":
        click.echo("APP_ENV=production: create accounts with `flask users create EMAIL --role admin`.")
        return
    if db.session.scalar(select(func.count(User.id))):
        click.echo("Console: http://127.0.0.1:5000/admin/ — log in with your account "
                   "(forgot it? `flask users set-password EMAIL --generate`).")
        return
    password = accounts.generate_password()
    # A development database on the developer's own machine: the printed password stays valid, so
    # `make run` gets a newcomer straight in (production refuses this command above).
    accounts.create_user(DEV_ADMIN, "admin", password, actor="ensure-dev-admin", must_change=False)
    click.echo("Staff console: http://127.0.0.1:5000/admin/")
    click.echo(f"  e-mail:   {DEV_ADMIN}")
    click.echo(f"  password: {password}   (shown only now; change it under アカウント)")
