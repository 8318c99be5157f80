"""`flask ask`: the bot's reply to a question or a button, as a resident would see it."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from bot.conversation.incoming import Incoming
from bot.conversation.service import respond
from bot.conversation import simulated
from bot.line.transcript import as_text


@click.command("ask")
@click.argument("question", required=False, default="")
@click.option("--user", "name", default="cli", show_default=True,
              help="The simulated resident who asks: the same name keeps the same notice settings.")
@click.option("--postback", "data", default=None, metavar="DATA",
              help="Tap a button instead of asking: the postback data after → in a reply.")
@with_appcontext
def ask(question: str, name: str, data: str | None) -> None:
    """Print the bot's reply to a question or a button, as a resident would see it."""
    if not question and data is None:
        raise click.UsageError("give a QUESTION or --postback DATA")
    user_id = simulated.cli_id(name)
    incoming = (Incoming("postback", data=data, user_id=user_id, channel="cli") if data is not None
                else Incoming("text", text=question, user_id=user_id, channel="cli"))
    reply = respond(incoming)
    click.echo(f"[{reply.outcome}{' ' + reply.entry_slug if reply.entry_slug else ''}]")
    for message in reply.messages:
        click.echo(as_text(message))
