"""`flask booking …`: list the facilities, send the reminders due (the notice worker does it too), list a day's
bookings, and clear the personal data of bookings past the retention period."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from bot.booking import calendar as cal
from bot.booking import reminders, retention, store
from bot.core.tenancy import job_towns, use_town
from bot.models.timeutil import local_today

booking_cli = AppGroup("booking", help="施設予約（施設・予約・前日のお知らせ）。")


@booking_cli.command("list")
def list_facilities() -> None:
    """List the facilities residents may book, with their units."""
    found = store.facilities()
    if not found:
        click.echo("予約できる施設はありません（knowledge/facilities.yaml を flask kb import で取り込みます）。")
    for f in found:
        units = "、".join(f"{u.name}（{u.capacity}人）" for u in cal.units(f))
        click.echo(f"{f.key}\t{f.name}\t{f.opens}〜{f.closes}\t{f.slot_minutes}分\t{units}")


@booking_cli.command("day")
@click.argument("key")
@click.option("--date", "day", default="", help="日付（例：2026-12-24）。省略すると今日。")
def day_bookings(key: str, day: str) -> None:
    """List one facility's bookings of a day (receipt number, unit, time, people; no names)."""
    facility = store.facility_by_key(key)
    if facility is None:
        raise click.ClickException(f"施設 {key[:60]} はありません（`flask booking list` で確認できます）。")
    try:
        when = date.fromisoformat(day) if day else local_today()
    except ValueError:
        raise click.ClickException("日付は 2026-12-24 の形で指定してください。") from None
    for b in cal.live_bookings(facility, when, when):
        click.echo(f"{b.receipt_no}\t{b.unit.name}\t{cal.jtime(b.starts_at)}\t{b.people}人\t{store.STATUSES[b.status]}")


@booking_cli.command("remind")
def remind() -> None:
    """Push the reminders due (the day before each booking), exactly once; every active town, or --town."""
    total = 0
    for town in job_towns():
        with use_town(town):
            total += reminders.send_due()
    click.echo(f"前日のお知らせ：{total}件")


@booking_cli.command("purge")
@click.option("--days", type=click.IntRange(retention.LOW, retention.HIGH), default=None,
              help="Keep this many days after a booking's day (default: each town's retention setting).")
def purge(days: int | None) -> None:
    """Clear the name, phone, LINE id, purpose and memo of bookings whose day is older than the retention period
    (facility, unit, time, people, status and receipt number stay); every active town, or --town."""
    for town in job_towns():
        with use_town(town):
            keep = days if days is not None else retention.days()
            cleared = retention.purge(keep)
        click.echo(f"{town.slug}: 保存期間（利用日から{keep}日）を過ぎた予約{cleared}件の個人情報を消去しました")
