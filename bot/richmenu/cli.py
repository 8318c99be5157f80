"""`flask richmenu ...`: publish the rich menu to LINE, switch disaster mode, show what LINE shows."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.richmenu import mode as modes
from bot.richmenu import publish as publisher
from bot.richmenu.spec import MODES
from bot.town.settings import disaster_state

richmenu_cli = AppGroup("richmenu", help="Publish the rich menu to LINE and switch disaster mode (災害時モード).")


@richmenu_cli.command("publish")
@click.option("--mode", "mode", type=click.Choice(MODES), default="normal", show_default=True,
              help="Which menu to publish.")
@click.option("--by", "by", default="cli", show_default=True, help="Who is publishing (for the audit log).")
def publish_command(mode: str, by: str) -> None:
    """Publish one menu; it becomes the default when its mode is the active one."""
    try:
        result = modes.publish_mode(mode, by)
    except publisher.PublishError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(result.summary())


@richmenu_cli.command("mode")
@click.argument("which", type=click.Choice(MODES))
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--by", "by", default="cli", show_default=True, help="Who is switching (for the audit log).")
def mode_command(which: str, reason: str, by: str) -> None:
    """Switch disaster mode on (disaster) or off (normal) and publish that mode's menu."""
    try:
        result = modes.switch(which == "disaster", reason, by)
    except modes.ModeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("災害時モードに切り替えました。" if result.on else "災害時モードを終了し、通常に戻しました。")
    click.echo(result.menu_message, err=not result.menu_ok)
    if not result.menu_ok:
        raise SystemExit(1)


@richmenu_cli.command("status")
def status_command() -> None:
    """Show the mode and the menu each mode has at LINE."""
    state = disaster_state()
    if state.on:
        since = state.since.strftime("%Y-%m-%d %H:%M UTC") if state.since else "-"
        click.echo(f"災害時モード：オン（{since}から、{state.by}、理由：{state.reason}）")
    else:
        click.echo("災害時モード：オフ")
    for mode in MODES:
        row = publisher.current(mode)
        label = publisher.MODE_LABELS[mode]
        if row is None:
            click.echo(f"{label}：未公開")
        else:
            click.echo(f"{label}：{row.line_menu_id}（{row.published_at:%Y-%m-%d %H:%M} UTC、{row.published_by}）")
