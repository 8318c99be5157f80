"""`flask forms …` for staff's records: delete applications past their retention period (run daily from cron)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.core.tenancy import job_towns, use_town
from bot.forms.retention import purge

forms_cli = AppGroup("forms", help="申込み（フォーム）の記録の管理。")


@forms_cli.command("purge")
def purge_command() -> None:
    """Delete applications older than their form's retention period (withdrawn ones counted from withdrawal)."""
    for town in job_towns():  # --town, or every active town
        with use_town(town):
            gone = purge(actor="cli")
        # Only a count: receipt numbers are in the audit log, answers nowhere.
        click.echo(f"{town.slug}: 保存期間を過ぎた申込み {gone}件を削除しました。")
