"""`flask towns …`: the operator's commands (these names are a contract: tests outside the repository use them)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.core.problems import Invalid
from bot.models.tenancy import ACTIVE, SUSPENDED
from bot.towns import operators, store
from bot.line.channels import MissingKey, new_key

towns_cli = AppGroup("towns", help="Towns served by this deployment (運用者の操作).")
ACTOR = "cli"


def _fail(exc: Exception) -> None:
    message = "\n".join(str(p) for p in exc.problems) if isinstance(exc, Invalid) else str(exc)
    raise click.ClickException(message)


@towns_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The town's name as residents see it (芦別市).")
@click.option("--pack", "pack_dir", default=None, help="A knowledge pack folder to import into the new town.")
@click.option("--line-channel-secret", required=True, help="The channel secret (LINE Developers).")
@click.option("--line-access-token", required=True, help="The channel access token (long-lived).")
@click.option("--line-bot-user-id", default="", help="The bot's user id (U…); left out: read from the first webhook.")
def create(slug: str, name: str, pack_dir: str | None, line_channel_secret: str, line_access_token: str,
           line_bot_user_id: str) -> None:
    """Create a town: its webhook is /SLUG/callback, its console /SLUG/admin/."""
    try:
        town = store.create_town(slug, name, actor=ACTOR, pack_dir=pack_dir, channel_secret=line_channel_secret,
                                 access_token=line_access_token, bot_user_id=line_bot_user_id)
    except (Invalid, MissingKey) as exc:
        _fail(exc)
    click.echo(f"created town {town.slug} ({town.name}): webhook /{town.slug}/callback, console /{town.slug}/admin/")
    if pack_dir:
        click.echo(f"imported the pack from {pack_dir}")
    click.echo(f"next: flask --app app users create EMAIL --role admin --town {town.slug}")


@towns_cli.command("list")
def list_command() -> None:
    """List the towns: slug, status, name, whether a LINE channel is set."""
    for town in store.list_towns():
        channel = "channel set" if town.has_channel else "channel: environment"
        click.echo(f"{town.slug}\t{town.status}\t{town.name}\t{channel}\t{town.bot_user_id or '-'}")


@towns_cli.command("suspend")
@click.argument("slug")
def suspend(slug: str) -> None:
    """Suspend a town: its webhook, console and public pages answer 503 until it is resumed."""
    try:
        store.set_status(slug, SUSPENDED, actor=ACTOR)
    except Invalid as exc:
        _fail(exc)
    click.echo(f"suspended {slug}")


@towns_cli.command("resume")
@click.argument("slug")
def resume(slug: str) -> None:
    """Make a suspended town active again."""
    try:
        store.set_status(slug, ACTIVE, actor=ACTOR)
    except Invalid as exc:
        _fail(exc)
    click.echo(f"resumed {slug}")


@towns_cli.command("set-channel")
@click.argument("slug")
@click.option("--line-channel-secret", default=None)
@click.option("--line-access-token", default=None)
@click.option("--line-bot-user-id", default=None)
def set_channel(slug: str, line_channel_secret: str | None, line_access_token: str | None,
                line_bot_user_id: str | None) -> None:
    """Rotate a town's LINE credentials (what is left out stays)."""
    try:
        store.set_channel(slug, actor=ACTOR, channel_secret=line_channel_secret, access_token=line_access_token,
                          bot_user_id=line_bot_user_id)
    except (Invalid, MissingKey) as exc:
        _fail(exc)
    click.echo(f"updated the LINE channel of {slug}")


@towns_cli.command("reencrypt")
def reencrypt() -> None:
    """Encrypt every town's LINE credentials again with the first key of TOWN_SECRETS_KEY (key rotation)."""
    try:
        count = store.reencrypt_channels(actor=ACTOR)
    except MissingKey as exc:
        _fail(exc)
    click.echo(f"re-encrypted the LINE credentials of {count} town(s) with the first key; the old key can now go")


@towns_cli.command("new-key")
def new_key_command() -> None:
    """Print a fresh key for TOWN_SECRETS_KEY (put it first to rotate; keep the old one after it)."""
    click.echo(new_key())


operators_cli = AppGroup("operators", help="Platform operators (運用者): they log in at /operator/, in no town.")


@operators_cli.command("create")
@click.argument("email")
@click.option("--generate", is_flag=True, help="Generate a password and print it once (else: asked for).")
def operators_create(email: str, generate: bool) -> None:
    """Create an operator, who creates, suspends and configures towns at /operator/."""
    password = None if generate else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        operator, password = operators.create_operator(email, password, actor=ACTOR)
    except Invalid as exc:
        _fail(exc)
    click.echo(f"created operator {operator.email}; log in at /operator/login")
    if generate:
        click.echo(f"password (shown only now): {password}")
