"""Replies sent from the sender's threads: queueing, back-pressure, shutdown, and failures."""
from __future__ import annotations

import logging
import time

from bot.line.client import LineGateway
from bot.line.sender import Budget, ReplyJob, ReplySender
from tests.conftest import TOKEN

REPLY = "/v2/bot/message/reply"
HELLO = [{"type": "text", "text": "こんにちは"}]


def _job(n: int) -> ReplyJob:
    return ReplyJob(f"event-{n}", f"token-{n}", HELLO, push_to="U" + "0" * 32)


def test_a_full_queue_sends_inline_within_the_webhooks_budget(fake_line, caplog):
    fake_line.reset()
    fake_line.inject(REPLY, status=200, delay=0.3, times=2, passthrough=True)  # keep the one thread busy
    sender = ReplySender(LineGateway(TOKEN, fake_line.url, 1.0), threads=1, queue_size=1)
    try:
        started = time.perf_counter()
        for n in range(3):
            sender.submit(_job(n), Budget(time.monotonic() + 1.5))
        # The first job is being sent, the second waits in the queue, the third found it full: sent inline.
        assert time.perf_counter() - started >= 0.25
        assert "reply queue full" in caplog.text
        assert sender.drain(5)
    finally:
        sender.close()
    assert sorted(c.body["replyToken"] for c in fake_line.calls(REPLY)) == ["token-0", "token-1", "token-2"]


def test_close_sends_what_is_queued_then_stops(fake_line):
    fake_line.reset()
    fake_line.inject(REPLY, status=200, delay=0.05, times=20, passthrough=True)
    sender = ReplySender(LineGateway(TOKEN, fake_line.url, 1.0), threads=2)
    for n in range(20):
        sender.submit(_job(n))
    sender.close(timeout=5)
    assert len(fake_line.calls(REPLY)) == 20
    assert not sender.background
    sender.submit(_job(99))  # after close, replies still go out, inline
    assert len(fake_line.calls(REPLY)) == 21


def test_a_failing_reply_does_not_stop_the_thread(fake_line, caplog):
    class Broken(LineGateway):
        calls = 0

        def reply(self, reply_token, messages):
            Broken.calls += 1
            if Broken.calls == 1:
                raise RuntimeError("a bug while sending")
            return super().reply(reply_token, messages)

    fake_line.reset()
    sender = ReplySender(Broken(TOKEN, fake_line.url, 1.0), threads=1)
    try:
        with caplog.at_level(logging.ERROR):
            sender.submit(_job(1))
            sender.submit(_job(2))
            assert sender.drain(5)
    finally:
        sender.close()
    assert "failed to send the reply to event event-1" in caplog.text
    assert [c.body["replyToken"] for c in fake_line.calls(REPLY)] == ["token-2"]


def test_an_expired_token_is_pushed_once_with_a_key_from_the_event(fake_line):
    fake_line.reset()
    fake_line.expired_tokens.add("token-7")
    sender = ReplySender(LineGateway(TOKEN, fake_line.url, 1.0), threads=1)
    try:
        sender.submit(_job(7))
        sender.submit(_job(7))  # a second attempt at the same event (say, a retry) reuses the retry key
        assert sender.drain(5)
    finally:
        sender.close()
    pushes = fake_line.calls("/v2/bot/message/push")
    assert len(pushes) == 2 and pushes[0].retry_key == pushes[1].retry_key
    assert pushes[0].status == 200 and pushes[1].status == 409  # LINE delivers a retry key once
