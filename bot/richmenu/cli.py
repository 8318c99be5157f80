"""`flask richmenu ...`: publish the rich menu to LINE, switch disaster mode, show what LINE shows."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from bot.core.problems import Invalid
from bot.richmenu import mode as modes
from bot.richmenu import publish as publisher
from bot.richmenu.spec import MODES
from bot.town.settings import disaster_state

richmenu_cli = AppGroup("richmenu", help="Publish the rich menu to LINE and switch disaster mode (災害時モード).")


def _confirmation(review: modes.Review, yes: bool, digest: str | None, what: str) -> str:
    """Show the review and return the digest to confirm: --confirm's, --yes's, or the answer to a prompt."""
    click.echo(review.text())
    if digest:
        return digest
    if yes:
        return review.digest
    if sys.stdin.isatty() and click.confirm(f"上の内容を確認しました。{what}しますか？", default=False):
        return review.digest
    raise click.ClickException(f"{what}していません。上の変更内容を確認し、--confirm 確認コード（または --yes）を付けて"
                               "もう一度実行してください。")


def _review_options(command):
    command = click.option("--confirm", "digest", metavar="確認コード",
                           help="The digest shown by a run without it: publish only if the menu is still that one.")(command)
    return click.option("--yes", "yes", is_flag=True,
                        help="Publish what is shown now without asking (the shown changes go to the log).")(command)


@richmenu_cli.command("publish")
@click.option("--mode", "mode", type=click.Choice(MODES), default="normal", show_default=True,
              help="Which menu to publish.")
@click.option("--by", "by", default="cli", show_default=True, help="Who is publishing (for the audit log).")
@_review_options
def publish_command(mode: str, by: str, yes: bool, digest: str | None) -> None:
    """Show what changed since the menu's last publish, then publish it once confirmed."""
    confirmed = _confirmation(modes.review(mode), yes, digest, "公開")
    try:
        result = modes.publish_mode(mode, by, confirmed=confirmed)
    except modes.ReviewChanged as exc:
        click.echo(exc.review.text())
        raise click.ClickException(exc.message) from None
    except publisher.PublishError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(result.summary())


@richmenu_cli.command("mode")
@click.argument("which", type=click.Choice(MODES))
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--by", "by", default="cli", show_default=True, help="Who is switching (for the audit log).")
@_review_options
def mode_command(which: str, reason: str, by: str, yes: bool, digest: str | None) -> None:
    """Switch disaster mode on (disaster) or off (normal) and publish that mode's menu, once its changes are confirmed."""
    confirmed = _confirmation(modes.review(which), yes, digest, "切り替え")
    try:
        result = modes.switch(which == "disaster", reason, by, confirmed=confirmed)
    except modes.ReviewChanged as exc:
        click.echo(exc.review.text())
        raise click.ClickException(exc.message) from None
    except Invalid as exc:
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
