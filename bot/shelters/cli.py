"""`flask shelters …`: list the shelters with their status, set one's status, and explain a disaster question."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from bot.extensions import db
from bot.models import Shelter
from bot.models.shelters import STATUSES
from bot.shelters import topics
from bot.shelters.pack import kinds_text
from bot.shelters.reply import local_time
from bot.shelters.store import all_shelters, set_status

shelters_cli = AppGroup("shelters", help="避難所（災害時モードで案内する）。")
_BY_WORD = {**{code: code for code in STATUSES}, **{label: code for code, label in STATUSES.items()}}


@shelters_cli.command("list")
def list_shelters() -> None:
    """List every shelter with its status and the time it was last changed (Japan time)."""
    rows = all_shelters()
    if not rows:
        click.echo("避難所は登録されていません（knowledge/shelters.yaml か管理画面の「避難所」で登録します）。")
    for s in rows:
        when = local_time(s.status_at) if s.status_at else "-"
        click.echo(f"{s.key}\t{s.name}\t{s.status_label}\t{when}\t{s.address}\t{kinds_text(s.kinds or [])}")


@shelters_cli.command("status")
@click.argument("key")
@click.argument("status")
@click.option("--by", "actor", default="cli", help="操作した人（操作履歴に残ります）。")
def change_status(key: str, status: str, actor: str) -> None:
    """Set KEY's status to STATUS: closed/open/full or 未開設/開設/満."""
    code = _BY_WORD.get(status.strip())
    if code is None:
        raise click.ClickException("状況は 未開設・開設・満（closed・open・full）のどれかを指定してください。")
    shelter = db.session.scalar(select(Shelter).where(Shelter.key == key))
    if shelter is None:
        raise click.ClickException(f"避難所 {key[:80]} は登録されていません（`flask shelters list` で確認できます）。")
    changed = set_status(shelter, code, actor)
    click.echo(f"{shelter.name}：{STATUSES[code]}" + ("" if changed else "（変更なし）"))


@shelters_cli.command("explain")
@click.argument("text")
def explain(text: str) -> None:
    """Print which disaster topics a message names (in disaster mode it gets the disaster answer) and why."""
    found = topics.current().find(text)
    if found.excluded_by:
        click.echo(f"ふだんの質問として答えます（「{found.excluded_by}」を含むため）。")
    elif found.topics:
        click.echo("災害時モードでは災害の案内：" + "、".join(f"{t}（{w}）" for t, w in zip(found.topics, found.words)))
    else:
        click.echo("災害の話題は見つかりません（ふだんどおり答えます）。")
