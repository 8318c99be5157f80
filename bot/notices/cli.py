"""`flask notices ...`: compose, approve, send and watch notices from the command line."""
from __future__ import annotations

import json
import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import Facility, Notice
from bot.notices import audience, report, test_recipients, topics, worker, workflow
from bot.notices.channels import CHANNELS
from bot.notices.schedule import local, parse_local, planned_release

notices_cli = AppGroup("notices", help="Compose, approve and deliver notices to subscribed residents.")


def _notice(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise click.ClickException(f"no notice {notice_id}")
    return notice


def _fail(exc: Invalid) -> None:
    for problem in exc.problems:
        if problem.field != "-":
            click.echo(f"{problem.field}: {problem.message}", err=True)
    raise click.ClickException(str(exc))


@notices_cli.command("create")
@click.option("--title", required=True, help="The notice's title.")
@click.option("--text", "body", required=True, help="The notice's body.")
@click.option("--topic", "topic_keys", multiple=True, help="A topic slug or name; repeat for several. None: all followers.")
@click.option("--url", default="", help="An optional link.")
@click.option("--entry", "entry_slug", default="", help="A knowledge entry slug for the 「くわしく」 button.")
@click.option("--at", "at", default="", help="When to send, ISO 8601 (no offset = Asia/Tokyo). Default: now.")
@click.option("--channel", "channel_names", multiple=True,
              help=f"Where it goes: {' | '.join(CHANNELS)}; repeat for several. Default: line.")
@click.option("--facility", "facility_names", multiple=True,
              help="Signage only: a facility's name; repeat for several. None: every screen.")
@click.option("--from", "display_from", default="", help="Display start, ISO 8601 (no offset = Asia/Tokyo). "
              "Default: on approval.")
@click.option("--until", "display_until", default="", help="Display end, ISO 8601 (no offset = Asia/Tokyo). "
              "Required for signage.")
@click.option("--by", "by", default="cli", show_default=True, help="Who is sending it (for the approval rule).")
def create(title: str, body: str, topic_keys: tuple[str, ...], url: str, entry_slug: str, at: str,
           channel_names: tuple[str, ...], facility_names: tuple[str, ...], display_from: str, display_until: str,
           by: str) -> None:
    """Create a notice and ask to send it; print its id."""
    slugs = []
    for key in topic_keys:
        topic = topics.find(key)
        if topic is None:
            raise click.BadParameter(f"unknown topic {key!r}; see `flask notices topics`", param_hint="--topic")
        slugs.append(topic.slug)
    send_at = _moment(at, "--at")
    start, end = _moment(display_from, "--from"), _moment(display_until, "--until")
    facility_ids = []
    for name in facility_names:
        facility_id = db.session.scalar(select(Facility.id).where(Facility.name == name))
        if facility_id is None:
            raise click.BadParameter(f"施設「{name}」は登録されていません。", param_hint="--facility")
        facility_ids.append(facility_id)
    try:
        notice = workflow.submit(workflow.Draft(title, body, url, entry_slug, tuple(slugs), send_at,
                                                channel_names or ("line",), tuple(facility_ids), start, end), by=by)
    except Invalid as exc:
        _fail(exc)
    click.echo(notice.id)
    if notice.status == "pending_approval":
        click.echo(f"notice {notice.id} waits for approval: flask notices approve {notice.id} --by NAME", err=True)
    elif "line" in (notice.channels or ()):
        click.echo(f"notice {notice.id} goes out at {local(planned_release(notice)):%Y-%m-%d %H:%M %Z} "
                   f"to about {audience.count(notice.topics)} people", err=True)
    else:
        click.echo(f"notice {notice.id} is shown on {', '.join(notice.channels)} in its display period", err=True)


def _moment(value: str, option: str):
    """Return an ISO 8601 option value in UTC (no offset = Asia/Tokyo), None when not given."""
    if not value:
        return None
    try:
        return parse_local(value)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(f"日時は ISO 8601 で指定してください（例 2026-12-24T09:00）：{value!r}",
                                 param_hint=option) from exc


@notices_cli.command("approve")
@click.argument("notice_id", type=int)
@click.option("--by", required=True, help="The approver; must not be the author.")
@click.option("--revision", type=int, default=None, help="The revision you checked (default: the current one).")
def approve(notice_id: int, by: str, revision: int | None) -> None:
    """Approve a notice that waits for approval."""
    try:
        notice = _notice(notice_id)
        notice = workflow.approve(notice, by=by, revision=notice.revision if revision is None else revision)
    except Invalid as exc:
        _fail(exc)
    click.echo(f"notice {notice.id} approved; goes out at {local(planned_release(notice)):%Y-%m-%d %H:%M %Z}")


@notices_cli.command("cancel")
@click.argument("notice_id", type=int)
@click.option("--by", default="cli", show_default=True)
def cancel(notice_id: int, by: str) -> None:
    """Cancel a notice that has not started going out."""
    try:
        workflow.cancel(_notice(notice_id), by=by)
    except Invalid as exc:
        _fail(exc)
    click.echo(f"notice {notice_id} cancelled")


@notices_cli.command("list")
def list_notices() -> None:
    """List notices, newest first."""
    for notice in db.session.scalars(select(Notice).order_by(Notice.id.desc()).limit(50)):
        audience_label = "、".join(topics.names(notice.topics)) or "全員"
        click.echo(f"{notice.id}\t{notice.status}\t{audience_label}\t{','.join(notice.channels or ())}\t{notice.title}")


@notices_cli.command("topics")
def list_topics() -> None:
    """List the topics residents can subscribe to, with subscriber counts."""
    for topic in topics.all_topics():
        click.echo(f"{topic.slug}\t{topic.name}\t{audience.count([topic.slug])}")


@notices_cli.command("report")
@click.argument("notice_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_report(notice_id: int, as_json: bool) -> None:
    """Show recipients, delivered, failed (with reasons) and pending for a notice."""
    result = report.for_notice(_notice(notice_id))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    click.echo(f"notice {notice_id} [{result.status}] recipients {result.recipients}, delivered {result.delivered}, "
               f"failed {result.failed}, pending {result.pending}, left out (unfollowed) {result.skipped}")
    for reason, count in result.failures:
        click.echo(f"  failed {count}: {reason}")


@notices_cli.command("test-send")
@click.argument("notice_id", type=int)
@click.option("--to", "to", required=True, help="A registered test recipient: its name or LINE user id.")
def test_send(notice_id: int, to: str) -> None:
    """Push a notice to one registered staff test recipient to check it."""
    recipient = next((r for r in test_recipients.all_recipients() if to in (r.name, r.line_user_id)), None)
    if recipient is None:
        raise click.ClickException(f"{to!r} is not a registered test recipient (admins add them in the console)")
    try:
        result = workflow.test_send(_notice(notice_id), recipient, by="cli")
    except Invalid as exc:
        _fail(exc)
    if not result.ok:
        raise click.ClickException(f"LINE answered {result.status or 'nothing'}: {result.error}")
    click.echo(f"sent to {recipient.name}")


@notices_cli.command("send-due")
@click.option("--wait", "max_wait", default=60.0, show_default=True,
              help="Seconds to keep retrying failed sends before exiting (they stay queued for the worker).")
@click.option("--threads", default=1, show_default=True, help="Parallel delivery threads.")
def send_due(max_wait: float, threads: int) -> None:
    """Send whatever is due once and exit."""
    released, settled = worker.send_due(max_wait=max_wait, threads=threads)
    click.echo(f"queued {len(released)} notice(s); settled {settled} batch(es)")


@notices_cli.command("worker")
@click.option("--threads", default=1, show_default=True, help="Parallel delivery threads.")
def run_worker(threads: int) -> None:
    """Run until stopped: send due notices and deliver the outbox (the Procfile's worker)."""
    from bot.dbroles import check_app_role

    try:  # as the web processes do: production refuses a role that row-level security would not bind
        check_app_role(current_app._get_current_object())
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    stop = threading.Event()

    def on_signal(signum, frame):  # finish the batch in hand, then exit
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.run(stop, threads=threads)
    sys.exit(0)
