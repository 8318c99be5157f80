"""Notice fan-out benchmark: queue one notice to N followers and deliver it to the fake LINE API.

    python -m bench.notices_fanout --recipients 100000 [--threads 1] [--backend sqlite|postgresql]
                                   [--line-latency 0.05] [--json]

Reports wall time (queueing and delivery), multicast calls and recipients per second, and checks that
every recipient was delivered exactly once (the fake counts only the multicasts it accepted).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.core.tenancy import use_town
from bot.models.tenancy import DEFAULT_TOWN_ID
from sqlalchemy import insert

from bot import create_app
from bot.extensions import db
from bot.models import Follower, utcnow
from bot.notices import schedule, workflow
from bot.notices.worker import send_due
from tests.support.fakeline import FakeLine

ROOT = Path(__file__).resolve().parent.parent
MULTICAST = "/v2/bot/message/multicast"


def _config(uri: str, fake: FakeLine) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": uri,
        "MIGRATIONS_ENABLED": True,  # the benchmark migrates its own database
        "SECRET_KEY": "bench",
        "LINE_CHANNEL_SECRET": "bench-secret",
        "LINE_CHANNEL_ACCESS_TOKEN": "bench-token",
        "LINE_API_ENDPOINT": fake.url,
        "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "NOTICE_QUIET_HOURS": "",
        "NOTICE_APPROVAL_REQUIRED": False,
        "NOTICE_RETRY_BASE_SECONDS": 0.05,
        "NOTICE_POLL_SECONDS": 0.05,
    }


def _followers(count: int) -> list[str]:
    now = utcnow()
    ids = [f"U{n:032x}" for n in range(count)]
    for start in range(0, count, 10_000):
        db.session.execute(insert(Follower), [
            {"line_user_id": u, "status": "active", "first_seen": now, "last_seen": now}
            for u in ids[start:start + 10_000]])
    db.session.commit()
    return ids


def run(recipients: int, threads: int, backend: str, database_url: str | None, latency: float) -> dict:
    """Run the benchmark once and return its numbers."""
    from flask_migrate import upgrade

    fake = FakeLine(latency=latency).start()
    pg = None
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        uri = database_url or f"sqlite:///{tmp}/fanout.sqlite3"
        if backend == "postgresql" and not database_url:
            from tests.support.pgserver import PgServer

            pg = PgServer(durable=True)
            uri = pg.start()
        try:
            app = create_app(_config(uri, fake))
            with app.app_context(), use_town(DEFAULT_TOWN_ID):
                upgrade()
                ids = _followers(recipients)
                notice = workflow.create(workflow.Draft("ベンチマーク", "お知らせの一斉配信テストです。"), by="bench")
                workflow.request_send(notice, by="bench")

                started = time.perf_counter()
                schedule.release_due()
                queued = time.perf_counter()
                send_due(max_wait=120, threads=threads)
                finished = time.perf_counter()
                db.session.remove()
                db.engine.dispose()
        finally:
            fake.stop()
            if pg:
                pg.stop()
    delivered = Counter(fake.delivered(MULTICAST))
    calls = fake.calls(MULTICAST)
    exactly_once = set(delivered) == set(ids) and set(delivered.values()) == {1}
    deliver_s = finished - queued
    return {
        "recipients": recipients,
        "backend": backend,
        "threads": threads,
        "line_latency_s": latency,
        "queue_s": round(queued - started, 3),
        "deliver_s": round(deliver_s, 3),
        "wall_s": round(finished - started, 3),
        "multicast_calls": len(calls),
        "recipients_per_s": round(recipients / (finished - started)) if finished > started else None,
        "exactly_once": exactly_once,
        "duplicates": sum(n - 1 for n in delivered.values() if n > 1),
        "missing": len(set(ids) - set(delivered)),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the numbers; exit 1 unless every recipient got it exactly once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=1, help="delivery threads in the worker (PostgreSQL scales with more)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=None, help="an empty database to use instead of a temporary one")
    parser.add_argument("--line-latency", type=float, default=0.0, help="seconds the fake LINE takes per request")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    import logging
    logging.getLogger().setLevel(logging.WARNING)
    result = run(args.recipients, args.threads, args.backend, args.database_url, args.line_latency)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['recipients']:,} recipients on {result['backend']} with {result['threads']} thread(s), "
              f"fake LINE latency {result['line_latency_s']}s")
        print(f"  queue {result['queue_s']}s, deliver {result['deliver_s']}s, wall {result['wall_s']}s")
        print(f"  {result['multicast_calls']} multicast calls, {result['recipients_per_s']:,} recipients/s")
        print(f"  exactly once: {result['exactly_once']} (duplicates {result['duplicates']}, "
              f"missing {result['missing']})")
    return 0 if result["exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
