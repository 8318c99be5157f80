"""A worker that dies between claiming a batch and recording it: nothing lost, nothing doubled."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import Notice, OutboxBatch
from bot.notices import report, schedule
from bot.notices.delivery import Deliverer
from tests.conftest import SECRET, TOKEN
from tests.notices.support import FAST, MULTICAST, TOPICS, add_followers, scheduled_notice

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def napp(app):
    app.config.update(FAST)
    with app.app_context():
        yield app


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def _all_answered(fake_line) -> bool:
    return all(r.status is not None for r in fake_line.calls(MULTICAST))


def test_worker_dying_after_the_send_is_resumed_after_the_lease_with_the_same_key(napp, fake_line):
    users = add_followers(range(30), topics=("kosodate",))
    notice = scheduled_notice()
    schedule.release_due()

    doomed = Deliverer(name="doomed")

    def die(batch, result):  # LINE delivered; the worker dies before writing that down
        raise SystemExit("killed between send and mark")

    doomed.after_send = die
    with pytest.raises(SystemExit):
        doomed.deliver_once()
    db.session.rollback()
    batch = db.session.scalars(select(OutboxBatch)).one()
    assert (batch.status, batch.claimed_by) == ("sending", "doomed")

    fresh = Deliverer(name="fresh")
    assert fresh.deliver_once() is None  # the claim is still leased: no one takes it yet
    time.sleep(napp.config["NOTICE_LEASE_SECONDS"] + 0.1)
    fresh.drain(max_wait=5)

    calls = fake_line.calls(MULTICAST)
    assert [c.status for c in calls] == [200, 409]
    assert calls[0].retry_key == calls[1].retry_key
    assert Counter(fake_line.delivered()) == Counter(users)
    db.session.refresh(batch)
    assert (batch.status, batch.attempts, batch.claimed_by) == ("delivered", 2, "fresh")
    db.session.refresh(notice)
    assert notice.status == "sent" and report.for_notice(notice).delivered == 30


def test_worker_dying_after_the_claim_before_the_send_is_resumed(napp, fake_line):
    users = add_followers(range(700), topics=("kosodate",))
    scheduled_notice()
    schedule.release_due()
    claimed = Deliverer(name="doomed").claim()  # ...and then the process vanished
    assert claimed is not None
    db.session.rollback()
    time.sleep(napp.config["NOTICE_LEASE_SECONDS"] + 0.1)
    Deliverer(name="fresh").drain(max_wait=5)
    assert len(fake_line.calls(MULTICAST)) == 2
    assert Counter(fake_line.delivered()) == Counter(users)


def test_sigkilled_worker_process_is_resumed_and_everyone_gets_it_exactly_once(napp, fake_line):
    users = add_followers(range(1200), topics=("kosodate",))
    notice = scheduled_notice()
    lease = 2.0
    env = {
        **os.environ,
        "DATABASE_URL": napp.config["SQLALCHEMY_DATABASE_URI"],
        "LINE_API_ENDPOINT": fake_line.url,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_CHANNEL_SECRET": SECRET,
        "APP_ENV": "development",
        "NOTICE_TOPICS": TOPICS,
        "NOTICE_QUIET_HOURS": "",
        "NOTICE_APPROVAL_REQUIRED": "0",
        "NOTICE_LEASE_SECONDS": str(lease),
        "NOTICE_POLL_SECONDS": "0.1",
        "NOTICE_SEND_TIMEOUT": "10",
    }
    # LINE accepts the first multicast at once but answers slowly: the worker is killed while it waits.
    fake_line.inject(MULTICAST, 200, delay=3.0, passthrough=True)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "notices", "worker"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: len(fake_line.calls(MULTICAST)) >= 1 or worker.poll() is not None)
        assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
    db.session.expire_all()
    in_flight = db.session.scalars(select(OutboxBatch).where(OutboxBatch.status == "sending")).all()
    assert len(in_flight) == 1  # claimed, sent, never marked

    Deliverer(name="restarted").drain(max_wait=15)
    _wait_for(lambda: _all_answered(fake_line))

    assert Counter(fake_line.delivered()) == Counter(users)  # each recipient exactly once
    keys = [c.retry_key for c in fake_line.calls(MULTICAST)]
    assert len(keys) == 4 and len(set(keys)) == 3  # the interrupted batch was resent under its own key
    assert sorted(c.status for c in fake_line.calls(MULTICAST)) == [200, 200, 200, 409]
    db.session.refresh(db.session.get(Notice, notice.id))
    result = report.for_notice(db.session.get(Notice, notice.id))
    assert (result.status, result.delivered, result.pending, result.failed) == ("sent", 1200, 0, 0)


def test_worker_process_stops_cleanly_on_sigterm(napp, fake_line):
    users = add_followers(range(3), topics=("kosodate",))
    scheduled_notice()
    env = {**os.environ, "DATABASE_URL": napp.config["SQLALCHEMY_DATABASE_URI"],
           "LINE_API_ENDPOINT": fake_line.url, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_CHANNEL_SECRET": SECRET,
           "NOTICE_TOPICS": TOPICS, "NOTICE_QUIET_HOURS": "", "NOTICE_APPROVAL_REQUIRED": "0",
           "NOTICE_POLL_SECONDS": "0.1"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "notices", "worker"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: len(fake_line.delivered()) == 3 or worker.poll() is not None)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0, worker.stderr.read().decode()[-2000:]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert sorted(fake_line.delivered()) == sorted(users)
