"""`kb match` and `kb eval`: the matcher from the command line (bot/cli.py hangs them on the `kb` group)."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from bot.knowledge.evaluation import evaluate, read_cases
from bot.knowledge.index import knowledge


@click.command("match")
@with_appcontext
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


@click.command("eval")
@with_appcontext
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


KNOWLEDGE_COMMANDS = (kb_match, kb_eval)
