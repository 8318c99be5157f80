"""A redelivery storm against a real threaded server: every event is answered exactly once."""
from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot import create_app
from bot.extensions import db
from bot.pack import read_pack
from bot.pack import import_pack
from bot.models import ProcessedEvent
from tests.support import events
from tests.conftest import base_config
from tests.support.linesign import body_of
from tests.support.liveserver import LiveServer

REPLY = "/v2/bot/message/reply"
QUESTIONS = ["給食費ってタダになるの？", "子どもが産まれたら何かもらえる？", "応援団に登録したい", "コンビニで住民票とれる？",
             "マイナンバーカードを作りたい", "産後ケアを使いたい", "母子手帳アプリはある？", "ゼロカーボンって何"]
EVENTS, ROUNDS, THREADS = 100, 5, 16


def _deliveries(batch: list[dict], rng: random.Random) -> list[bytes]:
    """Return every event ROUNDS times: alone in odd rounds, batched with others (as LINE does) in even ones."""
    bodies = []
    for round_ in range(ROUNDS):
        redelivered = [dict(e, deliveryContext={"isRedelivery": round_ > 0}) for e in batch]
        if round_ % 2:
            bodies += [body_of([e]) for e in redelivered]
        else:
            rng.shuffle(redelivered)
            bodies += [body_of(redelivered[i:i + 4]) for i in range(0, len(redelivered), 4)]
    rng.shuffle(bodies)
    return bodies


def _deliver(server: LiveServer, body: bytes) -> list[int]:
    # LINE redelivers what did not get a 2xx; do the same, a bounded number of times.
    statuses = []
    for _ in range(5):
        statuses.append(server.post(body))
        if statuses[-1] == 200:
            break
    return statuses


def test_the_same_100_events_sent_5_times_concurrently_are_answered_once(loaded_app, fake_line):
    rng = random.Random(6)
    batch = [events.text(QUESTIONS[i % len(QUESTIONS)], user="U" + f"{i:032x}") for i in range(EVENTS)]
    bodies = _deliveries(batch, rng)
    with LiveServer(loaded_app) as server:
        server.post(body_of([events.text("給食費")]))  # build the index before the storm, as gunicorn's warm-up does
        server.drain()
        fake_line.reset()
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(lambda b: _deliver(server, b), bodies))
        server.drain()
    statuses = Counter(s for r in results for s in r)
    assert set(statuses) <= {200, 503}, statuses  # 503 only if the database said so; never a 500
    assert all(r[-1] == 200 for r in results), statuses
    replies = Counter(call.body["replyToken"] for call in fake_line.calls(REPLY))
    assert len(replies) == EVENTS, f"{EVENTS - len(replies)} events never answered"
    assert replies.most_common(1)[0][1] == 1, f"answered twice: {[t for t, n in replies.items() if n > 1][:5]}"
    assert set(replies) == {e["replyToken"] for e in batch}
    with loaded_app.app_context():
        claimed = db.session.scalar(select(func.count()).select_from(ProcessedEvent)
                                    .where(ProcessedEvent.webhook_event_id.in_([e["webhookEventId"] for e in batch])))
    assert claimed == EVENTS


def test_batched_events_do_not_deadlock_on_a_pool_smaller_than_the_threads(app, fake_line):
    # The second event of a body reuses the request's knowledge snapshot, so it reaches the SQLite writer
    # queue holding no connection. If it took its turn first and asked the pool second, the threads queued
    # behind it (each holding a connection) would starve it until the pool timed out: a hang, then a lost event.
    small = create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"], fake_line),
                        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 2, "max_overflow": 0, "pool_timeout": 5}})
    with small.app_context():
        import_pack(read_pack(small.config["KNOWLEDGE_DIR"]))
    batches = [[events.text(QUESTIONS[(i + j) % len(QUESTIONS)], user="U" + f"{i:030x}{j:02x}") for j in range(3)]
               for i in range(24)]
    try:
        statuses = _storm(small, fake_line, batches)
    finally:
        small.extensions["line_sender"].close()
        with small.app_context():
            db.engine.dispose()
    assert statuses == [200] * len(batches)
    replies = Counter(call.body["replyToken"] for call in fake_line.calls(REPLY))
    assert set(replies) == {e["replyToken"] for b in batches for e in b}


def _storm(app, fake_line, batches: list[list[dict]]) -> list[int]:
    with LiveServer(app) as server:
        server.post(body_of([events.text("給食費")]))
        server.drain()
        fake_line.reset()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda b: server.post(body_of(b), timeout=20), batches))
        server.drain()
    return statuses
