"""Command-line tools: the knowledge pack, asking the bot, log retention and the demo data."""
from __future__ import annotations

import json
import sys
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import delete, select

from bot.conversation import Incoming, respond, simulated
from bot.extensions import db
from bot.knowledge.evaluation import evaluate, read_cases
from bot.knowledge.index import knowledge
from bot.pack.transfer import purge_staged, staging_dir
from bot.line.transcript import as_text
from bot.pack.cli import PACK_COMMANDS
from bot.models import InboxResolution, ProcessedEvent, QuestionLog, utcnow

kb_cli = AppGroup("kb", help="Check, import, export and evaluate the knowledge pack.")
logs_cli = AppGroup("logs", help="Question-log retention.")
demo_cli = AppGroup("demo", help="A demo database for screenshots and first looks (refused in production).")
for _command in PACK_COMMANDS:  # kb check / import / export live with the pack
    kb_cli.add_command(_command)


@kb_cli.command("match")
@click.option("--jsonl", is_flag=True, required=True, help='Read {"q": ...} lines on stdin.')
def kb_match(jsonl: bool) -> None:
    """Match questions from stdin and write one JSON line each."""
    matcher = knowledge().matcher
    for line in sys.stdin:
        if not line.strip():
            continue
        q = json.loads(line).get("q", "")
        decision = matcher.decide(q)
        out = {
            "q": q,
            "answer": decision.top.id if decision.outcome == "answer" and decision.top else None,
            "suggestions": [c.id for c in decision.candidates] if decision.outcome == "suggest" else [],
            "score": round(decision.top.score, 4) if decision.top else 0.0,
        }
        click.echo(json.dumps(out, ensure_ascii=False))


@kb_cli.command("eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--misses", is_flag=True, help="Also list the questions that were not answered right.")
def kb_eval(path: str, misses: bool) -> None:
    """Print answer accuracy, helpful, wrong-answer and out-of-scope false-answer rates."""
    scores = evaluate(read_cases(path), knowledge().matcher.decide)
    for name, value in scores.as_dict().items():
        click.echo(f"{name}: {value:.1%}" if isinstance(value, float) else f"{name}: {value}")
    if misses:
        for miss in scores.misses:
            click.echo(json.dumps(miss, ensure_ascii=False))


@click.command("ask")
@click.argument("question", required=False, default="")
@click.option("--user", "name", default="cli", show_default=True,
              help="The simulated resident who asks: the same name keeps the same notice settings.")
@click.option("--postback", "data", default=None, metavar="DATA",
              help="Tap a button instead of asking: the postback data after → in a reply.")
@with_appcontext
def ask(question: str, name: str, data: str | None) -> None:
    """Print the bot's reply to a question or a button, as a resident would see it."""
    if not question and data is None:
        raise click.UsageError("give a QUESTION or --postback DATA")
    user_id = simulated.cli_id(name)
    incoming = (Incoming("postback", data=data, user_id=user_id, channel="cli") if data is not None
                else Incoming("text", text=question, user_id=user_id, channel="cli"))
    reply = respond(incoming)
    click.echo(f"[{reply.outcome}{' ' + reply.entry_slug if reply.entry_slug else ''}]")
    for message in reply.messages:
        click.echo(as_text(message))


@logs_cli.command("purge")
@click.option("--days", type=int, default=None, help="Keep this many days (default: LOG_RETENTION_DAYS).")
def logs_purge(days: int | None) -> None:
    """Delete question logs, webhook dedupe records and simulated residents older than the retention period."""
    keep = days if days is not None else current_app.config["LOG_RETENTION_DAYS"]
    cutoff = utcnow() - timedelta(days=keep)
    # What staff did with a purged question goes with it (SQLite enforces no ON DELETE CASCADE): a 確認済み note
    # about a crisis message must not outlive the message.
    db.session.execute(delete(InboxResolution).where(InboxResolution.question_id.in_(
        select(QuestionLog.id).where(QuestionLog.created_at < cutoff))))
    questions = db.session.execute(delete(QuestionLog).where(QuestionLog.created_at < cutoff)).rowcount
    # Dedupe records only matter while LINE may redeliver; a day is plenty but they follow the same rule.
    events = db.session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)).rowcount
    residents = simulated.purge(cutoff)  # the simulator's and `ask --user`'s, with their settings
    db.session.commit()
    # Previewed uploads nobody applied: a copy of the knowledge that must not pile up on disk.
    staged = purge_staged(staging_dir())
    click.echo(f"deleted {questions} question log rows and {events} event records older than {keep} days "
               f"and {staged} expired import previews")
    click.echo(f"deleted {residents} simulated residents not seen for {keep} days")


@demo_cli.command("seed")
@click.option("--password", help="Password for the two demo staff accounts (default: generated and printed once).")
def demo_seed(password: str | None) -> None:
    """Fill the database with a month of made-up questions, inbox, followers, notices and two staff accounts."""
    from bot import demo
    from bot.core.problems import Invalid
    from bot.dbcheck import schema_problem

    problem = schema_problem()  # a fresh database: say what to run instead of a traceback (issue 19 B10)
    if problem:
        raise click.ClickException(problem)
    try:
        result = demo.seed(password)
    except (demo.DemoRefused, Invalid) as exc:
        raise click.ClickException(str(exc)) from None
    if result.already:
        click.echo("demo data is already here (seeded before); nothing was changed")
        return
    notices = ", ".join(f"{n} {status}" for status, n in sorted(result.notices.items()))
    click.echo(f"demo: {result.questions} questions over {demo.DAYS} days, {result.inbox_groups} inbox groups, "
               f"{result.followers} followers (fake ids), notices: {notices}")
    click.echo(f"staff: {', '.join(result.users)}")
    if not password:
        click.echo(f"password (shown only now): {result.password}")


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(kb_cli)
    app.cli.add_command(logs_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(ask)
    from bot.notices.cli import notices_cli  # notice commands live with the notices package
    app.cli.add_command(notices_cli)
    from bot.admin.cli import users_cli  # the console's own commands live with the console
    app.cli.add_command(users_cli)
    from bot.forms.staff_cli import forms_cli  # retention of applications lives with the forms
    app.cli.add_command(forms_cli)
    from bot.richmenu.cli import richmenu_cli  # rich-menu commands live with the rich menu
    app.cli.add_command(richmenu_cli)
    from bot.shelters.cli import shelters_cli  # shelters live in their own room
    app.cli.add_command(shelters_cli)
    from bot.safety.cli import safety_cli  # `safety explain` lives with the detector
    app.cli.add_command(safety_cli)
