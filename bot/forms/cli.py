"""`flask forms …` for staff's records: delete applications past their retention period (run daily from cron)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.forms.retention import purge

forms_cli = AppGroup("forms", help="申込み（フォーム）の記録の管理。")


@forms_cli.command("purge")
def purge_command() -> None:
    """Delete applications older than their form's retention period (withdrawn ones counted from withdrawal)."""
    gone = purge(actor="cli")
    # Only a count: receipt numbers are in the audit log, answers nowhere.
    click.echo(f"保存期間を過ぎた申込み {gone}件を削除しました。")
