"""`flask chat …`: open or close the counter by hand, and purge chats past their retention period.

`chat open` and `chat close` are a contract: a test outside the repository uses these names."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.chat import settings, store

chat_cli = AppGroup("chat", help="オンライン窓口（職員とのチャット）。")


@chat_cli.command("open")
@click.option("--by", "actor", default="cli", help="操作した人（操作履歴に残ります）。")
def open_counter(actor: str) -> None:
    """Open the counter now, whatever its hours say (e.g. longer hours in a disaster)."""
    settings.set_switch(settings.OPEN, actor)
    click.echo("オンライン窓口を開けました（受付時間にかかわらず、職員がチャットで対応します）。"
               "時間どおりに戻すには: flask chat auto")


@chat_cli.command("close")
@click.option("--by", "actor", default="cli", help="操作した人（操作履歴に残ります）。")
def close_counter(actor: str) -> None:
    """Close the counter now, whatever its hours say (requests wait; open chats stay until they end)."""
    settings.set_switch(settings.CLOSED, actor)
    click.echo("オンライン窓口を閉めました（新しいご希望は受付時間外として待ちます）。時間どおりに戻すには: flask chat auto")


@chat_cli.command("auto")
@click.option("--by", "actor", default="cli", help="操作した人（操作履歴に残ります）。")
def auto_counter(actor: str) -> None:
    """Let the counter's hours decide again."""
    settings.set_switch(settings.AUTO, actor)
    click.echo(f"オンライン窓口を時間どおりに戻しました（{settings.current().hours_text()}）。")


@chat_cli.command("status")
def status() -> None:
    """Say whether the counter is open now, and why."""
    cs = settings.current()
    how = {settings.AUTO: "時間どおり", settings.OPEN: "手動で開けています", settings.CLOSED: "手動で閉めています"}[cs.switch]
    click.echo(f"{'開いています' if cs.is_open() else '閉まっています'}（{how}・{cs.hours_text()}）")


@chat_cli.command("purge")
@click.option("--days", type=click.IntRange(0, 100 * 366), default=None,
              help="Keep this many days (default: the town's retention setting).")
def purge(days: int | None) -> None:
    """Delete ended chats, their messages and photos, older than the retention period."""
    gone = store.purge(days)
    click.echo(f"deleted {gone} ended chats older than "
               f"{days if days is not None else settings.current().retention_days} days")
