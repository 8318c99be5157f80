"""Measure the unanswered inbox under a flood: render time and page size as the inbox grows.

Run ``python -m bench.inbox_scale [--rows 10000] [--repeat 3]``. Builds a temporary SQLite database
with the bundled pack, logs ROWS unanswered questions (most from distinct residents, a share of them
the same question from many residents, plus one sender of 3,200 junk messages) and times GET
/admin/inbox as a logged-in editor. Not a test: numbers go to stdout.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bot.core.tenancy import use_town
from bot.models.tenancy import DEFAULT_TOWN_ID
from bot import create_app
from bot.extensions import db
from bot.pack import read_pack
from bot.pack import import_pack
from bot.models import QuestionLog, utcnow

WORDS = ("除雪", "図書館", "バス", "税金", "保育園", "ごみ", "水道", "病院", "公園", "選挙", "住民票", "温泉")


def build(rows: int, directory: str):
    """Return an app whose inbox holds `rows` questions and one junk sender, with an editor account."""
    from flask_migrate import upgrade

    from bot.staff.accounts import create_user

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/inbox.db", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench"})
    with app.app_context(), use_town(DEFAULT_TOWN_ID):
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        import_pack(read_pack(app.config["KNOWLEDGE_DIR"]))
        create_user("bench@example.invalid", "editor", "bench password 123")
        now = utcnow()
        same = rows // 5
        data = [{"text": f"{WORDS[n % 12]}の{n}について{WORDS[n * 5 % 12]}で{n % 89}", "user_hash": f"u{n}"}
                for n in range(rows - same)]
        data += [{"text": "ふるさと納税の返礼品は何ですか", "user_hash": f"v{n}"} for n in range(same)]
        data += [{"text": f"あ{n}い{n % 13}うえお", "user_hash": "spammer"} for n in range(3200)]
        db.session.execute(QuestionLog.__table__.insert(), [
            {"created_at": now, "channel": "line", "outcome": "fallback", "score": 0.0, "latency_ms": 0,
             "candidates": [], **row} for row in data])
        db.session.commit()
    return app


def main() -> None:
    """Print the inbox page's render time and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        app = build(args.rows, directory)
        client = app.test_client()
        client.post("/admin/login", data={"email": "bench@example.invalid", "password": "bench password 123"})
        times, cpu, size = [], [], 0
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get("/admin/inbox")
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)  # wall time on a shared machine includes waiting
            size = len(response.data)
            assert response.status_code == 200
        print(f"rows={args.rows}+3200 junk  median={statistics.median(times) * 1000:.0f} ms  "
              f"max={max(times) * 1000:.0f} ms  cpu median={statistics.median(cpu) * 1000:.0f} ms  "
              f"page={size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
