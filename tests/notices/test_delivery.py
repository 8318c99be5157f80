"""Outbox fan-out and delivery against the fake LINE server: batches, retry keys, 409/5xx/429/4xx."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import Notice, OutboxBatch
from bot.notices import report, schedule
from bot.notices.delivery import Deliverer
from tests.notices.support import FAST, MULTICAST, add_followers, scheduled_notice


@pytest.fixture
def napp(app):
    app.config.update(FAST)
    with app.app_context():
        yield app


def _send_all() -> Notice:
    schedule.release_due()
    Deliverer().drain(max_wait=10)
    return db.session.scalars(select(Notice)).one()


def test_1234_subscribers_get_exactly_three_multicasts_covering_each_once(napp, fake_line):
    subscribers = add_followers(range(1234), topics=("kosodate",))
    others = add_followers(range(5000, 5100), topics=("iju",))
    add_followers(range(6000, 6050))  # follow the account, chose no topic
    notice = scheduled_notice(("kosodate",))
    assert schedule.release_due() == [notice.id]
    batches = db.session.scalars(select(OutboxBatch).order_by(OutboxBatch.id)).all()
    assert [b.size for b in batches] == [500, 500, 234]
    assert len({b.retry_key for b in batches}) == 3

    Deliverer().drain(max_wait=10)

    calls = fake_line.calls(MULTICAST)
    assert len(calls) == 3
    sent = [u for call in calls for u in call.body["to"]]
    assert Counter(sent) == Counter(subscribers)
    assert not set(sent) & set(others)
    assert all(len(call.body["to"]) <= 500 for call in calls)
    assert len({call.retry_key for call in calls}) == 3
    db.session.refresh(notice)
    assert notice.status == "sent"
    result = report.for_notice(notice)
    assert (result.recipients, result.delivered, result.failed, result.pending) == (1234, 1234, 0, 0)


def test_500_then_success_retries_with_the_same_retry_key(napp, fake_line):
    users = add_followers(range(10), topics=("kosodate",))
    scheduled_notice()
    fake_line.inject(MULTICAST, 500, times=1)
    notice = _send_all()
    calls = fake_line.calls(MULTICAST)
    assert [c.status for c in calls] == [500, 200]
    assert calls[0].retry_key == calls[1].retry_key and calls[0].retry_key
    assert sorted(fake_line.delivered()) == sorted(users)
    batch = db.session.scalars(select(OutboxBatch)).one()
    assert (batch.status, batch.attempts) == ("delivered", 2)
    assert notice.status == "sent"


def test_429_waits_for_retry_after_then_succeeds(napp, fake_line):
    users = add_followers(range(3), topics=("kosodate",))
    scheduled_notice()
    fake_line.inject(MULTICAST, 429, times=1, headers={"Retry-After": "0.3"},
                     body={"message": "Too many requests"})
    started = time.monotonic()
    notice = _send_all()
    calls = fake_line.calls(MULTICAST)
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].retry_key == calls[1].retry_key
    assert time.monotonic() - started >= 0.3
    assert sorted(fake_line.delivered()) == sorted(users)
    assert report.for_notice(notice).delivered == 3


def test_timeout_is_retried_with_the_same_key_and_409_counts_as_delivered(napp, fake_line):
    users = add_followers(range(4), topics=("kosodate",))
    napp.config["NOTICE_SEND_TIMEOUT"] = 0.3
    scheduled_notice()
    # LINE accepts the request but answers too late: the worker times out, retries, and gets 409.
    fake_line.inject(MULTICAST, 200, delay=0.8, passthrough=True)
    notice = _send_all()
    time.sleep(0.8)  # let the slow first answer finish
    calls = fake_line.calls(MULTICAST)
    assert len({c.retry_key for c in calls}) == 1
    assert 409 in [c.status for c in calls]
    assert sorted(fake_line.delivered()) == sorted(users)  # exactly once
    batch = db.session.scalars(select(OutboxBatch)).one()
    assert batch.status == "delivered" and batch.last_status == 409
    assert report.for_notice(notice).delivered == 4


def test_other_4xx_fails_with_the_reason_and_is_not_retried(napp, fake_line):
    add_followers(range(3), topics=("kosodate",))
    scheduled_notice()
    fake_line.inject(MULTICAST, 400, body={"message": "The request body has 1 error(s)"})
    notice = _send_all()
    assert len(fake_line.calls(MULTICAST)) == 1
    result = report.for_notice(notice)
    assert (result.delivered, result.failed, result.pending) == (0, 3, 0)
    assert "400" in result.failures[0][0] and "error(s)" in result.failures[0][0]
    assert notice.status == "sent"


def test_persistent_5xx_gives_up_after_max_attempts_with_the_reason(napp, fake_line):
    add_followers(range(2), topics=("kosodate",))
    napp.config["NOTICE_MAX_ATTEMPTS"] = 3
    scheduled_notice()
    fake_line.inject(MULTICAST, 503, times=5)
    notice = _send_all()
    calls = fake_line.calls(MULTICAST)
    assert len(calls) == 3 and len({c.retry_key for c in calls}) == 1
    result = report.for_notice(notice)
    assert result.failed == 2 and "gave up after 3 attempts" in result.failures[0][0]


def test_monthly_limit_429_fails_at_once(napp, fake_line):
    add_followers(range(2), topics=("kosodate",))
    scheduled_notice()
    fake_line.inject(MULTICAST, 429, body={"message": "You have reached your monthly limit."})
    notice = _send_all()
    assert len(fake_line.calls(MULTICAST)) == 1
    assert "monthly" in report.for_notice(notice).failures[0][0]


def test_message_has_title_body_link_and_kuwashiku_button(napp, fake_line):
    add_followers(range(2), topics=("kosodate",))
    scheduled_notice(url="https://example.jp/gift")
    _send_all()
    message = fake_line.calls(MULTICAST)[0].body["messages"][0]
    assert message["type"] == "flex" and "出産応援ギフトのお知らせ" in message["altText"]
    buttons = [c["action"] for c in message["contents"]["footer"]["contents"]]
    assert {"type": "uri", "label": "リンクを開く", "uri": "https://example.jp/gift"}.items() <= buttons[0].items()
    assert any(b.get("data") == "a=unsub&t=kosodate" for b in buttons)


def test_everyone_notice_skips_opted_out_and_inactive_followers(napp, fake_line):
    from bot.notices import subscriptions

    active = add_followers(range(20))
    add_followers(range(100, 105), status="unfollowed")
    add_followers(range(200, 203), status="blocked")
    stopper = subscriptions.follower(active[0])
    subscriptions.stop_all(stopper)
    db.session.commit()
    scheduled_notice(topics=())
    _send_all()
    assert sorted(fake_line.delivered()) == sorted(active[1:])


def test_follower_who_unfollows_after_queueing_is_left_out(napp, fake_line):
    from bot.models import Follower, utcnow

    users = add_followers(range(5), topics=("kosodate",))
    notice = scheduled_notice()
    schedule.release_due()
    gone = db.session.scalar(select(Follower).where(Follower.line_user_id == users[0]))
    gone.status, gone.last_seen = "unfollowed", utcnow()  # as the unfollow event handler records it
    db.session.commit()
    Deliverer().drain(max_wait=5)
    assert sorted(fake_line.delivered()) == sorted(users[1:])
    assert report.for_notice(notice).skipped == 1


def test_several_workers_share_the_outbox_and_send_each_batch_once(napp, fake_line):
    import threading

    users = add_followers(range(2600), topics=("kosodate",))
    scheduled_notice()
    schedule.release_due()
    fake_line.latency = 0.02
    app = napp

    def work():
        with app.app_context():
            Deliverer().drain(max_wait=10)
            db.session.remove()

    try:
        workers = [threading.Thread(target=work) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        fake_line.latency = 0.0
    calls = fake_line.calls(MULTICAST)
    assert len(calls) == 6
    assert Counter(fake_line.delivered()) == Counter(users)
    claimed_by = {b.claimed_by for b in db.session.scalars(select(OutboxBatch))}
    if napp.config["BACKEND"] == "postgresql":
        assert len(claimed_by) > 1  # SKIP LOCKED lets them work side by side
