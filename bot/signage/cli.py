"""`flask signage …`: add a screen to a facility (printing its URL once) and list the screens."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.core.problems import Invalid
from bot.models import utcnow
from bot.publicurl import base_url
from bot.signage import facilities, health

signage_cli = AppGroup("signage", help="デジタルサイネージの施設と画面。")


@signage_cli.command("add-screen")
@click.argument("facility")
@click.option("--name", default="", help="画面の名前（例：1階ロビー）。")
@click.option("--place", default="", help="施設がまだないとき、作る施設の場所。")
def add_screen(facility: str, name: str, place: str) -> None:
    """Add a screen to FACILITY (created if new) and print its URL, which is shown only this once."""
    try:
        found, screen, key = facilities.add_screen_at(facility, name, place, by="cli")
    except Invalid as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{found.name} / {screen.name}")
    click.echo(facilities.screen_url(key, base_url()))
    click.echo("このURLは今だけ表示されます。サイネージのブラウザに設定してください。", err=True)


@signage_cli.command("list")
def list_screens() -> None:
    """List facilities and screens with their last report (never their keys)."""
    now = utcnow()
    for facility in facilities.all_facilities():
        click.echo(f"{facility.name}\t{facility.place}")
        for screen in facility.screens:
            seen = screen.last_seen_at.isoformat(timespec="seconds") if screen.last_seen_at else "-"
            click.echo(f"  {screen.id}\t{screen.name}\t{health.state(screen, now).label}\t{seen}")
    kpi = health.kpi(now)
    click.echo(f"設置施設数（表示中の画面がある施設）: {kpi['live']} / 目標 {kpi['target']}（{kpi['target_year']}）")
