"""`flask kpi …`: list the plan's KPIs with their current actual, and enter an actual value (audited)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.core.problems import Invalid
from bot.kpi import store

kpi_cli = AppGroup("kpi", help="総合戦略のKPI（基準値・目標値・実績）。")


@kpi_cli.command("list")
def list_kpis() -> None:
    """List every KPI: key, name, baseline, target, the current actual (or 未入力) and its date."""
    readings = store.board()
    if not readings:
        click.echo("KPIは登録されていません（knowledge/kpi.yaml を flask kb import で取り込みます）。")
    for r in readings:
        when = f"{r.as_of.isoformat()}{'（自動）' if r.live else ''}" if r.as_of else "-"
        click.echo(f"{r.kpi.key}\t{r.kpi.name}\t基準 {r.baseline_text}\t目標 {r.target_text}\t実績 {r.value_text}\t{when}")


@kpi_cli.command("set")
@click.argument("key")
@click.argument("value")
@click.option("--date", "as_of", required=True, help="集計日（例：2025-03-31）。")
@click.option("--source", required=True, help="出典（例：令和6年度 市民課の集計）。")
@click.option("--note", default="", help="職員向けのメモ。")
@click.option("--by", "actor", default="cli", help="操作した人（操作履歴に残ります）。")
def set_actual(key: str, value: str, as_of: str, source: str, note: str, actor: str) -> None:
    """Enter VALUE as the actual of the KPI KEY (for a milestone: 策定済み or 未策定)."""
    kpi = store.kpi_by_key(key)
    if kpi is None:
        raise click.ClickException(f"KPI {key[:80]} はありません（`flask kpi list` で確認できます）。")
    try:
        actual = store.record_actual(kpi, value, as_of, source, note, actor)
    except Invalid as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{kpi.name}：{store.value_text(kpi, store.decimal_value(actual))}（{actual.as_of.isoformat()}）")
